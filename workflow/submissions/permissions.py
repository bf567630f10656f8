"""Who may see and do what with a submission. Views call these before acting; services check them again."""

from __future__ import annotations

from workflow.people.models import User
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State, Transition, available_transitions


def is_owner(user: User, submission: Submission) -> bool:
    return submission.contributor_id == user.id


def can_view(user: User, submission: Submission) -> bool:
    """Staff see every submission; a contributor sees only their own."""
    return user.is_staff or is_owner(user, submission)


def can_see_internal_notes(user: User) -> bool:
    """Internal notes are for the desk: editors and admins, never contributors."""
    return user.is_staff


def can_write_draft(user: User, submission: Submission) -> bool:
    """The contributor writes while the story is assigned; editors edit while it is assigned or edited."""
    if user.is_staff:
        return submission.state in (State.ASSIGNED, State.EDITED)
    return is_owner(user, submission) and submission.state is State.ASSIGNED


def can_post_message(user: User, submission: Submission) -> bool:
    """Both sides may write while the submission is visible to them; contributors not after withdrawing."""
    if user.is_staff:
        return True
    return is_owner(user, submission) and submission.state is not State.WITHDRAWN


def transitions_for(user: User, submission: Submission) -> list[Transition]:
    """The workflow buttons this person sees on this submission."""
    return available_transitions(submission.state, user.role, is_owner(user, submission))

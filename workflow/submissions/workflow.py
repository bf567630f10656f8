"""The editorial workflow as data.

One table of transitions (state, action, target state, who may do it, what it requires) drives the guards
in the services, the buttons each person sees, the audit log and the tests.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from workflow.people.models import Role


class State(enum.Enum):
    PITCHED = "pitched"
    ASSIGNED = "assigned"
    EDITED = "edited"
    PUBLISHED = "published"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        return self.value.capitalize()

    @property
    def description(self) -> str:
        return STATE_DESCRIPTIONS[self]


STATE_DESCRIPTIONS = {
    State.PITCHED: "Waiting for an editor to read the pitch",
    State.ASSIGNED: "Commissioned: the contributor is writing or revising the draft",
    State.EDITED: "The edited copy is ready for publication",
    State.PUBLISHED: "Published",
    State.DECLINED: "Declined by the desk",
    State.WITHDRAWN: "Withdrawn by the contributor",
}


class Actor(enum.Enum):
    """Who may take an action: the owning contributor, any editor, or an admin only."""

    OWNER = "owner"
    EDITOR = "editor"
    ADMIN = "admin"


class Requirement(enum.Enum):
    ASSIGNMENT = "assignment"  # an assigned editor and a deadline, optionally a fee and a word count
    COMMENT = "comment"  # a reason or message that goes to the contributor
    DRAFT = "draft"  # a draft revision exists


@dataclass(frozen=True)
class Transition:
    action: str
    source: State
    target: State
    actor: Actor
    label: str
    done: str  # what the actor did, in the past tense: "assigned the story"
    requires: frozenset[Requirement] = frozenset()
    comment_label: str = "Comment"
    style: str = "primary"

    def allows_role(self, role: Role, is_owner: bool) -> bool:
        """Whether someone with ``role`` (owning the submission or not) may take this transition."""
        if self.actor is Actor.OWNER:
            return is_owner and role is Role.CONTRIBUTOR
        if self.actor is Actor.EDITOR:
            return role.is_staff
        return role is Role.ADMIN


TRANSITIONS: tuple[Transition, ...] = (
    Transition("assign", State.PITCHED, State.ASSIGNED, Actor.EDITOR, "Assign", "assigned the story",
               requires=frozenset({Requirement.ASSIGNMENT})),
    Transition("decline", State.PITCHED, State.DECLINED, Actor.EDITOR, "Decline", "declined the pitch",
               requires=frozenset({Requirement.COMMENT}), comment_label="Reason, sent to the contributor",
               style="danger"),
    Transition("decline", State.ASSIGNED, State.DECLINED, Actor.EDITOR, "Kill the story", "killed the story",
               requires=frozenset({Requirement.COMMENT}), comment_label="Reason, sent to the contributor",
               style="danger"),
    Transition("mark_edited", State.ASSIGNED, State.EDITED, Actor.EDITOR, "Mark edited", "marked the story edited",
               requires=frozenset({Requirement.DRAFT})),
    Transition("request_revision", State.EDITED, State.ASSIGNED, Actor.EDITOR, "Needs revision", "asked for a revision",
               requires=frozenset({Requirement.COMMENT}), comment_label="What to revise, sent to the contributor",
               style="secondary"),
    Transition("publish", State.EDITED, State.PUBLISHED, Actor.EDITOR, "Publish", "published the story",
               requires=frozenset({Requirement.DRAFT})),
    Transition("unpublish", State.PUBLISHED, State.EDITED, Actor.ADMIN, "Unpublish", "unpublished the story",
               requires=frozenset({Requirement.COMMENT}), comment_label="Reason for unpublishing",
               style="danger"),
    Transition("reopen", State.DECLINED, State.PITCHED, Actor.EDITOR, "Reopen the pitch", "reopened the pitch",
               requires=frozenset({Requirement.COMMENT}), comment_label="Why it is back in the queue",
               style="secondary"),
    Transition("withdraw", State.PITCHED, State.WITHDRAWN, Actor.OWNER, "Withdraw my pitch", "withdrew the pitch",
               comment_label="Anything the desk should know (optional)", style="danger"),
    Transition("withdraw", State.ASSIGNED, State.WITHDRAWN, Actor.OWNER, "Withdraw my story", "withdrew the story",
               comment_label="Anything the desk should know (optional)", style="danger"),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def find_transition(source: State, action: str) -> Transition | None:
    for transition in TRANSITIONS:
        if transition.source is source and transition.action == action:
            return transition
    return None


def available_transitions(state: State, role: Role, is_owner: bool) -> list[Transition]:
    """The transitions someone may take from ``state``: the buttons they see."""
    return [t for t in TRANSITIONS if t.source is state and t.allows_role(role, is_owner)]

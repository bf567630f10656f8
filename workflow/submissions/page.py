"""The submission page, built for the person looking at it: who may see it, what it shows, and the page that
says a submission changed since it was opened. Not a view: the routes that answer on the submission page (here
and in articles: its page settings, schedule and photos) render it with what they were posted.

Other features add panels to the page (articles: "Publication" and "Images") with :func:`add_panels`; this
feature knows none of them."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from workflow.core.errors import Conflict
from workflow.extensions import db
from workflow.notifications.mail import email_subjects_of
from workflow.submissions import permissions, services, timeline
from workflow.submissions.forms import DraftForm, MessageForm, TransitionForm
from workflow.submissions.models import Attachment, AuditEntry, Revision, Submission
from workflow.submissions.workflow import Requirement

# Builders of other features' panels: each takes the submission and returns entries of the page's context.
_PANELS: list[Callable[[Submission], dict]] = []


def add_panels(builder: Callable[[Submission], dict]) -> None:
    """Show another feature's panels on the submission page (``create_app`` wires them)."""
    if builder not in _PANELS:
        _PANELS.append(builder)


def load_visible(submission_id: int) -> Submission:
    """The submission if this person may see it; 404 otherwise, so ids of others' work reveal nothing."""
    submission = db.session.get(Submission, submission_id,
                                options=[joinedload(Submission.contributor), joinedload(Submission.editor)])
    if submission is None or not permissions.can_view(current_user, submission):
        abort(404)
    return submission


def detail_context(submission: Submission, transition_form: TransitionForm | None = None,
                   message_form: MessageForm | None = None, **panels) -> dict:
    """Everything the submission page shows to the signed-in person. ``transition_form`` and ``message_form``
    are forms posted with errors; ``panels`` replace a panel another feature adds (with its form's errors)."""
    rules = permissions.transitions_for(current_user, submission)
    # The editors to choose from, only when a form on the page asks for one.
    editors = services.active_editors() if any(Requirement.ASSIGNMENT in rule.requires for rule in rules) else []
    actions = []
    shown = []
    for rule in rules:
        if transition_form is not None and transition_form.action.data == rule.action:
            form = transition_form
        else:
            form = TransitionForm(formdata=None, action=rule.action, version=submission.version,
                                  editor_id=submission.editor_id or current_user.id)
        form.editor_id.choices = [SelectChoice(e.id, e.display_name) for e in editors]
        form.comment.label.text = rule.comment_label
        actions.append((rule, form))
        shown.append(form)
    can_post = permissions.can_post_message(current_user, submission)
    if can_post:
        shown.append(message_form)
    # A refusal for a form the page does not show (no such button for this person) goes at the top.
    refusals = [message for form in (transition_form, message_form) if form is not None and form not in shown
                for message in error_messages(form)]
    events = timeline.for_submission(submission, current_user)
    context = {
        "subjects": email_subjects_of(entry.item for entry in events if entry.kind == "email"),
        "submission": submission,
        "actions": actions,
        "timeline": events,
        "attachments": db.session.scalars(
            sa.select(Attachment).where(Attachment.submission_id == submission.id).order_by(Attachment.id)).all(),
        "latest": timeline.latest_revision(events),
        "message_form": message_form or MessageForm(formdata=None),
        "can_write_draft": permissions.can_write_draft(current_user, submission),
        "can_post_message": can_post,
        "refusals": refusals,
        "can_see_internal": permissions.can_see_internal_notes(current_user),
        "Requirement": Requirement,
    }
    for builder in _PANELS:
        context.update(builder(submission))
    context.update(panels)
    return context


def error_messages(form) -> list[str]:
    return [*form.form_errors, *(message for field in form for message in field.errors)]


def conflict_page(conflict: Conflict, unsaved: DraftForm | None = None):
    submission = conflict.current
    changes = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.submission_id == submission.id,
                                    AuditEntry.version > (conflict.seen_version or 0))
        .options(joinedload(AuditEntry.actor)).order_by(AuditEntry.created_at)
    ).all()
    revisions = db.session.scalars(
        sa.select(Revision)
        .where(Revision.submission_id == submission.id, Revision.version > (conflict.seen_version or 0))
        .options(joinedload(Revision.author)).order_by(Revision.number)
    ).all()
    return render_template("submissions/conflict.html", submission=submission, changes=changes,
                           revisions=revisions, message=conflict.message, unsaved=unsaved,
                           can_write_draft=permissions.can_write_draft(current_user, submission)), 409

"""The story of a submission as one list: transitions, messages, internal notes and revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.extensions import db
from workflow.notifications import services as notifications
from workflow.people.models import User
from workflow.submissions import permissions
from workflow.submissions.models import AuditEntry, Message, Revision, Submission


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "transition", "message", "note", "revision", "email"
    at: datetime
    actor: User | None  # None for what the desk did by itself
    item: object


def for_submission(submission: Submission, viewer: User) -> list[TimelineItem]:
    """Everything that happened, oldest first, as ``viewer`` may see it (notes only for the desk)."""
    items: list[TimelineItem] = []
    for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.submission_id == submission.id).options(joinedload(AuditEntry.actor))
    ):
        items.append(TimelineItem("transition", entry.created_at, entry.actor, entry))
    messages = sa.select(Message).where(Message.submission_id == submission.id).options(joinedload(Message.author))
    if not permissions.can_see_internal_notes(viewer):
        messages = messages.where(Message.internal.is_(False))
    for message in db.session.scalars(messages):
        items.append(TimelineItem("note" if message.internal else "message", message.created_at, message.author,
                                  message))
    for revision in db.session.scalars(
        sa.select(Revision).where(Revision.submission_id == submission.id).options(joinedload(Revision.author))
    ):
        items.append(TimelineItem("revision", revision.created_at, revision.author, revision))
    # Emails about the submission: the desk sees all of them, a contributor those sent to them.
    for notification in notifications.emails_about(submission.id,
                                                   None if viewer.is_staff else viewer.id):
        items.append(TimelineItem("email", notification.created_at, notification.recipient, notification))
    items.sort(key=lambda i: (i.at, i.kind))
    return items


def latest_revision(items: list[TimelineItem]) -> Revision | None:
    """The newest revision among the timeline's (it holds every one, whoever looks)."""
    return max((item.item for item in items if item.kind == "revision"), key=lambda revision: revision.number,
               default=None)

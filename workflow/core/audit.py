"""The action log: who changed what among people, roles, emails, sections and pages, and when.

Shared plumbing: accounts, articles, notifications and admin write to it, in the transaction of the change it
records; admins read it at ``/admin/log``. Entries name ids, never content (``"user 12"``,
``"email submission.assigned"``).

``detail`` is the English sentence, as it always was; ``params`` holds what the sentence says as data (a role's
name, counts, a section's slug), so that the log can word it in its reader's language (``templates/admin/
_log_words.html``). Entries written before params were kept show their detail as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from workflow.core.models import utcnow
from workflow.extensions import db

if TYPE_CHECKING:  # the person model belongs to accounts; the relationship names it by its mapped name
    from workflow.people.models import User

PAGE_SIZE = 50
# What the desk does by itself, with no one acting (beat's expiries): written without an actor, and shown as
# "The desk" rather than as a deleted account.
AUTOMATIC_ACTIONS = frozenset({"expire_private_text", "expire_ledger_replies", "expire_read_notifications"})


class AdminAction(db.Model):
    __tablename__ = "admin_actions"
    __table_args__ = (sa.Index("ix_admin_actions_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str] = mapped_column(sa.String(200))  # "user 12", "email submission.assigned": ids, no content
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    params: Mapped[dict | None] = mapped_column(sa.JSON)  # ids, role names, counts, slugs: never content
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship("User")

    @property
    def who(self) -> str:
        if self.actor is not None:
            return self.actor.display_name
        return "The desk (automatic)" if self.action in AUTOMATIC_ACTIONS else "A deleted account"


def record(actor, action: str, target: str, detail: str = "", params: dict | None = None) -> None:
    """Write an entry in the transaction of the change it records; ``params`` are what ``detail`` says, as data
    for the log to word in its reader's language."""
    db.session.add(AdminAction(actor_id=actor.id, action=action, target=target[:200], detail=detail[:300],
                               params=params or None))


def record_automatic(action: str, target: str, detail: str = "", params: dict | None = None) -> None:
    """Write what the desk did by itself (one of ``AUTOMATIC_ACTIONS``), in the transaction of the change."""
    if action not in AUTOMATIC_ACTIONS:
        raise ValueError(f"{action!r} is not an action the desk takes by itself")
    db.session.add(AdminAction(actor_id=None, action=action, target=target[:200], detail=detail[:300],
                               params=params or None))


def entries(before: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[AdminAction], int | None]:
    """The newest entries (older than ``before``), and the id to page on from, if there are more."""
    query = (sa.select(AdminAction).options(joinedload(AdminAction.actor))
             .order_by(AdminAction.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(AdminAction.id < before)
    rows = list(db.session.scalars(query))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None

"""The admin action log: who changed what among people, roles, emails, sections and pages, and when."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.auth.models import User
from workflow.core.models import utcnow
from workflow.extensions import db


class AdminAction(db.Model):
    __tablename__ = "admin_actions"
    __table_args__ = (sa.Index("ix_admin_actions_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str] = mapped_column(sa.String(200))  # "user 12", "email submission.assigned": ids, no content
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()

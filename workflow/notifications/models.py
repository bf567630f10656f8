"""The outbox: one row per notification, written in the same transaction as the change it announces."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.auth.models import User
from workflow.core.models import utcnow
from workflow.extensions import db


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return self.value.capitalize()


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_status_created", "status", "created_at"),
        sa.Index("ix_notifications_submission", "submission_id"),
        sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(60))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254))
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        sa.Enum(DeliveryStatus, name="delivery_status", native_enum=False, create_constraint=True, length=20,
                values_callable=lambda values: [v.value for v in values], validate_strings=True),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # A worker holds a lease on the row while it sends, so two deliveries of one task never both send.
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    server_reply: Mapped[str | None] = mapped_column(sa.String(500))

    recipient: Mapped[User | None] = relationship()

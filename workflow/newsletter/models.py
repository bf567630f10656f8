"""The newsletter's readers. Nothing is kept about a subscriber but the address and the dates of consent."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.core.models import utcnow
from workflow.extensions import db


class Subscriber(db.Model):
    """One address. It gets newsletters only once ``confirmed_at`` is set (double opt-in) and while
    ``unsubscribed_at`` is not."""

    __tablename__ = "subscribers"
    __table_args__ = (sa.Index("ix_subscribers_confirmed", "confirmed_at", "unsubscribed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # normalised: lower case
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)  # asked to subscribe (last time)
    confirmed_at: Mapped[datetime | None]  # confirmed from the email: consent given
    unsubscribed_at: Mapped[datetime | None]  # consent withdrawn

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class NewsletterIssue(db.Model):
    """One weekly newsletter: the stories published in its week. ``key`` (ISO year and week, "2026-W48") is
    unique, so a second run of the schedule finds the issue already there and writes nothing twice."""

    __tablename__ = "newsletter_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(20), unique=True)
    since: Mapped[datetime]
    until: Mapped[datetime]
    article_count: Mapped[int] = mapped_column(default=0)
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

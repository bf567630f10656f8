"""Addresses a published story used to have: a changed headline gives a new slug, and the old one redirects."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.core.models import utcnow
from workflow.extensions import db


class PreviousSlug(db.Model):
    __tablename__ = "previous_slugs"

    slug: Mapped[str] = mapped_column(sa.String(220), primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)

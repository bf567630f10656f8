"""Write an entry in the admin action log, in the transaction of the change it records."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.admin.models import AdminAction
from workflow.extensions import db

PAGE_SIZE = 50


def record(actor, action: str, target: str, detail: str = "") -> None:
    db.session.add(AdminAction(actor_id=actor.id, action=action, target=target[:200], detail=detail[:300]))


def entries(before: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[AdminAction], int | None]:
    """The newest entries (older than ``before``), and the id to page on from, if there are more."""
    query = (sa.select(AdminAction).options(joinedload(AdminAction.actor))
             .order_by(AdminAction.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(AdminAction.id < before)
    rows = list(db.session.scalars(query))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None

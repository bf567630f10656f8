"""Published stories as the public reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State


class Gone(Exception):
    """The story was published at this address and has been taken down."""


def published(slug: str) -> Submission | None:
    """The published story at ``slug`` with its contributor (one query); None if there never was one;
    Gone if it was unpublished."""
    story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug)
                              .options(joinedload(Submission.contributor)))
    if story is None:
        return None
    if story.state is not State.PUBLISHED:
        raise Gone(slug)
    return story


@dataclass(frozen=True)
class Page:
    stories: list[Submission]
    next_cursor: str | None  # "published_at.isoformat()|id" of the last row, when there are more


def latest(limit: int = 10, cursor: str | None = None) -> Page:
    """The newest published stories, newest first, paged by (published_at, id) so that page 200 costs what
    page 1 does."""
    query = (sa.select(Submission).where(Submission.state == State.PUBLISHED)
             .options(joinedload(Submission.contributor))
             .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(limit + 1))
    after = _parse_cursor(cursor)
    if after is not None:
        at, story_id = after
        query = query.where(sa.or_(Submission.published_at < at,
                                   sa.and_(Submission.published_at == at, Submission.id < story_id)))
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return Page(rows, f"{last.published_at.isoformat()}|{last.id}" if last else None)


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    at, _, story_id = cursor.partition("|")
    try:
        return datetime.fromisoformat(at), int(story_id)
    except ValueError:
        return None

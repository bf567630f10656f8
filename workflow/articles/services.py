"""Published stories as the public reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import joinedload

from workflow.articles.models import PreviousSlug
from workflow.auth.models import User
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State


class Gone(Exception):
    """The story was published at this address and has been taken down."""


class Moved(Exception):
    """The story now lives at another slug (its headline changed): ``slug`` is the current one."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


def published(slug: str) -> Submission | None:
    """The published story at ``slug`` with its contributor (one query); None if there never was one;
    Gone if it was unpublished."""
    story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug)
                              .options(joinedload(Submission.contributor)))
    if story is None:
        current = db.session.scalar(sa.select(Submission.slug).join(PreviousSlug)
                                    .where(PreviousSlug.slug == slug, Submission.state == State.PUBLISHED))
        if current is not None:
            raise Moved(current)
        if db.session.get(PreviousSlug, slug) is not None:
            raise Gone(slug)
        return None
    if story.state is not State.PUBLISHED:
        raise Gone(slug)
    return story


@dataclass(frozen=True)
class Page:
    stories: list[Submission]
    next_cursor: str | None  # "published_at.isoformat()|id" of the last row, when there are more


def latest(limit: int = 10, cursor: str | None = None, contributor_id: int | None = None) -> Page:
    """The newest published stories (of one contributor, if given), newest first, paged by (published_at, id)
    so that page 200 costs what page 1 does."""
    query = (sa.select(Submission).where(Submission.state == State.PUBLISHED)
             .options(joinedload(Submission.contributor))
             .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(limit + 1))
    if contributor_id is not None:
        query = query.where(Submission.contributor_id == contributor_id)
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


def public_contributor(public_id: str) -> User | None:
    """A contributor as readers know them: only someone with a published story has a public page (so that
    the page reveals nothing about accounts that never published)."""
    return db.session.scalar(
        sa.select(User).where(User.public_id == public_id, User.disabled_at.is_(None),
                              sa.exists().where(Submission.contributor_id == User.id,
                                                Submission.state == State.PUBLISHED)))


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    at, _, story_id = cursor.partition("|")
    try:
        return datetime.fromisoformat(at), int(story_id)
    except ValueError:
        return None


def slug_for(story: Submission, headline: str) -> str:
    """The address of a story published under ``headline``: its slug if the headline still gives it, else a
    new one, and the old one is kept to redirect. Slugs are never given to two stories, past or present."""
    base = slugify(headline, max_length=200, word_boundary=True) or f"story-{story.id}"
    current = story.slug
    if current is not None and (current == base or _numbered(current, base)):
        return current
    reused = db.session.get(PreviousSlug, base)
    if reused is not None and reused.submission_id == story.id:  # the headline went back to an earlier one
        db.session.delete(reused)
        slug = base
    else:
        slug, n = base, 1
        while _taken(slug):
            n += 1
            slug = f"{base}-{n}"
    if current is not None:
        db.session.add(PreviousSlug(slug=current, submission_id=story.id))
    return slug


def _numbered(slug: str, base: str) -> bool:
    head, _, number = slug.rpartition("-")
    return head == base and number.isdigit()


def _taken(slug: str) -> bool:
    return (db.session.scalar(sa.select(Submission.id).where(Submission.slug == slug)) is not None
            or db.session.get(PreviousSlug, slug) is not None)

"""Published stories as the public reads them: one story, the lists of the latest (all, a section's, a tag's, a
contributor's, a search's), and the sections admins manage."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import defer, joinedload, selectinload

from workflow.articles.models import PreviousSlug, Section, Tag, submission_tags
from workflow.core.audit import record as record_admin_action
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.i18n import format_number
from workflow.core.numbers import whole_number
from workflow.core.search_text import holding, search_terms
from workflow.core.slugs import slug as slug_of
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions.models import PUBLISHED_SEARCH_WHERE, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)


class Gone(Exception):
    """The story was published at this address and has been taken down."""


class Moved(Exception):
    """The story now lives at another slug (its headline changed): ``slug`` is the current one."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


def published(slug: str) -> Submission | None:
    """The published story at ``slug`` with its contributor, section and top image (one query) and its tags (one
    more); None if there never was one; Gone if it was unpublished."""
    story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug)
                              .options(joinedload(Submission.contributor), joinedload(Submission.section),
                                       joinedload(Submission.top_image), selectinload(Submission.tags)))
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
    """One page of a list of stories. ``next_cursor`` leads to older stories, ``prev_cursor`` to newer ones
    (each "published_at.isoformat()|id" of the row at that edge), when there are any."""

    stories: list[Submission]
    next_cursor: str | None
    prev_cursor: str | None = None


EMPTY_PAGE = Page([], None)
SEARCH_LENGTH = 200  # characters of a search that are kept: enough for any real question
SEARCH_WORDS = 8  # words and phrases a search looks for (each one more LIKE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def latest(limit: int = 10, cursor: str | None = None, contributor_id: int | None = None, *,
           before: str | None = None, section_id: int | None = None, tag_id: int | None = None,
           search: str | None = None, with_body: bool = False) -> Page:
    """The newest published stories, newest first, paged by (published_at, id) so that page 200 costs what
    page 1 does: all of them, or those of one contributor, one section, one tag, or those a search finds.

    ``cursor`` pages to older stories, ``before`` to newer ones. One query whatever the page's size: the
    contributor and the section come joined. The bodies are loaded only ``with_body`` (the feed shows them,
    lists do not); reading one without it raises rather than costing a query per story. A cursor that does
    not parse shows the first page; so does a "newer" cursor that runs into the start.
    """
    terms = None
    if search is not None:
        terms = search_terms(clean_search(search), SEARCH_WORDS)
        if not terms:
            return EMPTY_PAGE  # nothing to look for: no query at all

    def narrowed(query: sa.Select) -> sa.Select:
        query = query.where(Submission.state == State.PUBLISHED)
        if contributor_id is not None:
            query = query.where(Submission.contributor_id == contributor_id)
        if section_id is not None:
            query = query.where(Submission.section_id == section_id)
        if tag_id is not None:
            query = query.join(submission_tags, submission_tags.c.submission_id == Submission.id).where(
                submission_tags.c.tag_id == tag_id)
        return query

    query = narrowed(sa.select(Submission)).options(
        joinedload(Submission.contributor), joinedload(Submission.section), joinedload(Submission.top_image),
        defer(Submission.search_text, raiseload=True), defer(Submission.published_search_text, raiseload=True))
    if not with_body:
        query = query.options(defer(Submission.published_body, raiseload=True))
    listing = _Listing(query, narrowed(sa.select(*_KEY)), terms)

    newer = _parse_cursor(before)
    older = None if newer is not None else _parse_cursor(cursor)
    if newer is not None:
        rows, more = listing.fetch(limit, newer, backwards=True)
        if not more:  # this is the first page: show it whole, as the plain address does
            rows, more = listing.fetch(limit, None)
            return Page(rows, _cursor_of(rows[-1]) if more else None)
        return Page(rows, _cursor_of(rows[-1]), _cursor_of(rows[0]))
    rows, more = listing.fetch(limit, older)
    if older is not None and not rows:  # the cursor points past the end (or at nothing): the first page
        rows, more = listing.fetch(limit, None)
        older = None
    return Page(rows, _cursor_of(rows[-1]) if more else None,
                _cursor_of(rows[0]) if older is not None and rows else None)


# How many of the newest stories past the cursor a search reads in order before it turns to the trigram index: a
# word in one story out of SEARCH_WINDOW / 21 or more fills its page from them (see _Listing.search).
SEARCH_WINDOW = 400
_KEY = (Submission.published_at, Submission.id)


@dataclass(frozen=True)
class _Listing:
    """The stories of a list (``conditions``, and the search ``terms`` if any), read a page at a time."""

    query: sa.Select  # the stories, with what a list shows of them
    keys: sa.Select  # the same stories' (published_at, id) alone
    terms: list[str] | None

    def fetch(self, limit: int, after: tuple[datetime, int] | None, backwards: bool = False
              ) -> tuple[list[Submission], bool]:
        """A page of rows, newest first, and whether more lie beyond it in the direction of travel."""
        wanted = limit + 1
        if self.terms is None:
            rows = self._read(self.query, after, backwards, wanted)
        else:
            rows = self.search(after, backwards, wanted)
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return rows, more

    def search(self, after, backwards: bool, wanted: int) -> list[Submission]:
        """The first ``wanted`` stories past ``after`` that hold every term, in the list's order.

        A common word ("power", "الاطباء") is in a good part of the stories: the trigram index would hand over
        every one of them (half the archive) to be checked again and sorted, for a page of 20. So the search
        reads the newest SEARCH_WINDOW stories past the cursor first, in order (the ``published_at`` index), and
        stops at the ``wanted``-th that holds the terms; only a rarer question, whose page is not full by then,
        asks the trigram index for the rest, beyond the window's last story. The two parts never overlap and
        together cover the whole list in its order: the same stories, the same order and the same pages as one
        query would give, on SQLite and PostgreSQL alike.
        """
        edge = db.session.execute(
            _beyond(self.keys, after, backwards)
            .order_by(*_order(backwards)).offset(SEARCH_WINDOW - 1).limit(1)).first()
        # The window's test is written so that no index can serve it (coalesce() of the column): the planner then
        # keeps to the published_at order and stops early, instead of fetching every match through the index.
        window = self.query.where(holding(Submission.published_search_text, self.terms, indexed=False))
        if edge is not None:
            window = window.where(_beyond(None, edge, not backwards, inclusive=True))
        rows = self._read(window, after, backwards, wanted)
        if len(rows) == wanted or edge is None:
            return rows
        rest = self.query.where(_matching(self.terms))
        return rows + self._read(rest, tuple(edge), backwards, wanted - len(rows))

    @staticmethod
    def _read(query, after, backwards: bool, count: int) -> list[Submission]:
        return list(db.session.scalars(_beyond(query, after, backwards).order_by(*_order(backwards)).limit(count)))


def _order(backwards: bool):
    return ((Submission.published_at.asc(), Submission.id.asc()) if backwards
            else (Submission.published_at.desc(), Submission.id.desc()))


def _beyond(query, after, backwards: bool, inclusive: bool = False):
    """``query`` narrowed to the stories past ``after`` (older ones; newer ones ``backwards``); with no query, the
    condition itself."""
    if after is None:
        return query
    key = sa.tuple_(*_KEY)
    bound = sa.tuple_(sa.literal(after[0], type_=Submission.published_at.type),
                      sa.literal(after[1], type_=sa.BigInteger()))
    if backwards:
        condition = key >= bound if inclusive else key > bound
    else:
        condition = key <= bound if inclusive else key < bound
    return condition if query is None else query.where(condition)


def _cursor_of(story: Submission) -> str:
    return f"{story.published_at.isoformat()}|{story.id}"


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(published_at, id) from a cursor, or None for anything that is not one (a pasted or mangled address)."""
    if not cursor or len(cursor) > 80:
        return None
    at, _, story_id = cursor.partition("|")
    number = whole_number(story_id, 1)
    try:
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or number is None:
            return None
        return moment.astimezone(UTC), number
    except (ValueError, OverflowError):  # not a time, or one that UTC cannot hold (year 1 at UTC+14)
        return None


def clean_search(q: str | None) -> str:
    """A search as it is run: control characters out (NUL cannot go into a PostgreSQL text value), spaces
    folded, at most SEARCH_LENGTH characters."""
    return " ".join(_CONTROL.sub(" ", q or "").split())[:SEARCH_LENGTH].strip()


def search_condition(q: str):
    """What a search matches among published stories, or None when there is nothing to look for.

    Every word, and every "quoted phrase", must be in the headline, the dek or the body, however its Arabic is
    written (diacritics, hamza and alef forms, taa marbuta, tatweel, digits) and whatever the case: a substring
    of the story's normalised ``published_search_text`` (workflow/core/search_text.py), the same test on SQLite
    and PostgreSQL. The ``state = 'published'`` literal is the partial trigram index's
    (``ix_submissions_published_search``), so that the planner can use it. Terms hold letters, digits and
    spaces only: ``%`` and ``_`` are never wildcards.
    """
    terms = search_terms(clean_search(q), SEARCH_WORDS)
    return _matching(terms) if terms else None


def _matching(terms: list[str]):
    return sa.and_(sa.text(PUBLISHED_SEARCH_WHERE), holding(Submission.published_search_text, terms))


def public_contributor(public_id: str) -> User | None:
    """A contributor as readers know them: only someone with a published story has a public page (so that
    the page reveals nothing about accounts that never published)."""
    return db.session.scalar(
        sa.select(User).where(User.public_id == public_id, User.disabled_at.is_(None),
                              sa.exists().where(Submission.contributor_id == User.id,
                                                Submission.state == State.PUBLISHED)))


def sections() -> list[Section]:
    """Every section in the order of the site's navigation."""
    return list(db.session.scalars(sa.select(Section).order_by(Section.position, Section.name)))


def section_by_slug(slug: str) -> Section | None:
    return db.session.scalar(sa.select(Section).where(Section.slug == slug))


def section_page_of(slug: str) -> tuple[Section, int] | None:
    """The section at ``slug`` and how many of its stories are published, in the one query that finds it."""
    published = (sa.select(sa.func.count()).select_from(Submission)
                 .where(Submission.section_id == Section.id, Submission.state == State.PUBLISHED)
                 .correlate(Section).scalar_subquery())
    row = db.session.execute(sa.select(Section, published).where(Section.slug == slug)).first()
    return (row[0], row[1]) if row else None


def tag_by_slug(slug: str) -> Tag | None:
    return db.session.scalar(sa.select(Tag).where(Tag.slug == slug))


def give_address(story: Submission, revision) -> None:
    """A publishing step (``create_app`` adds it to the publish transition): the story's address, from the
    headline it is published under."""
    story.slug = slug_for(story, revision.headline)


def slug_for(story: Submission, headline: str) -> str:
    """The address of a story published under ``headline``: its slug if the headline still gives it, else a
    new one, and the old one is kept to redirect. Slugs are never given to two stories, past or present."""
    base = slug_of(headline, max_length=200, word_boundary=True) or f"story-{story.id}"
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


# Sections, as admins manage them ------------------------------------------------------------------------------

SECTION_NAME_LENGTH = 80


@dataclass
class SectionInput:
    name: str
    description: str = ""
    position: int = 0


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins manage the sections."))


def _section_name(data: SectionInput, section: Section | None = None) -> str:
    """The name, trimmed, if no other section has it (whatever its capitals)."""
    name = " ".join(data.name.split())
    if not name:
        raise DomainError(_("Give the section a name."), field="name")
    if len(name) > SECTION_NAME_LENGTH:
        raise DomainError(_("At most %(count)s characters.", count=format_number(SECTION_NAME_LENGTH)), field="name")
    if not slug_of(name):
        raise DomainError(_("The name needs at least one letter or digit: it makes the section's address."),
                          field="name")
    same = sa.select(Section.id).where(sa.func.lower(Section.name) == name.lower())
    if section is not None:
        same = same.where(Section.id != section.id)
    if db.session.scalar(same) is not None:
        raise DomainError(_("There is already a section called “%(name)s”. Choose another name.", name=name),
                          field="name")
    return name


def _flush_section(section: Section) -> None:
    """Flush, turning a name or address taken meanwhile (by another admin) into the same clear refusal."""
    try:
        with db.session.begin_nested():
            db.session.add(section)
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise DomainError(_("There is already a section called “%(name)s”. Choose another name.",
                            name=section.name),
                          field="name") from exc


def create_section(actor: User, data: SectionInput) -> Section:
    """A new section; its address (slug) comes from the name and is never the address of another section."""
    _check_admin(actor)
    name = _section_name(data)
    base = slug_of(name, max_length=SECTION_NAME_LENGTH - 4, word_boundary=True)
    slug, n = base, 1
    while db.session.scalar(sa.select(Section.id).where(Section.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    section = Section(slug=slug, name=name, description=data.description.strip(), position=data.position)
    _flush_section(section)
    record_admin_action(actor, "create_section", f"section {section.id}", slug, {"slug": slug})
    log.info("section %s created by user %s", slug, actor.id)
    return section


def update_section(actor: User, section: Section, data: SectionInput) -> None:
    """Rename, describe or move a section. Its address stays the same, so links to it keep working."""
    _check_admin(actor)
    section.name = _section_name(data, section)
    section.description = data.description.strip()
    section.position = data.position
    _flush_section(section)
    record_admin_action(actor, "update_section", f"section {section.id}", section.slug, {"slug": section.slug})
    log.info("section %s updated by user %s", section.slug, actor.id)


def stories_in_section(section: Section) -> tuple[int, int]:
    """How many stories belong to the section: (all of them, the published ones)."""
    return stories_per_section().get(section.id, (0, 0)) if section.id else (0, 0)


def stories_per_section() -> dict[int, tuple[int, int]]:
    """For each section with stories: (how many, how many published), in one query."""
    published = sa.func.sum(sa.case((Submission.state == State.PUBLISHED, 1), else_=0))
    rows = db.session.execute(sa.select(Submission.section_id, sa.func.count(), published)
                              .where(Submission.section_id.is_not(None)).group_by(Submission.section_id))
    return {section_id: (total, int(live or 0)) for section_id, total, live in rows}


def delete_section(actor: User, section: Section) -> int:
    """Delete a section; its stories stay, with no section. Returns how many stories it held.

    The stories are moved out here rather than left to the foreign key's ON DELETE SET NULL, so that their
    version moves: their pages' ETags change, and an editor with one open sees that it changed.
    """
    _check_admin(actor)
    moved = db.session.execute(
        sa.update(Submission).where(Submission.section_id == section.id)
        .values(section_id=None, version=Submission.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    record_admin_action(actor, "delete_section", f"section {section.id}", f"{section.slug}, {moved} stories moved out",
                        {"slug": section.slug, "moved": moved})
    db.session.delete(section)
    db.session.flush()
    log.info("section %s deleted by user %s (%d stories moved out)", section.slug, actor.id, moved)
    return moved

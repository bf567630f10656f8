"""The editor queue: filters, search, sort orders and keyset pagination over submissions.

Paging is by keyset (``WHERE (sort_key, id) > (:last_key, :last_id)``), so page 2,000 costs what page 1
does. A page costs a fixed number of queries whatever its size: the rows with their people joined in one
query, and the counts per state in another (read from the counters the database keeps, unless a filter
other than the state narrows the queue) (plus, only when a cursor leads nowhere, the first page again).
Cursors are opaque base64 JSON ``[sort kind, key, id]``; anything that does not decode to a sensible position
for the current sort shows the first page. ``bench/queue_queries.py`` measures the query count at scale.

The desk promises an answer to every pitch within ``WORKFLOW_RESPONSE_PROMISE_DAYS``: :class:`ResponsePromise`
says when a pitch is due an answer and whether the desk is late; the queue flags late pitches and filters them
("Past our promise") with ``state = 'pitched' AND pitched_at < :cutoff``, which the index
``ix_submissions_state_pitched`` serves.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from workflow.core.models import utcnow
from workflow.core.search_text import holding, search_terms
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions.counts import state_counts
from workflow.submissions.models import Submission, is_overdue
from workflow.submissions.workflow import State

FAR_FUTURE = date(9999, 12, 31)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

SORTS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "deadline": _l("Deadline"),
    "activity": _l("Last activity"),
}
ASSIGNEES = {"anyone": _l("Anyone"), "me": _l("Assigned to me"), "unassigned": _l("Unassigned")}


@dataclass(frozen=True)
class ResponsePromise:
    """The desk's promise to answer every pitch within ``days``, as it stands at ``now``."""

    days: int
    now: datetime

    @property
    def cutoff(self) -> datetime:
        """A pitch that entered the pitched state before this moment is past the promise."""
        return self.now - timedelta(days=self.days)

    def answer_by(self, submission: Submission) -> datetime:
        return submission.pitched_at + timedelta(days=self.days)

    def is_past(self, submission: Submission) -> bool:
        return submission.state is State.PITCHED and submission.pitched_at < self.cutoff

    def past_condition(self):
        """The SQL for "pitched and waiting past the promise" (served by ``ix_submissions_state_pitched``)."""
        return sa.and_(Submission.state == State.PITCHED, Submission.pitched_at < self.cutoff)


def response_promise(now: datetime | None = None) -> ResponsePromise:
    """The promise configured in ``WORKFLOW_RESPONSE_PROMISE_DAYS``, as of ``now`` (default: the clock)."""
    return ResponsePromise(days=current_app.config["RESPONSE_PROMISE_DAYS"], now=now or utcnow())


@dataclass(frozen=True)
class QueueFilters:
    state: State | None = None
    assignee: str = "anyone"
    overdue: bool = False
    late: bool = False  # pitches waiting past the response promise
    q: str = ""
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        """Read filters from query arguments; anything unknown falls back to the default."""
        try:
            state = State(args.get("state")) if args.get("state") else None
        except ValueError:
            state = None
        assignee = args.get("assignee", "anyone")
        sort = args.get("sort", "newest")
        return cls(
            state=state,
            assignee=assignee if assignee in ASSIGNEES else "anyone",
            overdue=args.get("overdue") in ("1", "on", "true"),
            late=args.get("late") in ("1", "on", "true"),
            # NUL cannot go into a PostgreSQL text value; other control characters are no use in a search.
            q=_CONTROL.sub(" ", args.get("q") or "").strip()[:200],
            sort=sort if sort in SORTS else "newest",
        )

    def to_args(self) -> dict:
        args = {}
        if self.state:
            args["state"] = self.state.value
        if self.assignee != "anyone":
            args["assignee"] = self.assignee
        if self.overdue:
            args["overdue"] = "1"
        if self.late:
            args["late"] = "1"
        if self.q:
            args["q"] = self.q
        if self.sort != "newest":
            args["sort"] = self.sort
        return args

    def query_string(self) -> str:
        return urlencode(self.to_args())

    @classmethod
    def canonical(cls, query: str) -> str:
        """A query string as the queue itself writes it: the filters it names, anything else left out (a line
        break pasted into a saved view's query must not reach a ``Location`` header)."""
        return cls.from_args(MultiDict(parse_qsl(query[:2000]))).query_string()

    def with_state(self, state: State | None) -> QueueFilters:
        return replace(self, state=state)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What a row of the queue shows, and nothing more: plain values, no ORM object (a page builds 50 of them
    per request, and the stories' texts and the people's other columns stay in the database)."""

    id: int
    headline: str
    state: State
    created_at: datetime
    pitched_at: datetime
    deadline: date | None
    last_activity_at: datetime
    last_activity: str  # a code of workflow/submissions/activity.py
    contributor_name: str
    editor_name: str | None
    last_activity_name: str | None  # who did it

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.state, self.deadline)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[State, int]
    total: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    filters: QueueFilters = field(default_factory=QueueFilters)
    promise: ResponsePromise | None = None


def _sort_key(sort: str):
    if sort in ("newest", "oldest"):
        return Submission.created_at
    if sort == "deadline":
        return sa.func.coalesce(Submission.deadline, FAR_FUTURE)
    return Submission.last_activity_at


def _descending(sort: str) -> bool:
    return sort in ("newest", "activity")


def _key_value(submission: Submission, sort: str):
    if sort in ("newest", "oldest"):
        return submission.created_at
    if sort == "deadline":
        return submission.deadline or FAR_FUTURE
    return submission.last_activity_at


# A cursor names its sort: a cursor carried over from another sort (or made up) shows the first page.
_CURSOR_KIND = {"newest": "c", "oldest": "c", "deadline": "d", "activity": "a"}
_MAX_ID = 2**63 - 1


def encode_cursor(sort: str, value, row_id: int) -> str:
    raw = json.dumps([_CURSOR_KIND[sort], value.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str):
    """Return (key value, id), or None for a cursor that does not parse (then the first page is shown).

    Anything a person could paste is checked before it reaches the database: the shape, the sort it was
    made for, a timezone-aware time (or a date for the deadline sort) and an id that fits a BIGINT.
    """
    try:
        if not cursor or len(cursor) > 200:
            return None
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(data, list) or len(data) != 3:
            return None
        kind, text, row_id = data
        if kind != _CURSOR_KIND[sort] or not isinstance(text, str) or type(row_id) is not int:
            return None
        if not 0 < row_id <= _MAX_ID:
            return None
        if sort == "deadline":
            return date.fromisoformat(text), row_id
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            return None
        return value.astimezone(UTC), row_id
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):  # binascii.Error and JSON errors too
        return None


def _search_condition(q: str):
    """Every word of the search, and every "quoted phrase", in the headline or the summary, however its Arabic
    is written (diacritics, hamza and alef forms, taa marbuta, tatweel, digits) and whatever the case.

    Each term is a substring of the story's normalised ``search_text`` (workflow/core/search_text.py), the
    same test on SQLite and PostgreSQL; on PostgreSQL the trigram index ``ix_submissions_search`` serves it.
    Terms hold letters, digits and spaces only, so ``%`` and ``_`` are never wildcards; a search with no
    letter nor digit finds nothing. A word after a minus sign is one the story must not hold.
    """
    terms = search_terms(q)
    if not terms:
        return sa.false()
    return holding(Submission.search_text, terms)


def _filter_conditions(filters: QueueFilters, viewer: User, promise: ResponsePromise,
                       include_state: bool = True) -> list:
    conditions = []
    if include_state and filters.state is not None:
        conditions.append(Submission.state == filters.state)
    if filters.assignee == "me":
        conditions.append(Submission.editor_id == viewer.id)
    elif filters.assignee == "unassigned":
        conditions.append(Submission.editor_id.is_(None))
    if filters.overdue:
        conditions.append(Submission.state == State.ASSIGNED)
        conditions.append(Submission.deadline < promise.now.date())
    if filters.late:
        conditions.append(promise.past_condition())
    if filters.q:
        conditions.append(_search_condition(filters.q))
    return conditions


def counts_by_state(filters: QueueFilters, viewer: User, promise: ResponsePromise | None = None) -> dict[State, int]:
    """Submissions in each state that match the filters other than the state: the whole desk's come from the
    counters the database keeps (workflow/submissions/counts.py); a narrowed queue counts its own rows."""
    conditions = _filter_conditions(filters, viewer, promise or response_promise(), include_state=False)
    if not conditions:
        return state_counts()
    query = sa.select(Submission.state, sa.func.count()).group_by(Submission.state).where(*conditions)
    counts = {state: 0 for state in State}
    for state, count in db.session.execute(query):
        counts[state] = count
    return counts


@cache
def _people_aliases():
    """The contributor's, the editor's and the last actor's aliases, made once (an alias is a tree of new
    objects), and not at import: making one configures every mapper, which needs every feature's models loaded."""
    return aliased(User), aliased(User), aliased(User)


def _rows_query() -> sa.Select:
    """The columns of :class:`QueueRow`, in its order, with the contributor's, the editor's and the last actor's
    names joined."""
    contributor, editor, actor = _people_aliases()
    return (sa.select(Submission.id, Submission.headline, Submission.state, Submission.created_at,
                      Submission.pitched_at, Submission.deadline, Submission.last_activity_at,
                      Submission.last_activity, contributor.display_name, editor.display_name, actor.display_name)
            .join(contributor, contributor.id == Submission.contributor_id)
            .outerjoin(editor, editor.id == Submission.editor_id)
            .outerjoin(actor, actor.id == Submission.last_activity_by_id))


def queue_page(filters: QueueFilters, viewer: User, *, after: str | None = None, before: str | None = None,
               page_size: int = 50, promise: ResponsePromise | None = None) -> QueuePage:
    """One page of the queue, with cursors to the next and previous pages and the counts per state.

    ``after`` pages forward from a row, ``before`` backward. A cursor that does not parse, or that leads to
    an empty page (the rows it pointed at are gone), shows the first page instead of an error or a blank.
    The page carries the response ``promise`` it was measured against, so the rows past it can be flagged.
    """
    promise = promise or response_promise()
    query = _rows_query()
    for condition in _filter_conditions(filters, viewer, promise):
        query = query.where(condition)

    cursor = decode_cursor(before, filters.sort) if before else decode_cursor(after, filters.sort) if after else None
    backwards = bool(before) and cursor is not None
    rows, has_more = _fetch(query, filters.sort, cursor, backwards, page_size)
    if cursor is not None and (not rows or (backwards and not has_more and len(rows) < page_size)):
        # Nothing there any more, or Previous ran into the start with a short page: show the real first page.
        cursor, backwards = None, False
        rows, has_more = _fetch(query, filters.sort, None, False, page_size)

    counts = counts_by_state(filters, viewer, promise)
    total = counts[filters.state] if filters.state else sum(counts.values())
    page = QueuePage(rows=rows, counts=counts, total=total, filters=filters, promise=promise)
    if rows:
        first, last = rows[0], rows[-1]
        if has_more or backwards:
            page.next_cursor = encode_cursor(filters.sort, _key_value(last, filters.sort), last.id)
        if cursor is not None and (has_more or not backwards):
            page.prev_cursor = encode_cursor(filters.sort, _key_value(first, filters.sort), first.id)
    return page


def _literal_limit(n: int) -> sa.ColumnElement:
    """LIMIT written into the SQL, not bound: PostgreSQL plans a prepared statement once (a generic plan) only
    when it knows how few rows are wanted; with a bound LIMIT it would plan every page again."""
    return sa.literal_column(str(int(n)), sa.Integer)


def _fetch(query, sort: str, cursor, backwards: bool, page_size: int) -> tuple[list[QueueRow], bool]:
    """One page of rows in display order, and whether more rows lie beyond it in the direction of travel."""
    key = _sort_key(sort)
    descending = _descending(sort)
    if cursor is not None:
        row_key = sa.tuple_(key, Submission.id)
        bound = sa.tuple_(sa.literal(cursor[0], type_=key.type), sa.literal(cursor[1], type_=sa.BigInteger()))
        # Forward in a descending sort means smaller keys; backward flips the comparison and the order.
        smaller = descending != backwards
        query = query.where(row_key < bound if smaller else row_key > bound)
    reverse = descending != backwards
    order = (key.desc(), Submission.id.desc()) if reverse else (key.asc(), Submission.id.asc())
    rows = [QueueRow(*values)
            for values in db.session.execute(query.order_by(*order).limit(_literal_limit(page_size + 1)))]
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    return rows, has_more

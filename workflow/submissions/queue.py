"""The editor queue: filters, search, sort orders and keyset pagination over submissions.

Paging is by keyset (``WHERE (sort_key, id) > (:last_key, :last_id)``), so page 2,000 costs what page 1
does. A page costs a fixed number of queries whatever its size: the rows with their people joined in one
query, and the counts per state in another.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload

from workflow.auth.models import User
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.submissions.models import SEARCH_DOCUMENT_SQL, Submission
from workflow.submissions.workflow import State

FAR_FUTURE = date(9999, 12, 31)

SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "deadline": "Deadline",
    "activity": "Last activity",
}
ASSIGNEES = {"anyone": "Anyone", "me": "Assigned to me", "unassigned": "Unassigned"}


@dataclass(frozen=True)
class QueueFilters:
    state: State | None = None
    assignee: str = "anyone"
    overdue: bool = False
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
            q=(args.get("q") or "").strip()[:200],
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
        if self.q:
            args["q"] = self.q
        if self.sort != "newest":
            args["sort"] = self.sort
        return args

    def query_string(self) -> str:
        return urlencode(self.to_args())

    def with_state(self, state: State | None) -> QueueFilters:
        return replace(self, state=state)


@dataclass
class QueuePage:
    rows: list[Submission]
    counts: dict[State, int]
    total: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    filters: QueueFilters = field(default_factory=QueueFilters)


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


def encode_cursor(value, row_id: int) -> str:
    raw = json.dumps([value.isoformat(), row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str):
    """Return (key value, id), or None for a cursor that does not parse (then the first page is shown)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        value = date.fromisoformat(text) if sort == "deadline" else datetime.fromisoformat(text)
        return value, int(row_id)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _search_condition(q: str):
    if db.engine.dialect.name == "postgresql":
        return sa.text(SEARCH_DOCUMENT_SQL).op("@@")(sa.func.websearch_to_tsquery(sa.literal_column("'english'"), q))
    conditions = []
    for word in q.split()[:8]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(sa.or_(Submission.headline.ilike(pattern, escape="\\"),
                                 Submission.summary.ilike(pattern, escape="\\")))
    return sa.and_(*conditions)


def _filter_conditions(filters: QueueFilters, viewer: User, include_state: bool = True) -> list:
    conditions = []
    if include_state and filters.state is not None:
        conditions.append(Submission.state == filters.state)
    if filters.assignee == "me":
        conditions.append(Submission.editor_id == viewer.id)
    elif filters.assignee == "unassigned":
        conditions.append(Submission.editor_id.is_(None))
    if filters.overdue:
        conditions.append(Submission.state == State.ASSIGNED)
        conditions.append(Submission.deadline < utcnow().date())
    if filters.q:
        conditions.append(_search_condition(filters.q))
    return conditions


def counts_by_state(filters: QueueFilters, viewer: User) -> dict[State, int]:
    query = sa.select(Submission.state, sa.func.count()).group_by(Submission.state)
    for condition in _filter_conditions(filters, viewer, include_state=False):
        query = query.where(condition)
    counts = {state: 0 for state in State}
    for state, count in db.session.execute(query):
        counts[state] = count
    return counts


def queue_page(filters: QueueFilters, viewer: User, *, after: str | None = None, before: str | None = None,
               page_size: int = 50) -> QueuePage:
    """One page of the queue, with cursors to the next and previous pages and the counts per state."""
    key = _sort_key(filters.sort)
    descending = _descending(filters.sort)
    query = (
        sa.select(Submission)
        .options(joinedload(Submission.contributor), joinedload(Submission.editor),
                 joinedload(Submission.last_activity_by), raiseload("*"))
    )
    for condition in _filter_conditions(filters, viewer):
        query = query.where(condition)

    cursor = decode_cursor(before, filters.sort) if before else decode_cursor(after, filters.sort) if after else None
    backwards = bool(before) and cursor is not None
    if cursor is not None:
        row_key = sa.tuple_(key, Submission.id)
        bound = sa.tuple_(sa.literal(cursor[0], type_=key.type), sa.literal(cursor[1]))
        forward_is_less = descending
        if backwards:
            forward_is_less = not forward_is_less
        query = query.where(row_key < bound if forward_is_less else row_key > bound)

    reverse = descending != backwards
    order = (key.desc(), Submission.id.desc()) if reverse else (key.asc(), Submission.id.asc())
    rows = list(db.session.scalars(query.order_by(*order).limit(page_size + 1)).unique())
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()

    counts = counts_by_state(filters, viewer)
    total = counts[filters.state] if filters.state else sum(counts.values())
    page = QueuePage(rows=rows, counts=counts, total=total, filters=filters)
    if rows:
        first, last = rows[0], rows[-1]
        if has_more or backwards:
            page.next_cursor = encode_cursor(_key_value(last, filters.sort), last.id)
        if cursor is not None and (has_more or not backwards):
            page.prev_cursor = encode_cursor(_key_value(first, filters.sort), first.id)
    return page

"""The desk's own figures for editors: how long stories wait in each state, how many pitches are taken, how
many arrive each week, and what each editor carries.

Everything is read for a bounded period (the last few weeks), through indexes on the time columns, so the page
costs what the period holds and not what ten years of history hold: at a million submissions it reads the
period's audit rows and pitches, plus the stories now in hand.

Time in a state is measured on the stories that *left* it during the period: from the audit entry that moved
a story into the state to the one that moved it out (the audit trail is the only record of when a state was
entered). Stories still waiting are not in it; the queue shows those.

Even bounded, a busy period is a lot of rows (at a million submissions, twelve weeks of the bench's history
hold 200,000 audit entries: about a second of work). So beat works the figures out ahead, every
``DESK_METRICS_REFRESH_SECONDS``, into ``desk_metrics_snapshots``, one row per period, and the page reads that
row. When the row is missing or older than two refreshes (beat is not running: the quick start without a
worker, a test), the page works the figures out itself; it never writes on a GET.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.core import database
from workflow.core.models import utcnow
from workflow.core.transaction import unit_of_work
from workflow.extensions import db
from workflow.people.models import Role, User
from workflow.submissions.models import PAGE_ACTIONS, AuditEntry, MetricsSnapshot, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

PERIODS = {4: "4 weeks", 12: "12 weeks", 26: "26 weeks", 52: "52 weeks"}  # the periods offered, in weeks


def periods() -> dict[int, str]:
    """The periods offered, named in the reader's language ("12 weeks")."""
    return {weeks: ngettext("%(num)d week", "%(num)d weeks", weeks) for weeks in PERIODS}

DEFAULT_WEEKS = 12
QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class StateTime:
    state: State
    stories: int  # how many times a story left the state during the period
    median: timedelta
    p90: timedelta


@dataclass(frozen=True)
class Week:
    starts: date
    pitches: int


@dataclass(frozen=True)
class EditorLoad:
    editor_id: int
    name: str
    active: bool
    assigned: int  # being written or revised now
    overdue: int  # of those, past their deadline
    edited: int  # ready, waiting to be published
    decided: int  # pitches this editor took or declined during the period
    published: int  # stories this editor published during the period

    @property
    def in_hand(self) -> int:
        return self.assigned + self.edited


@dataclass(frozen=True)
class DeskMetrics:
    weeks: int
    since: datetime
    until: datetime
    state_times: list[StateTime]
    accepted: int
    declined: int
    withdrawn_before_decision: int
    pitches_per_week: list[Week]
    editors: list[EditorLoad]
    from_snapshot: bool = False

    @property
    def decided(self) -> int:
        return self.accepted + self.declined

    @property
    def acceptance_rate(self) -> float | None:
        """Of the pitches an editor decided on during the period, the share taken (None when none was)."""
        return self.accepted / self.decided if self.decided else None

    @property
    def pitches(self) -> int:
        return sum(week.pitches for week in self.pitches_per_week)

    @property
    def busiest_week(self) -> int:
        return max((week.pitches for week in self.pitches_per_week), default=0)


def desk_metrics(weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> DeskMetrics:
    """The figures for the last ``weeks`` whole weeks (Monday to Sunday, UTC), the current one included."""
    if weeks not in PERIODS:
        raise ValueError(f"period of {weeks} weeks is not offered")
    now = now or utcnow()
    first_monday = now.date() - timedelta(days=now.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, time(), tzinfo=now.tzinfo)
    outcomes = _pitch_outcomes(since)
    return DeskMetrics(
        weeks=weeks, since=since, until=now,
        state_times=_state_times(since),
        accepted=outcomes[State.ASSIGNED], declined=outcomes[State.DECLINED],
        withdrawn_before_decision=outcomes[State.WITHDRAWN],
        pitches_per_week=_pitches_per_week(first_monday, weeks, since),
        editors=_editor_loads(since, now.date()),
    )


# --- time in each state -------------------------------------------------------------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _state_times(since: datetime) -> list[StateTime]:
    transitions = AuditEntry.action.not_in(list(PAGE_ACTIONS))
    moved_in_period = (sa.select(AuditEntry.submission_id)
                       .where(AuditEntry.created_at >= since, AuditEntry.from_state.is_not(None), transitions))
    # Each transition of those stories, beside the one before it: the moment it entered the state it now leaves.
    entered = sa.func.lag(AuditEntry.created_at).over(partition_by=AuditEntry.submission_id,
                                                      order_by=(AuditEntry.created_at, AuditEntry.id))
    steps = (sa.select(AuditEntry.from_state.label("state"), AuditEntry.created_at.label("left"),
                       entered.label("entered"))
             .where(AuditEntry.submission_id.in_(moved_in_period), transitions)
             .subquery())
    left_in_period = sa.and_(steps.c.left >= since, steps.c.state.is_not(None), steps.c.entered.is_not(None))

    if _is_postgresql():
        seconds = sa.extract("epoch", steps.c.left - steps.c.entered)
        rows = db.session.execute(
            sa.select(steps.c.state, sa.func.count(),
                      *(sa.func.percentile_cont(q).within_group(seconds) for q in QUANTILES))
            .where(left_in_period).group_by(steps.c.state)
        ).all()
        figures = {state: (count, quantiles) for state, count, *quantiles in rows}
    else:  # SQLite has no percentile aggregate: the embedded default holds small numbers, so count them here
        seconds = (sa.func.julianday(steps.c.left) - sa.func.julianday(steps.c.entered)) * 86400
        samples: dict[State, list[float]] = {}
        for state, value in db.session.execute(sa.select(steps.c.state, seconds).where(left_in_period)):
            samples.setdefault(state, []).append(value)
        figures = {state: (len(values), [percentile_cont(values, q) for q in QUANTILES])
                   for state, values in samples.items()}

    result = []
    for state in State:
        count, quantiles = figures.get(state, (0, None))
        if count:
            median, p90 = (timedelta(seconds=round(max(value, 0))) for value in quantiles)
            result.append(StateTime(state, count, median, p90))
    return result


def percentile_cont(values: list[float], q: float) -> float:
    """PostgreSQL's ``percentile_cont``: the value at fraction ``q`` of the sorted values, interpolated."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


# --- pitches: how many arrive, how many are taken ----------------------------------------------------------

def _pitch_outcomes(since: datetime) -> Counter:
    """How the pitches decided during the period went: taken (assigned), declined, or withdrawn first."""
    rows = db.session.execute(
        sa.select(AuditEntry.to_state, sa.func.count())
        .where(AuditEntry.created_at >= since, AuditEntry.from_state == State.PITCHED,
               AuditEntry.to_state != State.PITCHED)
        .group_by(AuditEntry.to_state)
    ).all()
    return Counter(dict(rows))


def _pitches_per_week(first_monday: date, weeks: int, since: datetime) -> list[Week]:
    day = _utc_day(Submission.created_at)
    per_day = db.session.execute(
        sa.select(day, sa.func.count()).where(Submission.created_at >= since).group_by(day)
    ).all()
    counts = Counter()
    for value, count in per_day:
        value = value if isinstance(value, date) else date.fromisoformat(value)
        counts[(value - first_monday).days // 7] += count
    return [Week(first_monday + timedelta(weeks=n), counts[n]) for n in range(weeks)]


def _utc_day(column) -> sa.ColumnElement:
    if _is_postgresql():
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite keeps UTC times as text


# --- each editor's load --------------------------------------------------------------------------------------

def _editor_loads(since: datetime, today: date) -> list[EditorLoad]:
    editors = db.session.scalars(sa.select(User).where(User.role.in_([Role.EDITOR, Role.ADMIN]))).all()
    in_hand = {(editor_id, state): (count, overdue) for editor_id, state, count, overdue in db.session.execute(
        sa.select(Submission.editor_id, Submission.state, sa.func.count(),
                  sa.func.count().filter(Submission.deadline < today))
        .where(Submission.state.in_([State.ASSIGNED, State.EDITED]), Submission.editor_id.is_not(None))
        .group_by(Submission.editor_id, Submission.state)
    )}
    done = {(actor_id, action): count for actor_id, action, count in db.session.execute(
        sa.select(AuditEntry.actor_id, AuditEntry.action, sa.func.count())
        .where(AuditEntry.created_at >= since,
               sa.or_(AuditEntry.from_state == State.PITCHED, AuditEntry.action == "publish"),
               AuditEntry.action.in_(["assign", "decline", "publish"]))
        .group_by(AuditEntry.actor_id, AuditEntry.action)
    )}
    loads = [EditorLoad(
        editor_id=editor.id, name=editor.display_name, active=editor.is_active,
        assigned=in_hand.get((editor.id, State.ASSIGNED), (0, 0))[0],
        overdue=in_hand.get((editor.id, State.ASSIGNED), (0, 0))[1],
        edited=in_hand.get((editor.id, State.EDITED), (0, 0))[0],
        decided=done.get((editor.id, "assign"), 0) + done.get((editor.id, "decline"), 0),
        published=done.get((editor.id, "publish"), 0),
    ) for editor in editors]
    # A disabled editor stays on the list only while the figures still hold their work.
    loads = [load for load in loads if load.active or load.in_hand or load.decided or load.published]
    return sorted(loads, key=lambda load: (-load.in_hand, -load.decided, load.name.lower()))


# --- worked out ahead by beat ---------------------------------------------------------------------------------

def current(weeks: int = DEFAULT_WEEKS) -> DeskMetrics:
    """The figures for the page: beat's, while they are fresh (at most two refreshes old); else worked out now."""
    snapshot = db.session.get(MetricsSnapshot, weeks)
    oldest = utcnow() - 2 * timedelta(seconds=current_app.config["DESK_METRICS_REFRESH_SECONDS"])
    if snapshot is not None and snapshot.computed_at >= oldest:
        return _from_json(snapshot.figures)
    return desk_metrics(weeks)


def refresh_snapshots() -> int:
    """Work out every period's figures and keep them (beat's task); returns how many periods were written."""
    return database.again_if_sqlite_is_busy(db.session, _refresh_snapshots, "desk metrics refresh")


def _refresh_snapshots() -> int:
    insert = (postgresql_insert if _is_postgresql() else sqlite_insert)(MetricsSnapshot)
    upsert = insert.on_conflict_do_update(index_elements=["weeks"], set_={
        "computed_at": insert.excluded.computed_at, "figures": insert.excluded.figures})
    with unit_of_work():
        for weeks in PERIODS:
            figures = desk_metrics(weeks)
            db.session.execute(upsert, {"weeks": weeks, "computed_at": figures.until, "figures": _to_json(figures)})
    log.info("desk metrics refreshed for %d periods", len(PERIODS))
    return len(PERIODS)


def _to_json(m: DeskMetrics) -> dict:
    return {
        "weeks": m.weeks, "since": m.since.isoformat(), "until": m.until.isoformat(),
        "state_times": [[t.state.value, t.stories, t.median.total_seconds(), t.p90.total_seconds()]
                        for t in m.state_times],
        "accepted": m.accepted, "declined": m.declined, "withdrawn_before_decision": m.withdrawn_before_decision,
        "pitches_per_week": [[w.starts.isoformat(), w.pitches] for w in m.pitches_per_week],
        "editors": [[e.editor_id, e.name, e.active, e.assigned, e.overdue, e.edited, e.decided, e.published]
                    for e in m.editors],
    }


def _from_json(data: dict) -> DeskMetrics:
    return DeskMetrics(
        weeks=data["weeks"], since=datetime.fromisoformat(data["since"]),
        until=datetime.fromisoformat(data["until"]),
        state_times=[StateTime(State(state), stories, timedelta(seconds=median), timedelta(seconds=p90))
                     for state, stories, median, p90 in data["state_times"]],
        accepted=data["accepted"], declined=data["declined"],
        withdrawn_before_decision=data["withdrawn_before_decision"],
        pitches_per_week=[Week(date.fromisoformat(starts), pitches) for starts, pitches in data["pitches_per_week"]],
        editors=[EditorLoad(*row) for row in data["editors"]],
        from_snapshot=True,
    )


def readable_duration(value: timedelta) -> str:
    """“45 min”, “5 h”, “3.5 days”: as precise as a person reading a dashboard needs."""
    seconds = value.total_seconds()
    if seconds < 3600:
        # Translators: minutes, shortened ("45 min")
        return _("%(num)s min", num=max(round(seconds / 60), 1) if seconds else 0)
    if seconds < 48 * 3600:
        # Translators: hours, shortened ("5 h")
        return _("%(num)s h", num=round(seconds / 3600))
    days = seconds / 86400
    return ngettext("%(days)s day", "%(days)s days", round(days), days=f"{days:.1f}" if days < 10 else round(days))


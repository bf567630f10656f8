"""How many submissions are in each state, kept by the database itself.

``submission_state_counts`` holds one row per state. Triggers on ``submissions`` (made by the migration
``state counts``, for PostgreSQL and SQLite) add and take away as rows are inserted, deleted or change state, in
the same transaction, so the counts are never stale and never drift, whatever path changed the row (a
transition, an account's deletion, the benchmark's bulk load). The queue reads them in one primary-key lookup
instead of counting a million rows; a queue narrowed by anything but the state still counts its own rows.

The triggers upsert (a state with no row yet gets one) and, when a row changes state, touch the two counters
in the order of their names, so two transactions going opposite ways (edited → assigned and assigned → edited)
cannot deadlock on them.
"""

from __future__ import annotations

import sqlalchemy as sa

from workflow.extensions import db
from workflow.submissions.models import StateCount, Submission
from workflow.submissions.workflow import State


def state_counts() -> dict[State, int]:
    """Submissions in each state, every state present (0 when there are none)."""
    counts = dict.fromkeys(State, 0)
    for state, count in db.session.execute(sa.select(StateCount.state, StateCount.count)):
        counts[state] = max(count, 0)
    return counts


def recount_states(connection: sa.Connection) -> None:
    """Set the counters from the rows themselves (after a bulk load that ran with the triggers off)."""
    table = StateCount.__table__
    connection.execute(table.delete())
    rows = connection.execute(sa.select(Submission.state, sa.func.count()).group_by(Submission.state)).all()
    if rows:
        connection.execute(table.insert(), [{"state": state, "count": count} for state, count in rows])

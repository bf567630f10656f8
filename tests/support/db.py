"""The database between tests: every table emptied, and a fingerprint of every row."""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa

from workflow.core import sealed
from workflow.extensions import db


def empty_tables(app) -> None:
    """Delete every row (what ``clean_db`` does after each test).

    The worker may still be recording a delivery from the test that just ended. On PostgreSQL the tables
    are locked parents first, the order in which the worker takes them, so that the two never deadlock; a
    deadlock anyway is tried again.
    """
    sealed.forget_cached_keys()  # whose data key is whose: the table that says so is emptied too
    with app.app_context():
        db.session.remove()
        parents_first = [t.name for t in db.metadata.sorted_tables]
        tables = list(reversed(parents_first))
        for attempt in range(10):
            try:
                with db.engine.begin() as connection:
                    if connection.dialect.name == "postgresql":
                        connection.execute(sa.text(f"LOCK TABLE {', '.join(parents_first)} IN ACCESS EXCLUSIVE MODE"))
                        # Ids go on counting: a task left over from an earlier test finds no row of this one.
                        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                    else:
                        for table in tables:
                            connection.execute(sa.text(f"DELETE FROM {table}"))
                        # Deleting submissions counted them down (the triggers): the counters go last.
                        connection.execute(sa.text("DELETE FROM submission_state_counts"))
                return
            except sa.exc.OperationalError:
                if attempt == 9:
                    raise
                time.sleep(0.2)


# The Celery worker of the test session goes on delivering the emails the fixture's actions wrote, meanwhile:
# what it writes (the delivery columns of the outbox, and its ledger) is left out; what requests write is not.
DELIVERY_COLUMNS = {"status", "attempts", "queued_at", "attempts_at_retry", "next_attempt_at", "locked_until",
                    "sent_at", "last_error", "server_reply"}
WORKER_TABLES = {"delivery_attempts"}
# A session's last-seen time is bookkeeping that any request may write (at most once a minute), a GET too.
BOOKKEEPING_COLUMNS = {("user_sessions", "last_seen_at")}


def fingerprint(app) -> str:
    """A hash of every row of every table: equal before and after means no request changed anything."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in WORKER_TABLES:
                continue
            columns = [c for c in table.columns if not (table.name == "notifications" and c.name in DELIVERY_COLUMNS)
                       and (table.name, c.name) not in BOOKKEEPING_COLUMNS]
            order = list(table.primary_key.columns) or columns
            for row in db.session.execute(sa.select(*columns).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
        db.session.remove()
    return digest.hexdigest()

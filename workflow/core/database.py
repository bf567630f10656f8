"""Engine set-up that differs by database."""

import logging
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets the web process read while the worker writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def lock_for_writing(session) -> None:
    """On SQLite, begin the session's transaction by taking the database's write lock (``BEGIN IMMEDIATE``).

    A SQLite transaction in WAL mode that reads and then writes is refused at once ("database is locked",
    without waiting) if another process committed in between: its snapshot is stale. Runs that read what they
    are about to write (the schedule's reminders and digests, the newsletter) begin with the write lock
    instead, so that another writer waits for them (``busy_timeout``) and they for it. Nothing on PostgreSQL,
    nor when the session's connection is already inside a transaction.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.connection.dbapi_connection.in_transaction:
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def again_if_sqlite_is_busy(session, run, what: str, attempts: int = 5):
    """``run()`` holding SQLite's write lock from its start (:func:`lock_for_writing`), and again, up to
    ``attempts`` times, if SQLite still answered "database is locked" (another process held the lock longer
    than the busy timeout). ``run`` must be idempotent. Other errors, and any error on PostgreSQL, go up."""
    for attempt in range(1, attempts + 1):
        try:
            lock_for_writing(session)
            return run()
        except OperationalError as exc:
            session.rollback()
            if session.get_bind().dialect.name != "sqlite" or "locked" not in str(exc.orig) or attempt == attempts:
                raise
            log.warning("SQLite was busy (%s); starting the %s again (attempt %s of %s)", exc.orig, what,
                        attempt + 1, attempts)
    raise AssertionError("unreachable")

"""One commit per request, in one place.

Views and services only ``flush()``. After a state-changing request whose response is a success or a
redirect, the session is committed here; any other outcome (a form error answered with 422, a conflict, an
exception) rolls everything back. Work that must leave the building only after the commit (enqueuing mail)
registers itself with :func:`after_commit` and runs once the commit has succeeded.

A GET never changes anything: if one wrote (a bug), its writes are rolled back and logged. A GET that only
read ends its transaction with COMMIT rather than ROLLBACK: the same one round trip for the database, but
psycopg forgets its prepared statements on every ROLLBACK, and keeping them spares PostgreSQL planning the
same queries again on every page (a millisecond and more of a queue page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from workflow.extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CALLBACKS_KEY = "workflow.after_commit"
_ROLLBACK_KEY = "workflow.after_rollback"
_WROTE_KEY = "workflow.wrote"
_BOOKKEEPING_KEY = "workflow_bookkeeping"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the session's current transaction commits; forget it on rollback."""
    session.info.setdefault(_CALLBACKS_KEY, []).append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` if the session's current transaction rolls back (undo work outside the database)."""
    session.info.setdefault(_ROLLBACK_KEY, []).append(callback)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A batch's own transaction, outside any request: what the block writes is committed when it ends, or
    rolled back if it raises. Services never commit; the paths that work in batches (beat's sweeps, the
    newsletter run, scheduled publication, the metrics refresh) commit through this, one batch at a time, so
    that a long run holds no lock for long and a crash loses at most the batch under way."""
    session = db.session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def bookkeeping(callback: Callable[[], None]) -> None:
    """Register a write that any request may make, a GET too (a session's last-seen time): it runs once the
    request's own transaction has ended, in a short transaction of its own. If it fails, that is logged and the
    response goes out all the same."""
    g.setdefault(_BOOKKEEPING_KEY, []).append(callback)


def _run_bookkeeping(session: Session) -> None:
    callbacks = g.pop(_BOOKKEEPING_KEY, None)
    if not callbacks:
        return
    try:
        for callback in callbacks:
            callback()
        session.commit()
    except Exception:
        session.rollback()
        log.exception("bookkeeping after %s %s failed", request.method, request.endpoint)


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_write(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE_KEY, None)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy sends this event when a SAVEPOINT is released too; nothing is committed until the
        # outermost transaction is, so the callbacks wait for that.
        return
    session.info.pop(_ROLLBACK_KEY, None)
    callbacks = session.info.pop(_CALLBACKS_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the change is committed; a failed side effect must not turn it into an error
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_CALLBACKS_KEY, None)
        for callback in session.info.pop(_ROLLBACK_KEY, []):
            try:
                callback()
            except Exception:
                log.exception("after-rollback callback %r failed", callback)


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_or_rollback(response):
        if not db.session.registry.has():
            return response  # the request never touched the database (health checks, static files)
        session = db.session()
        if request.method in SAFE_METHODS:
            if session.info.get(_WROTE_KEY):
                log.warning("%s %s wrote to the database: rolled back (a GET must not change anything)",
                            request.method, request.path)
                session.rollback()
            else:
                session.commit()  # nothing to commit: it ends the read and keeps psycopg's prepared statements
        elif response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        _run_bookkeeping(session)
        return response


def discard_after_commit(session: Session) -> None:
    """Forget the work registered to run after this transaction commits."""
    session.info.pop(_CALLBACKS_KEY, None)

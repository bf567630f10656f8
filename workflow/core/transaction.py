"""One commit per request, in one place.

Views and services only ``flush()``. After a state-changing request whose response is a success or a
redirect, the session is committed here; any other outcome (a form error answered with 422, a conflict, an
exception) rolls everything back. Work that must leave the building only after the commit (enqueuing mail)
registers itself with :func:`after_commit` and runs once the commit has succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from workflow.extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CALLBACKS_KEY = "workflow.after_commit"
_ROLLBACK_KEY = "workflow.after_rollback"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the session's current transaction commits; forget it on rollback."""
    session.info.setdefault(_CALLBACKS_KEY, []).append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` if the session's current transaction rolls back (undo work outside the database)."""
    session.info.setdefault(_ROLLBACK_KEY, []).append(callback)


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
        if request.method not in SAFE_METHODS and response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def discard_after_commit(session: Session) -> None:
    """Forget the work registered to run after this transaction commits."""
    session.info.pop(_CALLBACKS_KEY, None)

"""Celery tasks for accounts: thin, they call the sessions service."""

from __future__ import annotations

import logging

from workflow.auth import sessions
from workflow.extensions import celery, db

log = logging.getLogger(__name__)


@celery.task(name="auth.forget_expired_sessions", acks_late=True)
def forget_expired_sessions() -> int:
    """Every hour (Celery beat): delete the sessions that can no longer be used. Idempotent."""
    ended = sessions.forget_expired()
    db.session.commit()
    if ended:
        log.info("%s expired sessions forgotten", ended)
    return ended

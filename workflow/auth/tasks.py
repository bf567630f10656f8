"""Celery tasks for accounts: thin, they call the sessions service."""

from __future__ import annotations

import logging

from flask import current_app

from workflow.auth import services, sessions
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


@celery.task(name="auth.send_password_reset", acks_late=True)
def send_password_reset(request_id: int) -> bool:
    """Look up the address of a reset request and email a link if it has an account. Idempotent: a request is
    taken once, whoever takes it."""
    taken = services.process_reset_request(request_id)
    db.session.commit()
    return taken


@celery.task(name="auth.sweep_reset_requests", acks_late=True)
def sweep_reset_requests() -> int:
    """Every minute (Celery beat): the reset requests no worker took yet."""
    handled = 0
    for request_id in services.waiting_reset_requests(current_app.config["OUTBOX_GRACE_SECONDS"]):
        handled += services.process_reset_request(request_id)
        db.session.commit()
    if handled:
        log.info("the sweep handled %s waiting password reset request(s)", handled)
    return handled

"""Celery tasks for the data that expires: thin, they call ``expiry``. Each is idempotent (what is done is not due
any more), so beat firing twice, two beats or a redelivered task do nothing twice."""

from __future__ import annotations

from workflow.extensions import celery
from workflow.privacy import expiry


@celery.task(name="privacy.expire_private_text", acks_late=True)
def expire_private_text() -> int:
    """Once a day (Celery beat): erase the private text and files of pitches declined or withdrawn more than
    WORKFLOW_RETENTION_DAYS ago. Returns how many pitches were erased."""
    return len(expiry.erase_expired_pitches().submissions)


@celery.task(name="privacy.expire_ledger_replies", acks_late=True)
def expire_ledger_replies() -> int:
    """Once a day (Celery beat): clear the mail servers' replies older than WORKFLOW_LEDGER_REPLY_DAYS."""
    cleared = expiry.expire_ledger_replies()
    return cleared.attempts + cleared.emails


@celery.task(name="privacy.expire_read_notifications", acks_late=True)
def expire_read_notifications() -> int:
    """Once a day (Celery beat): delete the notifications read more than WORKFLOW_READ_NOTIFICATION_DAYS ago."""
    return expiry.expire_read_notifications()

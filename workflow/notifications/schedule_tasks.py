"""Celery tasks that come from the clock: thin, they call ``schedule``'s and the outbox's services.

Reminders and digests are idempotent (every notification they write carries a dedup key), so beat firing twice,
two beats, or a redelivered task write nothing twice; the sweep takes each row with a lock that a second sweep
skips.
"""

from __future__ import annotations

from workflow.extensions import celery
from workflow.notifications import outbox, schedule


@celery.task(name="notifications.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Every 15 minutes (Celery beat): deadline reminders that are due and not yet written."""
    return schedule.send_reminders()


@celery.task(name="notifications.send_digests", acks_late=True)
def send_digests() -> int:
    """Once a day at WORKFLOW_DIGEST_HOUR (Celery beat): the daily digests."""
    return schedule.send_digests()


@celery.task(name="notifications.sweep", acks_late=True)
def sweep_outbox() -> int:
    """Every minute (Celery beat): hand the workers whatever the outbox still holds undelivered."""
    return len(outbox.sweep())


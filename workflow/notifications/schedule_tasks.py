"""Celery tasks for the notifications that come from the clock: thin, they call ``schedule``'s services.

Both are idempotent (every notification they write carries a dedup key), so beat firing twice, two beats, or
a redelivered task write nothing twice.
"""

from __future__ import annotations

from workflow.extensions import celery
from workflow.notifications import schedule


@celery.task(name="notifications.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Every 15 minutes (Celery beat): deadline reminders that are due and not yet written."""
    return schedule.send_reminders()


@celery.task(name="notifications.send_digests", acks_late=True)
def send_digests() -> int:
    """Once a day at WORKFLOW_DIGEST_HOUR (Celery beat): the daily digests."""
    return schedule.send_digests()

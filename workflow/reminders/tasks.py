"""Celery tasks for the reminders and digests: thin, they call ``services``.

Both are idempotent (every notification they write carries a dedup key), so beat firing twice, two beats, or a
redelivered task write nothing twice. Their names predate this package and stay, so that tasks already queued
during a deploy still find them.
"""

from __future__ import annotations

from workflow.extensions import celery
from workflow.reminders import services as schedule


@celery.task(name="notifications.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Every 15 minutes (Celery beat): deadline reminders that are due and not yet written."""
    return schedule.send_reminders()


@celery.task(name="notifications.send_digests", acks_late=True)
def send_digests() -> int:
    """Once a day at WORKFLOW_DIGEST_HOUR (Celery beat): the daily digests."""
    return schedule.send_digests()

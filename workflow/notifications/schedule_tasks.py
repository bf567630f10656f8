"""Beat's sweep of the outbox, every minute: thin, it calls ``outbox.sweep``, which takes each row with a lock
that a second sweep skips."""

from __future__ import annotations

from workflow.extensions import celery
from workflow.notifications import outbox


@celery.task(name="notifications.sweep", acks_late=True)
def sweep_outbox() -> int:
    """Every minute (Celery beat): hand the workers whatever the outbox still holds undelivered."""
    return len(outbox.sweep())


"""Celery tasks for notifications: thin, they call the delivery and outbox services by id."""

from __future__ import annotations

from workflow.extensions import celery
from workflow.notifications import delivery, services


@celery.task(bind=True, name="notifications.deliver", max_retries=None, acks_late=True)
def deliver_notification(self, notification_id: int) -> str:
    """Idempotent: a notification that is sent, failed or held by another worker is left alone."""
    result = delivery.deliver(notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@celery.task(name="notifications.sweep", acks_late=True)
def sweep_outbox() -> int:
    """Every minute (Celery beat): hand the workers whatever the outbox still holds undelivered."""
    return len(services.sweep())

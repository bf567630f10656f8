"""Celery tasks that deliver notifications: thin, they call ``delivery`` by id. (Beat's sweep of the outbox is in
``schedule_tasks``.)"""

from __future__ import annotations

import logging

from workflow.core import outage
from workflow.extensions import celery
from workflow.notifications import delivery

log = logging.getLogger(__name__)

# Notifications per delivery task: enough to share one SMTP connection and one claim among many messages,
# few enough that a batch ends well within the lease and that two workers share a burst evenly.
BATCH_SIZE = 50


@celery.task(bind=True, name="notifications.deliver", max_retries=None, acks_late=True)
def deliver_notification(self, notification_id: int) -> str:
    """Idempotent: a notification that is sent, failed or held by another worker is left alone."""
    result = delivery.deliver(notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@celery.task(name="notifications.deliver_batch", acks_late=True)
def deliver_batch(notification_ids: list[int]) -> dict[str, int]:
    """Idempotent, like ``notifications.deliver``. A message that must be tried again gets a task of its own,
    never the whole batch; if the broker cannot take that task, the sweeper hands the row over when due."""
    results = delivery.deliver_batch(notification_ids)
    for notification_id, result in results.items():
        if result.retry_in is not None:
            try:
                deliver_notification.apply_async((notification_id,), countdown=result.retry_in, retry=False)
            except Exception as exc:
                outage.broker.failed(exc, "retries wait for the sweeper")
                log.info("the retry of notification %s is left to the sweeper (the broker is down)", notification_id)
            else:
                outage.broker.succeeded()
    outcomes: dict[str, int] = {}
    for result in results.values():
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    return outcomes

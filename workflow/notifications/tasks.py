"""Celery tasks for notifications: thin, they load by id and call the service."""

from __future__ import annotations

import logging
import random

from workflow.extensions import celery, db
from workflow.notifications import services
from workflow.notifications.models import Notification

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5
BACKOFF_CEILING_SECONDS = 30 * 60


def retry_countdown(retries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(BACKOFF_CEILING_SECONDS, BACKOFF_BASE_SECONDS * 2**retries)
    return random.uniform(ceiling / 2, ceiling)


@celery.task(bind=True, name="notifications.deliver", max_retries=None, acks_late=True)
def deliver_notification(self, notification_id: int) -> None:
    try:
        services.deliver(notification_id)
    except services.TransientDeliveryError as exc:
        if self.request.retries >= services.max_retries():
            notification = db.session.get(Notification, notification_id)
            services.mark_failed(notification, f"gave up after {notification.attempts} attempts: {exc}")
            db.session.commit()
            return
        db.session.commit()
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from None
    except Exception:
        db.session.rollback()
        log.exception("delivering notification %s failed unexpectedly", notification_id)
        raise
    db.session.commit()

"""Celery task for the weekly newsletter: thin, it calls the newsletter service."""

from __future__ import annotations

from workflow.extensions import celery
from workflow.newsletter import services


@celery.task(name="newsletter.send_weekly", acks_late=True)
def send_weekly() -> int:
    """Once a week (Celery beat, WORKFLOW_NEWSLETTER_WEEKDAY at WORKFLOW_NEWSLETTER_HOUR): this week's issue to
    every active subscriber, and forget addresses never confirmed. Idempotent: a rerun writes nothing twice."""
    return services.send_weekly().written

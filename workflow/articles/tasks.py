"""Celery task for publication by the clock: thin, it calls the editorial service."""

from __future__ import annotations

from workflow.articles import editorial
from workflow.extensions import celery


@celery.task(name="articles.publish_scheduled", acks_late=True)
def publish_scheduled() -> int:
    """Every minute (Celery beat): publish the stories whose scheduled time has come (each once)."""
    return len(editorial.publish_due())

"""Celery task for the desk metrics: thin, it calls the metrics service."""

from __future__ import annotations

from workflow.extensions import celery
from workflow.submissions import desk_metrics


@celery.task(name="submissions.refresh_desk_metrics", acks_late=True)
def refresh_desk_metrics() -> int:
    """Every WORKFLOW_DESK_METRICS_REFRESH_SECONDS (Celery beat): the metrics page's figures for each period."""
    return desk_metrics.refresh_snapshots()

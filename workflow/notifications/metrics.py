"""The outbox's gauges for ``/metrics``: notifications waiting and the age of the oldest, and what became of the
delivery attempts of the last 15 minutes (the ledger's index on ``started_at`` keeps that cheap however long the
ledger grows)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

RECENT = timedelta(minutes=15)


class OutboxCollector:
    """Gauges read from the database when ``/metrics`` is asked (inside the request's app context)."""

    def collect(self):
        now = utcnow()
        pending, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Notification.created_at))
            .where(Notification.status == DeliveryStatus.PENDING)).one()
        backlog = GaugeMetricFamily("workflow_outbox_pending", "Notifications waiting in the outbox to be sent.")
        backlog.add_metric([], pending)
        yield backlog
        age = GaugeMetricFamily("workflow_outbox_oldest_pending_seconds",
                                "Age of the oldest notification still waiting (0 when none is).")
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
        yield age
        recent = GaugeMetricFamily("workflow_delivery_attempts_recent",
                                   "Delivery attempts started in the last 15 minutes, by outcome.",
                                   labels=["outcome"])
        rows = dict(db.session.execute(
            sa.select(DeliveryAttempt.outcome, sa.func.count())
            .where(DeliveryAttempt.started_at >= now - RECENT).group_by(DeliveryAttempt.outcome)).all())
        for outcome in AttemptOutcome:
            recent.add_metric([outcome.value], rows.get(outcome, 0))
        yield recent

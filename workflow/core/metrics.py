"""Prometheus metrics: request latency, transitions, the outbox's backlog and what became of deliveries.

Counted in the process (``prometheus_client``): the latency of every request by endpoint, method and status,
and the transitions committed, by action and target state. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (the library's multiprocess mode) so that ``/metrics``
adds up every worker of the server; without it each answer speaks for the process that served it.

Read from the database at each scrape, so that every web process tells the same truth about work that
happens in the Celery workers: notifications waiting in the outbox and the age of the oldest, and the delivery
attempts of the last 15 minutes by outcome (the ledger's index on ``started_at`` keeps that cheap however long
the ledger grows).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

RECENT = timedelta(minutes=15)

REQUEST_SECONDS = Histogram(
    "workflow_http_request_duration_seconds", "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
TRANSITIONS = Counter(
    "workflow_transitions_total", "Workflow transitions committed, by action and the state they led to.",
    ["action", "to_state"])


def count_transition(action: str, to_state: str) -> None:
    TRANSITIONS.labels(action=action, to_state=to_state).inc()


class DatabaseCollector:
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


def exposition() -> bytes:
    """The text ``/metrics`` answers: this process's (or every worker's) counters, then the database's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return generate_latest(registry) + generate_latest(database)


def init_app(app: Flask) -> None:
    @app.before_request
    def start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def record_latency(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            REQUEST_SECONDS.labels(endpoint=request.endpoint or "unmatched", method=request.method,
                                   status=str(response.status_code)).observe(time.perf_counter() - started)
        return response

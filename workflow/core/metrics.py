"""Prometheus metrics: request latency, transitions, the outbox's backlog and what became of deliveries.

Counted in the process (``prometheus_client``): the latency of every request by endpoint, method and status,
and the transitions committed, by action and target state. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (the library's multiprocess mode) so that ``/metrics``
adds up every worker of the server; without it each answer speaks for the process that served it.

Read from the database at each scrape, so that every web process tells the same truth about work that
happens in the Celery workers: gauges that features register here (the outbox's backlog and the recent
delivery attempts: ``workflow/notifications/metrics.py``).
"""

from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REQUEST_SECONDS = Histogram(
    "workflow_http_request_duration_seconds", "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
TRANSITIONS = Counter(
    "workflow_transitions_total", "Workflow transitions committed, by action and the state they led to.",
    ["action", "to_state"])


def count_transition(action: str, to_state: str) -> None:
    TRANSITIONS.labels(action=action, to_state=to_state).inc()


# Gauges read from the database when ``/metrics`` is asked, registered by the features they describe.
_DATABASE_COLLECTORS: list = []


def register_collector(collector) -> None:
    """Add a collector whose ``collect()`` reads the database at each scrape (inside the request's app
    context), so that every web process tells the same truth about work done in the Celery workers."""
    _DATABASE_COLLECTORS.append(collector)


def exposition() -> bytes:
    """The text ``/metrics`` answers: this process's (or every worker's) counters, then the database's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    database = CollectorRegistry()
    for collector in _DATABASE_COLLECTORS:
        database.register(collector)
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

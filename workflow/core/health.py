"""What a load balancer and a monitoring system ask of each web process.

- ``/healthz``: the process is up and answering (it touches nothing else, so a database outage does not make
  the load balancer restart every web process at once).
- ``/readyz``: the process can do its work: the database answers a query and the broker takes a connection.
  503 with what failed otherwise; the failure is logged when it starts (and the recovery when it ends), not on
  every probe. A broker that refuses connections costs the probe one quick try, not kombu's 2-s pause.
- ``/metrics``: Prometheus's text format (workflow/core/metrics.py). With ``WORKFLOW_METRICS_TOKEN`` set, only a
  scraper that sends ``Authorization: Bearer <token>`` gets it.

None of them sets a cookie or counts against a rate limit.
"""

from __future__ import annotations

import hmac
import logging

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from workflow.core.metrics import exposition
from workflow.core.outage import reason
from workflow.extensions import celery, db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
BROKER_TIMEOUT = 1  # seconds: a readiness probe must answer quickly either way


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def _database() -> str | None:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any failure means not ready; say which
        db.session.rollback()
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def _broker() -> str | None:
    try:
        with celery.connection_for_write() as connection:
            # One try, no pause after it (kombu pauses 2 s between tries by default).
            connection.ensure_connection(max_retries=0, interval_start=0, timeout=BROKER_TIMEOUT)
        return None
    except Exception as exc:
        return reason(exc)


# What the last probe found, so that a probe every few seconds logs a failure when it starts, not every time.
_last_problems: dict[str, str] = {}


@bp.get("/readyz")
@limiter.exempt
def readyz():
    problems = {name: error for name, error in (("database", _database()), ("broker", _broker())) if error}
    checks = {name: "failed" if name in problems else "ok" for name in ("database", "broker")}
    if set(problems) != set(_last_problems):
        if problems:
            log.error("not ready: %s", "; ".join(f"{name}: {error}" for name, error in problems.items()))
        else:
            log.warning("ready again (%s back)", " and ".join(sorted(_last_problems)))
    _last_problems.clear()
    _last_problems.update(problems)
    if problems:
        return jsonify(status="unavailable", checks=checks), 503
    return jsonify(status="ok", checks=checks)


@bp.get("/metrics")
@limiter.exempt
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            abort(401)
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)

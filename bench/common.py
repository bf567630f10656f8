"""What the benchmarks that build their own app share: whether PostgreSQL answers, and a migrated app on a
database of the benchmark's own."""

from __future__ import annotations

import socket
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from workflow import create_app


def postgres_reachable(url: str) -> bool:
    parsed = sa.engine.make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def build_app(database_url: str, workdir: Path, **settings):
    """The desk on ``database_url``, migrated, with its uploads under ``workdir``, no broker, no CSRF and no
    second step (what is measured is the page, not the sign-in); ``settings`` add to or replace these."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "LOG_LEVEL": "WARNING",
        "CELERY": {"broker_url": "memory://", "broker_transport_options": {}},
        "REQUIRE_SECOND_FACTOR": "none",
        **settings,
    })
    with app.app_context():
        upgrade()
    return app

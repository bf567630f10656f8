"""Baselines for ``bench/run.py``: the least a Flask app can do for the same answers.

- ``queue_app()``: a bare Flask + psycopg + Jinja page with the editor queue's 50 rows (the same columns,
  the same joins and sort, the same filter) and no sign-in, no ORM, no extensions. ``?offset=N`` pages with
  OFFSET, to show what that would cost deep in the queue.
- ``hello_app()``: Flask's hello world.

Served by gunicorn with the same settings as the desk:
``gunicorn --chdir bench 'bare:queue_app()'`` with ``BENCH_DATABASE_URL=postgresql://...``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import psycopg
from flask import Flask, request
from jinja2 import Environment

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Queue</title></head><body><main>
<h1>Queue</h1>
<table><thead><tr><th>Story</th><th>State</th><th>Editor</th><th>Deadline</th><th>Last activity</th></tr></thead>
<tbody>{% for r in rows %}
<tr><td><a href="/submissions/{{ r.id }}">{{ r.headline }}</a><br><span class="meta">{{ r.contributor }} · pitched
{{ r.created_at.strftime("%d %b %Y") }}</span></td><td><span class="badge">{{ r.state|capitalize }}</span></td>
<td>{{ r.editor or "—" }}</td><td>{{ r.deadline.strftime("%d %b %Y") if r.deadline else "—" }}</td>
<td><span title="{{ r.last_activity_at.isoformat() }}">{{ r.last_activity_at.strftime("%d %b %Y") }}</span><br>
<span class="meta">{{ r.last_activity }}</span></td></tr>{% endfor %}
</tbody></table><p>{{ rows|length }} rows, {{ now }}</p></main></body></html>""")

QUERY = """
SELECT s.id, s.headline, s.state, s.deadline, s.created_at, s.last_activity_at, s.last_activity,
       c.display_name AS contributor, e.display_name AS editor
FROM submissions s JOIN users c ON c.id = s.contributor_id LEFT JOIN users e ON e.id = s.editor_id
WHERE (%(state)s::text IS NULL OR s.state = %(state)s)
ORDER BY s.created_at DESC, s.id DESC LIMIT 50 OFFSET %(offset)s
"""


class Row:
    __slots__ = ("id", "headline", "state", "deadline", "created_at", "last_activity_at", "last_activity",
                 "contributor", "editor")

    def __init__(self, values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def queue_app() -> Flask:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    app = Flask(__name__)
    held = {}  # one connection per process, kept open (a sync gunicorn worker serves one request at a time)

    @app.get("/queue")
    def queue():
        params = {"state": request.args.get("state") or None, "offset": int(request.args.get("offset", 0))}
        if "connection" not in held:
            held["connection"] = psycopg.connect(url, autocommit=True)
        with held["connection"].cursor() as cursor:
            rows = [Row(values) for values in cursor.execute(QUERY, params)]
        return PAGE.render(rows=rows, now=datetime.now(UTC).isoformat())

    return app


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "Hello, World!"

    return app


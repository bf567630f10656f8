"""How many SQL statements the editor queue and the readers' pages (home, article, section, tag, search, feed)
cost, at 10 and at 10,000 submissions (a seventh of them published, each with a section, two tags and a top
photo).

Run it from the project root:

    .venv/bin/python bench/queue_queries.py
    .venv/bin/python bench/queue_queries.py --sizes 10 1000 10000 --no-postgres
    WORKFLOW_BENCH_POSTGRES_URL=postgresql+psycopg://user@host:5432/postgres \
        .venv/bin/python bench/queue_queries.py

It builds the app with ``create_app({...})`` on a fresh database of its own (a temporary SQLite file, and a
temporary PostgreSQL database when the server is reachable), runs the migrations, bulk-inserts people and
submissions with SQLAlchemy Core, signs an editor in through the test client and counts the statements of
``GET /queue`` (and a few variants), then of the home page, the newest article and the Atom feed for a reader
who is signed out, with a ``before_cursor_execute`` listener. Nothing is left behind.
The count must not grow with the number of submissions; the time may, a little.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.common import build_app, postgres_reachable  # noqa: E402
from tests.conftest import fresh_postgres_database  # noqa: E402
from workflow.articles.models import Image, Section, Tag, submission_tags  # noqa: E402
from workflow.auth import services as accounts  # noqa: E402
from workflow.auth.models import User  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.people.models import Role
from workflow.submissions.models import Submission  # noqa: E402
from workflow.submissions.workflow import State  # noqa: E402

POSTGRES_URL = os.environ.get("WORKFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "harbour lights at dawn 123"
PAGES = {
    "queue": "/queue",
    "search": "/queue?q=bakers+curfew",
    "deadline, mine": "/queue?sort=deadline&assignee=me",
    "assigned, overdue": "/queue?state=assigned&overdue=1",
}
WORDS = ["bakers", "curfew", "teachers", "school", "clinic", "border", "radio", "water", "wedding", "pharmacy",
         "football", "satellite", "barter", "interpreters", "manuscripts", "beekeepers", "convoy", "river"]


def seed_people(app) -> tuple[int, list[int], list[int]]:
    with app.app_context():
        editor = accounts.create_user("bench.editor@example.org", PASSWORD, "Bench Editor", role=Role.EDITOR,
                                      confirmed=True)
        now = datetime.now(UTC)
        table = User.__table__

        def people(n, role, prefix):
            rows = [{"email": f"{prefix}{i}@example.org", "password_hash": "x", "display_name": f"{prefix} {i}",
                     "byline_name": f"{prefix} {i}", "role": role, "email_confirmed_at": now} for i in range(n)]
            return list(db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                           rows).scalars())

        contributors = people(300, Role.CONTRIBUTOR, "reporter")
        editors = [editor.id, *people(12, Role.EDITOR, "editor")]
        db.session.commit()
        return editor.id, contributors, editors


def insert_submissions(app, start: int, stop: int, contributors: list[int], editors: list[int]) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    states = (State.PITCHED, State.PITCHED, State.ASSIGNED, State.EDITED, State.DECLINED, State.WITHDRAWN,
              State.PUBLISHED)
    table = Submission.__table__
    with app.app_context():
        for chunk in range(start, stop, 2000):
            rows = []
            for k in range(chunk, min(stop, chunk + 2000)):
                state = states[k % len(states)]
                commissioned = state in (State.ASSIGNED, State.EDITED, State.PUBLISHED)
                published = state is State.PUBLISHED
                rows.append({
                    "contributor_id": contributors[k % len(contributors)],
                    "editor_id": editors[k % len(editors)] if commissioned else None,
                    "state": state,
                    "headline": f"The {WORDS[k % len(WORDS)]} story number {k}",
                    "summary": f"A report on {WORDS[(k * 7) % len(WORDS)]} and {WORDS[(k * 11) % len(WORDS)]}.",
                    "angle": "Why now.", "sources": "Residents.", "experience": "",
                    "deadline": (t0 + timedelta(days=k % 400)).date() if commissioned else None,
                    "created_at": t0 + timedelta(minutes=k * 13),
                    "last_activity_at": t0 + timedelta(minutes=k * 29 % 500_000),
                    "last_activity_by_id": contributors[k % len(contributors)],
                    "last_activity": "pitched",
                    "version": 1,
                    "published_at": t0 + timedelta(minutes=k * 13 + 60) if published else None,
                    "slug": f"story-{k}" if published else None,
                    "published_headline": f"The {WORDS[k % len(WORDS)]} story number {k}" if published else None,
                    "published_dek": "What happened, in a sentence." if published else None,
                    "published_body": "\n\n".join(["A paragraph of the story."] * 30) if published else None,
                })
            ids = list(db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                          rows).scalars())
            _dress([sid for sid, row in zip(ids, rows) if row["state"] is State.PUBLISHED])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE submissions"))


def _dress(story_ids: list[int]) -> None:
    """What a published story's page shows beyond its text: a section, two tags and a top photo (rows only)."""
    if not story_ids:
        return
    sections = list(db.session.scalars(sa.select(Section.id).order_by(Section.id)))
    if not sections:
        db.session.execute(sa.insert(Section.__table__), [
            {"slug": slug, "name": slug.title(), "description": "", "position": n, "created_at": datetime.now(UTC)}
            for n, slug in enumerate(("news", "analysis", "voices", "explainers"))])
        db.session.execute(sa.insert(Tag.__table__), [{"slug": f"tag-{n}", "name": f"Tag {n}"} for n in range(20)])
        sections = list(db.session.scalars(sa.select(Section.id).order_by(Section.id)))
    tags = list(db.session.scalars(sa.select(Tag.id).order_by(Tag.id)))
    images = Image.__table__
    image_ids = list(db.session.execute(sa.insert(images).returning(images.c.id, sort_by_parameter_order=True), [
        {"key": f"bench{sid}", "submission_id": sid, "filename": "top.jpg", "content_type": "image/jpeg",
         "width": 1600, "height": 900, "widths": [480, 800, 1200, 1600], "sha256": "0" * 64, "alt": "A photo",
         "caption": "What the photo shows.", "credit": "A photographer", "created_at": datetime.now(UTC)}
        for sid in story_ids]).scalars())
    table = Submission.__table__
    db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("sid"))
                       .values(section_id=sa.bindparam("section"), top_image_id=sa.bindparam("image")),
                       [{"sid": sid, "section": sections[sid % len(sections)], "image": image}
                        for sid, image in zip(story_ids, image_ids)], execution_options={"synchronize_session": False})
    db.session.execute(sa.insert(submission_tags), [{"submission_id": sid, "tag_id": tags[(sid + n) % len(tags)]}
                                                   for sid in story_ids for n in (0, 7)])


def measure(app, client, path: str) -> tuple[int, float]:
    client.get(path)  # warm up
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    return len(statements), elapsed


def second_page(client) -> str | None:
    import re
    from html import unescape

    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*rel="next"', client.get("/queue").get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def run(label: str, database_url: str, sizes: list[int], workdir: Path) -> list[tuple]:
    app = build_app(database_url, workdir, ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8192)
    results = []
    try:
        _, contributors, editors = seed_people(app)
        client = app.test_client()
        reader = app.test_client()  # signed out, as the public reads
        response = client.post("/login", data={"email": "bench.editor@example.org", "password": PASSWORD})
        if response.status_code != 303:
            raise SystemExit(f"could not sign in on {label}: {response.status_code}")
        inserted = 0
        for size in sorted(sizes):
            insert_submissions(app, inserted, size, contributors, editors)
            inserted = size
            pages = dict(PAGES)
            following = second_page(client)
            if following:
                pages["page 2 (cursor)"] = following
            for name, path in pages.items():
                count, ms = measure(app, client, path)
                results.append((label, size, name, count, ms))
            with app.app_context():
                newest = db.session.scalar(sa.select(Submission.slug).where(Submission.state == State.PUBLISHED)
                                           .order_by(Submission.published_at.desc()).limit(1))
            for name, path in (("home (reader)", "/"), ("article (reader)", f"/articles/{newest}"),
                               ("section (reader)", "/sections/news"), ("tag (reader)", "/tags/tag-3"),
                               ("search (reader)", "/search?q=story"), ("feed (reader)", "/feed.atom")):
                count, ms = measure(app, reader, path)
                results.append((label, size, name, count, ms))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="workflow-bench-") as folder:
        workdir = Path(folder)
        results += run("sqlite", f"sqlite:///{workdir / 'bench.sqlite'}", args.sizes, workdir)
        if args.no_postgres:
            pass
        elif postgres_reachable(POSTGRES_URL):
            with fresh_postgres_database(POSTGRES_URL) as url:
                results += run("postgresql", url, args.sizes, workdir)
        else:
            print(f"PostgreSQL not reachable at {POSTGRES_URL}: skipped", file=sys.stderr)

    print(f"{'database':<11} {'submissions':>11}  {'page':<20} {'queries':>7} {'ms':>8}")
    for label, size, name, count, ms in results:
        print(f"{label:<11} {size:>11,}  {name:<20} {count:>7} {ms:>8.1f}")
    growing = {}
    for label, _size, name, count, _ms in results:
        growing.setdefault((label, name), set()).add(count)
    unstable = [key for key, counts in growing.items() if len(counts) > 1]
    if unstable:
        print(f"\nThe number of queries grows with the data for: {unstable}", file=sys.stderr)
        return 1
    print("\nThe number of queries does not depend on the number of submissions.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the two searches cost: the editors' queue search (``GET /queue?q=``, signed in as an editor) and the
readers' search (``GET /search?q=``, signed out), for a rare English word, a common one, an Arabic word typed
without its diacritics and hamza, a quoted phrase and two words.

Run it from the project root:

    .venv/bin/python bench/search.py                     # PostgreSQL 10,000 and 100,000; SQLite 10,000
    .venv/bin/python bench/search.py --runs 50
    .venv/bin/python bench/search.py --postgres-sizes 10000 --sqlite-sizes 1000
    .venv/bin/python bench/search.py --no-postgres
    WORKFLOW_BENCH_POSTGRES_URL=postgresql+psycopg://user@host:5432/postgres .venv/bin/python bench/search.py

Each database is its own and temporary (a SQLite file, a PostgreSQL database made for the run and dropped
after it), built by the migrations and filled by the benchmarks' generator (workflow/bench/generator.py: years of
history, a quarter of the stories in Arabic); a handful of stories get a rare word. Then, through Flask's test
client, each search is asked ``--runs`` times after a warm-up: the median and the 95th percentile. On
PostgreSQL the search's SQL statements (captured from one request) are run again under
``EXPLAIN (ANALYZE, BUFFERS)``: their time, and each scan of ``submissions`` (which index, how many rows
it gave, how many it threw away). ``results`` is a digest of the links on the first three pages (what a person
sees, page after page), so that two runs, before and after a change, can be compared: the same digest is the
same stories in the same order on the same pages. Nothing asserts a time.

The EXPLAIN runs the statement with its values (a custom plan). The timed requests repeat one statement, which
psycopg prepares after five runs; PostgreSQL may then switch to a generic plan, which does not know the word
(the reason the readers' search does not leave the choice of plan to the planner, see
workflow/articles/services.py ``_Listing.search``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import quote_plus

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.common import build_app, postgres_reachable  # noqa: E402
from tests.conftest import fresh_postgres_database  # noqa: E402
from workflow.bench.generator import BENCH_DOMAIN, BENCH_PASSWORD, Plan, seed  # noqa: E402
from workflow.core.search_text import joined  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.submissions.models import Submission  # noqa: E402

POSTGRES_URL = os.environ.get("WORKFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ARABIC_SHARE = 0.25
RARE = "lighthouse"  # in none of the generator's words: planted in a few stories below
PLANTED = 6
SEARCHES = [
    ("rare word", RARE),
    ("common word", "power"),
    ("Arabic, typed plain", "الاطباء"),  # written الأَطِبَّاء in the stories: hamza on the alef, shadda, vowels
    ("quoted phrase", '"the hospital"'),
    ("two words", "pharmacy wedding"),
]
PAGES = {"queue": "/queue?q={q}", "search": "/search?q={q}"}
LINKS = {"queue": re.compile(r'href="(/submissions/\d+)"'), "search": re.compile(r'href="(/articles/[^"#?]+)"')}
NEXT = re.compile(r'<a [^>]*href="([^"]+)"[^>]*rel="next"')
COUNTS = re.compile(r'class="(?:count|page-head__count)">([^<]*)<')


def fill(app, submissions: int, already: int) -> None:
    """Add submissions up to ``submissions``, plant the rare word in a few of them and bring the planner's
    statistics (and PostgreSQL's visibility map) up to date, as a database in service has them."""
    with app.app_context():
        seed(Plan(submissions=submissions - already, seed=2026 + already, arabic=ARABIC_SHARE))
        plant()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE submissions")
        else:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")


def plant() -> None:
    """The rare word in PLANTED stories spread over the years, half of them published (the rows and their
    search columns, as the desk writes them)."""
    table = Submission.__table__
    with db.engine.begin() as connection:
        published = list(connection.scalars(sa.select(table.c.id).where(table.c.state == "published")
                                            .order_by(table.c.id)))
        others = list(connection.scalars(sa.select(table.c.id).where(table.c.state != "published")
                                         .order_by(table.c.id)))
        chosen = [ids[n * len(ids) // (PLANTED // 2)] for ids in (published, others) for n in range(PLANTED // 2)]
        for row in connection.execute(sa.select(table).where(table.c.id.in_(chosen))):
            summary = f"{row.summary} The {RARE} keeper stayed."
            values = {"summary": summary, "search_text": joined(row.headline, summary)}
            if row.published_body is not None:
                body = f"{row.published_body}\n\nThe old {RARE} still works."
                values |= {"published_body": body,
                           "published_search_text": joined(row.published_headline, row.published_dek, body)}
            connection.execute(table.update().where(table.c.id == row.id).values(**values))


class Recorder:
    """The SQL statements (and their parameters) that a request sends."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self)


def explain(engine, statement: str, parameters) -> str:
    """EXPLAIN ANALYZE of one statement, in a line: its time, shared buffers, and each scan of submissions."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", parameters)
            plan = cursor.fetchone()[0][0]
        raw.rollback()
    finally:
        raw.close()
    scans = []

    def walk(node):
        if node.get("Relation Name") == "submissions" or node.get("Index Name", "").startswith("ix_submissions"):
            rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
            dropped = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
            how = node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else "")
            scans.append(f"{how}: {rows:,.0f} rows" + (f", {dropped:,} thrown away" if dropped else ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    top = plan["Plan"]
    buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    return f"{plan['Execution Time']:.1f} ms, {buffers:,} buffers; " + "; ".join(scans)


def digest(client, path: str, links: re.Pattern, pages: int = 3) -> tuple[str, str]:
    """A digest of the links on the first ``pages`` pages (following "next"), and the counts page 1 shows."""
    seen, counts = [], ""
    for n in range(pages):
        html = client.get(path).get_data(as_text=True)
        if n == 0:
            counts = " ".join(c.strip("() ") for c in COUNTS.findall(html))
        seen.append(" ".join(dict.fromkeys(links.findall(html))))
        following = NEXT.search(html)
        if not following:
            break
        path = unescape(following.group(1))
    return hashlib.sha1("\n".join(seen).encode()).hexdigest()[:10], counts


def measure(app, client, path: str, runs: int) -> dict:
    for _ in range(2):  # warm up
        client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    times.sort()
    return {"median": statistics.median(times),
            "p95": statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]}


def run(label: str, database_url: str, sizes: list[int], runs: int, workdir: Path) -> list[dict]:
    app = build_app(database_url, workdir)
    results = []
    try:
        editor = app.test_client()
        reader = app.test_client()  # signed out, as the public reads
        inserted = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            fill(app, size, inserted)
            inserted = size
            print(f"{label}: {size:,} submissions made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            if inserted == sorted(sizes)[0] and editor.post("/login", data={
                    "email": f"editor2@{BENCH_DOMAIN}", "password": BENCH_PASSWORD}).status_code != 303:
                raise SystemExit(f"could not sign in on {label}")
            with app.app_context():
                engine = db.engine
            for page, pattern in PAGES.items():
                client = editor if page == "queue" else reader
                for name, q in SEARCHES:
                    path = pattern.format(q=quote_plus(q))
                    figures = measure(app, client, path, runs)
                    with Recorder(engine) as recorder:
                        client.get(path)
                    searching = [(s, p) for s, p in recorder.statements if "search_text" in s and " LIKE " in s]
                    plans = ([explain(engine, s, p) for s, p in searching] if engine.dialect.name == "postgresql"
                             else [])
                    shown, counts = digest(client, path, LINKS[page])
                    results.append({"database": label, "submissions": size, "page": page, "search": name, "q": q,
                                    **figures, "statements": len(recorder.statements),
                                    "searching": len(searching), "results": shown, "counts": counts,
                                    "plans": plans})
                    print(f"  {page:<7} {name:<20} {figures['median']:8.1f} {figures['p95']:8.1f} ms",
                          file=sys.stderr)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per search, after two to warm up")
    parser.add_argument("--postgres-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--sqlite-sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", type=Path, help="write the figures to this file as well")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="workflow-bench-") as folder:
        workdir = Path(folder)
        if args.sqlite_sizes:
            results += run("sqlite", f"sqlite:///{workdir / 'bench.sqlite'}", args.sqlite_sizes, args.runs, workdir)
        if args.no_postgres or not args.postgres_sizes:
            pass
        elif postgres_reachable(POSTGRES_URL):
            with fresh_postgres_database(POSTGRES_URL) as url:
                results += run("postgresql", url, args.postgres_sizes, args.runs, workdir)
        else:
            print(f"PostgreSQL is not reachable at {POSTGRES_URL}: its figures are skipped", file=sys.stderr)

    print(f"bench/search.py --runs {args.runs} (median and p95 of {args.runs} requests through Flask's test client)")
    print(f"{'database':<11} {'submissions':>11}  {'page':<7} {'search':<20} {'median':>8} {'p95':>8}  "
          f"{'SQL':>3}  {'results':<10}  counts")
    for r in results:
        print(f"{r['database']:<11} {r['submissions']:>11,}  {r['page']:<7} {r['search']:<20} "
              f"{r['median']:>6.1f}ms {r['p95']:>6.1f}ms  {r['statements']:>3}  {r['results']:<10}  {r['counts']}")
    plans = [r for r in results if r["plans"]]
    if plans:
        print("\nEXPLAIN ANALYZE of the statements that search (PostgreSQL):")
        for r in plans:
            for n, line in enumerate(r["plans"], start=1):
                print(f"  {r['submissions']:>7,} {r['page']:<7} {r['search']:<20} #{n}: {line}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

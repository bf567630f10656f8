"""Whether "Forgot your password?" tells, by its response time, if an address has an account: the median time
of ``POST /password/forgot`` for a known and for an unknown address, side by side.

Run it from the project root:

    .venv/bin/python bench/reset_timing.py
    .venv/bin/python bench/reset_timing.py --requests 500 --no-postgres

It builds the app on a fresh database of its own (a temporary SQLite file, and a temporary PostgreSQL database
when the server is reachable) with the filesystem broker in a temporary folder, creates one account, and posts
the form through the test client, known and unknown addresses interleaved, the rate limits off. The request only
writes the request down and hands it to a worker (nobody consumes the tasks here), so both medians should be the
same within noise. Nothing is left behind.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from tests.conftest import fresh_postgres_database, postgres_available  # noqa: E402
from workflow import create_app  # noqa: E402
from workflow.auth import services as accounts  # noqa: E402
from workflow.extensions import db  # noqa: E402

KNOWN = "someone.known@example.org"
UNKNOWN = "nobody.here@example.org"


def measure(database_url: str, folder: Path, requests: int) -> tuple[float, float]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                      "CELERY": {"broker_url": "filesystem://", "broker_transport_options": {
                          "data_folder_in": str(folder / "q"), "data_folder_out": str(folder / "q"),
                          "control_folder": str(folder / "c"), "processed_folder": str(folder / "p")}}})
    with app.app_context():
        upgrade()
        accounts.create_user(KNOWN, "a long bench passphrase", "Known Person", confirmed=True)
        db.session.commit()
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/password/forgot").get_data(as_text=True)).group(1)
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for n in range(requests * 2 + 20):
        address = (KNOWN, UNKNOWN)[n % 2]
        started = time.perf_counter()
        response = client.post("/password/forgot", data={"email": address, "csrf_token": token})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if n >= 20:  # warmed up
            times[address].append(elapsed * 1000)
    with app.app_context():
        db.engine.dispose()
    return statistics.median(times[KNOWN]), statistics.median(times[UNKNOWN])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per address (default 300)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("WORKFLOW_ARGON2_TIME_COST", "1")
    os.environ.setdefault("WORKFLOW_ARGON2_MEMORY_COST", "8192")
    print(f"{'database':<11} {'known (ms)':>11} {'unknown (ms)':>13} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as folder:
        runs = [("sqlite", f"sqlite:///{folder}/bench.sqlite")]
        for name, url in runs:
            known, unknown = measure(url, Path(folder) / name, args.requests)
            print(f"{name:<11} {known:>11.2f} {unknown:>13.2f} {known / unknown:>7.3f}")
        if not args.no_postgres and postgres_available():
            with fresh_postgres_database() as url:
                known, unknown = measure(url, Path(folder) / "postgresql", args.requests)
                print(f"{'postgresql':<11} {known:>11.2f} {unknown:>13.2f} {known / unknown:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Notification delivery: throughput, latency and worker memory, each beside its baseline in the same run.

Run it from the project root (it starts its own Redis server, Celery worker and SMTP sink on free loopback
ports, and uses a fresh PostgreSQL database when the server is reachable, else a temporary SQLite file):

    .venv/bin/python bench/notifications.py
    .venv/bin/python bench/notifications.py --throughput 2000 --latency 1000 --memory 1000 10000

The worker runs as a deployment runs it (README, "Workers"): ``celery -A celery_worker worker --loglevel INFO``
with the prefork pool and the project's default of two processes per CPU (delivery mostly waits on the mail
server and on commits; ``BENCH_CONCURRENCY=2`` measures one per CPU), the project's Celery settings (late
acknowledgement, prefetch 1) and its log written to a file.

It prints:
- T: messages per second from the outbox to the SMTP sink through the real worker, beside a bare ``smtplib``
  loop sending the same number of messages over one connection to the same sink; the ratio (goal >= 0.5).
- C: CPU time per message during T, by process: the worker's pool and main process, this database's
  PostgreSQL backends, Redis, and this process (the sink, and the enqueue). It shows where T goes; with two
  CPUs, T can be no more than 2000 ms / (their sum).
- L: time from a notification's commit to the sink's acceptance, median and p95, one commit per
  notification as requests make them.
- M: the worker's resident memory (main process and pool children) after the smaller and the larger number
  of deliveries (goal: < 10% growth).
Results are also written as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from tests.helpers import free_port  # noqa: E402


class Sink:
    """An SMTP server that only counts, and notes when each Message-ID arrived."""

    def __init__(self):
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        message_id = next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                           if line.lower().startswith(b"message-id:")), "")
        with self.lock:
            self.arrivals[message_id] = now
            self.count += 1
            self.lock.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.count < count:
                if not self.lock.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    raise SystemExit(f"only {self.count} of {count} messages arrived in {timeout}s")


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as children:
                pids.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total


def descendants(pid: int) -> list[int]:
    found, pids = [], [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                kids = [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.extend(kids)
        pids.extend(kids)
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving this database (their titles name it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                pids.append(int(entry))
    return pids


class CpuMeter:
    """CPU seconds spent by each group of processes between :meth:`start` and :meth:`stop`."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable giving the pids of the group now
        self.before: dict[str, dict[int, float]] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self.before = {name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}

    def stop(self) -> None:
        for name, pids in self.groups.items():
            now = {pid: cpu_seconds(pid) for pid in set(pids()) | set(self.before[name])}
            self.spent[name] = sum(now[pid] - self.before[name].get(pid, 0.0) for pid in now if now[pid])


def bare_smtplib(port: int, count: int) -> float:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "desk@localhost", "sink@example.org", "Baseline"
    message.set_content("The same size of message as a notification, more or less.\n" * 20)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            del message["Message-ID"]
            message["Message-ID"] = f"<baseline-{n}@localhost>"
            smtp.send_message(message)
    return count / (time.monotonic() - started)


# As a deployment runs it (README): prefork with the project's default of two processes per CPU (written out,
# so that BENCH_CONCURRENCY can compare other settings), log level INFO.
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", str(2 * (os.cpu_count() or 1)))
WORKER_COMMAND = [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "--pool", "prefork",
                  "--concurrency", CONCURRENCY, "--loglevel", "INFO", "--without-gossip", "--without-mingle"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=1000)
    parser.add_argument("--memory", type=int, nargs=2, default=[1000, 10000])
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if PostgreSQL is reachable")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed")

    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)

    from tests.conftest import fresh_postgres_database, postgres_available

    use_postgres = postgres_available() and not args.sqlite
    database_context = fresh_postgres_database() if use_postgres else None
    database_url = database_context.__enter__() if database_context else f"sqlite:///{workdir / 'bench.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update({
        "WORKFLOW_DATABASE_URL": database_url, "WORKFLOW_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "WORKFLOW_QUEUE": f"bench-{uuid.uuid4().hex[:6]}", "WORKFLOW_SMTP_PORT": str(smtp_port),
        "WORKFLOW_SMTP_HOST": "127.0.0.1", "WORKFLOW_LOG_LEVEL": "INFO",
        "WORKFLOW_ARGON2_TIME_COST": "1", "WORKFLOW_ARGON2_MEMORY_COST": "8192",
    })
    os.environ.update(env)
    worker = None
    try:
        from flask_migrate import upgrade

        from workflow import create_app
        from workflow.auth import services as accounts
        from workflow.core.transaction import discard_after_commit
        from workflow.extensions import db
        from workflow.notifications import outbox, services
        from workflow.notifications.mail import message_id

        app = create_app()
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's per-command log, once per message
        with app.app_context():
            upgrade()
            user = accounts.create_user("reader@example.org", "a long bench password", "Reader")
            db.session.commit()
            user_id = user.id

        worker_log = workdir / "worker.log"
        with open(worker_log, "wb") as log:
            worker = subprocess.Popen(WORKER_COMMAND, cwd=ROOT, env={**os.environ}, stdout=log,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b" ready." not in worker_log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the worker did not start:\n" + worker_log.read_text(errors="replace"))
            time.sleep(0.2)
        time.sleep(2)  # let its pool processes finish starting before the baseline takes the CPUs

        def make(count: int, enqueue: bool) -> list[int]:
            with app.app_context():
                from workflow.people.models import User

                reader = db.session.get(User, user_id)
                ids = [services.notify("account.password_changed", reader).id for _ in range(count)]
                if not enqueue:
                    discard_after_commit(db.session())
                db.session.commit()
                return ids

        rows = []
        # T: throughput, beside bare smtplib.
        baseline = bare_smtplib(smtp_port, args.throughput)
        sent_before = sink.count
        ids = make(args.throughput, enqueue=False)
        database_name = database_url.rsplit("/", 1)[1]
        groups = {"worker pool": lambda: descendants(worker.pid), "worker main": lambda: [worker.pid]}
        if use_postgres:  # SQLite works inside the worker's processes
            groups["PostgreSQL"] = lambda: postgres_backends(database_name)
        groups.update({"Redis": lambda: [redis.pid], "this process (sink)": lambda: [os.getpid()]})
        meter = CpuMeter(groups)
        meter.start()
        started = time.monotonic()
        with app.app_context():
            outbox.enqueue(ids)
        sink.wait_for(sent_before + args.throughput)
        ours = args.throughput / (time.monotonic() - started)
        meter.stop()
        rows.append(("T", f"outbox -> SMTP through the worker, {args.throughput} messages", f"{ours:.0f} msg/s",
                     f"bare smtplib, one connection: {baseline:.0f} msg/s", f"ratio {ours / baseline:.2f}"))
        per_message = {name: spent * 1000 / args.throughput for name, spent in meter.spent.items()}
        rows.append(("C", "CPU per message during T (ms), by process", f"sum {sum(per_message.values()):.2f}",
                     ", ".join(f"{name} {ms:.2f}" for name, ms in per_message.items()), ""))

        # L: commit -> accepted, one commit per notification.
        commits: dict[str, float] = {}
        with app.app_context():
            from workflow.people.models import User

            for _ in range(args.latency):
                notification = services.notify("account.password_changed", db.session.get(User, user_id))
                db.session.commit()
                commits[message_id(notification)] = time.monotonic()
        sink.wait_for(sink.count + 0)  # no-op: arrivals are matched by Message-ID below
        deadline = time.monotonic() + 600
        while any(mid not in sink.arrivals for mid in commits) and time.monotonic() < deadline:
            time.sleep(0.1)
        latencies = sorted((sink.arrivals[mid] - at) * 1000 for mid, at in commits.items() if mid in sink.arrivals)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        rows.append(("L", f"commit -> accepted by the mail server, {len(latencies)} notifications",
                     f"median {statistics.median(latencies):.0f} ms", f"p95 {p95:.0f} ms", ""))

        # M: worker memory after the smaller and the larger number of further deliveries.
        small, large = args.memory
        for count in (small, large - small):
            total = sink.count + count
            for start in range(0, count, 1000):
                make(min(1000, count - start), enqueue=True)
            sink.wait_for(total)
            time.sleep(1)
            if count == small:
                after_small = rss_kib(worker.pid)
        after_large = rss_kib(worker.pid)
        growth = (after_large - after_small) / after_small * 100
        rows.append(("M", f"worker RSS after {small:,} vs after {large:,} deliveries",
                     f"{after_small / 1024:.1f} MiB", f"{after_large / 1024:.1f} MiB", f"growth {growth:+.1f}%"))

        database = "PostgreSQL" if use_postgres else "SQLite"
        from workflow.notifications.tasks import BATCH_SIZE

        celery_settings = app.config["CELERY"]
        print(f"\nNotification delivery ({database}, Redis, SMTP sink on loopback, {os.cpu_count()} CPUs)")
        print(f"command: {' '.join(sys.argv)}")
        print(f"worker: {' '.join(WORKER_COMMAND[2:])}; acks_late={celery_settings['task_acks_late']}, "
              f"prefetch={celery_settings['worker_prefetch_multiplier']}, up to {BATCH_SIZE} notifications per task\n")
        for row in rows:
            print(f"{row[0]:<3}{row[1]:<58}{row[2]:<18}{row[3]:<40} {row[4]}")
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        out = results / f"notifications-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps({"database": database, "command": sys.argv, "worker": WORKER_COMMAND[2:],
                                   "batch_size": BATCH_SIZE, "rows": rows}, indent=2))
        print(f"\nwritten to {out.relative_to(ROOT)}")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        redis.terminate()
        controller.stop()
        if database_context:
            database_context.__exit__(None, None, None)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

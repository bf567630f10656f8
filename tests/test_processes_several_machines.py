"""Several machines, nothing shared but configuration.

Two gunicorn web servers on two ports, two Celery workers and one beat, against PostgreSQL and a Redis of the
test's own on loopback: the processes share only their environment (``WORKFLOW_*``), as machines behind a load
balancer do. Editors and contributors send a few hundred mixed requests to both servers at once, each person's
requests alternating between the two (a round-robin load balancer: a form read on one server is posted to the
other). Then:

1. no update is lost: every transition answered 303 is in the audit trail and nothing else is, no two editors
   won from the same version, every 409 was a real conflict and changed nothing, and each submission's version
   and state are what its 303s imply;
2. every email the outbox holds reached the mail server exactly once (by Message-ID), to its recipient;
3. a session begun on one server is valid on the other, and signing out on one ends it on both;
4. failed sign-ins alternating between the servers are counted together: the 11th waits (429).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import fresh_postgres_database, missing_service, postgres_available
from tests.helpers import CSRF_RE, VERSION_RE, MailCatcher
from tests.processes import PASSWORD, Desk, LiveClient, wait_for
from workflow import ROOT
from workflow.core.models import utcnow

pytestmark = [pytest.mark.worker, pytest.mark.slow]

EDITORS = ["Dana Editor", "Eli Editor", "Fay Editor", "Gus Editor"]
CONTRIBUTORS = ["Ana Reporter", "Ben Reporter", "Cleo Reporter"]
EDITOR_TURNS = 30  # transitions per editor; every fifth one all editors take on the same submission at once
CONTRIBUTOR_TURNS = 12
ACTION_RE = re.compile(r'name="action" type="hidden" value="(\w+)"')
# The editors' moves that need no draft, round and round: pitched -> assigned -> declined -> pitched.
TARGET = {"assign": "assigned", "decline": "declined", "reopen": "pitched"}
CONTRIBUTOR_EVENT = {"assign": "submission.assigned", "decline": "submission.declined",
                     "reopen": "submission.reopened"}

SEED_PEOPLE = """
import json, sys
from workflow import create_app
from workflow.people.models import Role
from workflow.auth.services import create_user
from workflow.extensions import db
with create_app().app_context():
    for email, role, name in json.loads(sys.argv[1]):
        create_user(email, sys.argv[2], name, role=Role(role), confirmed=True)
    db.session.commit()
"""


def address(name: str) -> str:
    return name.split()[0].lower() + "@example.org"


@pytest.fixture
def postgres():
    if not postgres_available():
        missing_service("PostgreSQL is not reachable")
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def engine(postgres):
    """The database, read directly at the end."""
    connection_pool = sa.create_engine(postgres)
    yield connection_pool
    connection_pool.dispose()


@pytest.fixture
def mail_server():
    """A mail server of this test's own: nothing another test's worker sends late can arrive here."""
    catcher = MailCatcher()
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture
def installation_with_people(tmp_path, postgres, redis_server, mail_server):
    """A desk installed on PostgreSQL with the editors and contributors of the test, its secret key set by
    configuration (shared by every server); servers and workers start as the test asks."""
    installation = Desk(tmp_path, postgres, redis_server.url, mail_server, secret_key="shared-by-configuration-" * 2)
    installation.migrate()
    people = ([(address(name), "editor", name) for name in EDITORS]
              + [(address(name), "contributor", name) for name in [*CONTRIBUTORS, "Sam Sessions", "Tia Target"]])
    subprocess.run([sys.executable, "-c", SEED_PEOPLE, json.dumps(people), PASSWORD], cwd=ROOT,
                   env=installation.env, check=True, capture_output=True, timeout=60)
    yield installation
    run_together([service.stop for service in installation.services])


class Browser(LiveClient):
    """One person's browser behind a round-robin load balancer: one cookie jar, each request to the next
    server in turn (``pinned`` sends them all to one). Keeps every answer's server, path and status."""

    def __init__(self, servers, name: str):
        super().__init__(servers[0].base_url)
        self.bases = [server.base_url for server in servers]
        self.name = name
        self.pinned: int | None = None
        self.answers: list[tuple[str, str, int]] = []

    def request(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str, str]:
        turn = self.pinned if self.pinned is not None else len(self.answers)
        self.base_url = self.bases[turn % len(self.bases)]
        status, body, location = super().request(path, data, timeout)
        self.answers.append((self.base_url, path, status))
        return status, body, location

    def read(self, path: str) -> str:
        """A page as its reader sees it: 200, signed in as themselves."""
        status, body, location = self.request(path)
        assert status == 200 and self.name in body, f"{self.name} reading {path} at {self.base_url}: {status} " \
                                                    f"{location}"
        return body

    def sign_in(self) -> Browser:
        status, body, _ = self.post("/login", {"email": address(self.name), "password": PASSWORD}, page="/login")
        assert status == 303, f"{self.name} signing in (the form read at one server): {status} {said(body)}"
        return self

    def pitch(self, headline: str) -> int:
        status, body, location = self.post("/pitch", {"headline": headline, "summary": "Summary.", "angle": "Now.",
                                                      "sources": "Many."}, page="/pitch")
        assert status == 303, f"{self.name}'s pitch was refused: {status} {said(body)}"
        return int(re.search(r"/submissions/(\d+)", location)[1])


def said(html: str) -> str:
    """What a page says went wrong (its error summary, else its beginning), for failure messages."""
    alert = re.search(r'class="error-summary".*?</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert[0] if alert else html[:300])).strip()[:300]


@dataclass(frozen=True)
class Move:
    """An editor's transition as they saw it: the version on their page, what they did, what they got."""

    submission_id: int
    seen: int
    action: str
    actor_id: int
    status: int


def editor_at_work(browser: Browser, actor_id: int, pool: list[int], editor_ids: list[int],
                   together: threading.Barrier, moves: list[Move], seed: int) -> None:
    rng = random.Random(seed)
    deadline = (utcnow().date() + timedelta(days=7)).isoformat()
    try:
        for turn in range(EDITOR_TURNS):
            same_moment = turn % 5 == 0
            submission_id = pool[turn // 5 % len(pool)] if same_moment else rng.choice(pool)
            page = f"/submissions/{submission_id}"
            html = browser.read(page)
            action = rng.choice([a for a in ACTION_RE.findall(html) if a in TARGET])
            fields = ({"editor_id": rng.choice(editor_ids), "deadline": deadline} if action == "assign"
                      else {"comment": f"{browser.name}: {action}."})
            seen = int(VERSION_RE.search(html)[1])
            if same_moment:
                together.wait(timeout=60)  # every editor has read the page: at most one of them can win
            status, body, _ = browser.request(f"{page}/transition", {
                **fields, "action": action, "version": seen, "csrf_token": CSRF_RE.search(html)[1]})
            assert status in (303, 409), f"{browser.name}: {action} {page} from version {seen}: {status} {said(body)}"
            moves.append(Move(submission_id, seen, action, actor_id, status))
            if rng.random() < 0.5:
                browser.read(rng.choice(["/queue", "/queue?state=pitched", "/notifications", page]))
    except BaseException:
        together.abort()  # the others stop waiting for this editor
        raise


def contributor_at_work(browser: Browser, own: list[int], seed: int) -> None:
    rng = random.Random(seed)
    for turn in range(CONTRIBUTOR_TURNS):
        page = f"/submissions/{rng.choice(own)}"
        browser.read("/dashboard")
        status, body, _ = browser.post(f"{page}/messages", {"body": f"{browser.name}, message {turn}."}, page=page)
        assert status == 303, f"{browser.name}'s message on {page}: {status} {said(body)}"
        browser.read(rng.choice(["/notifications", page]))
        if turn == CONTRIBUTOR_TURNS // 2:
            own.append(browser.pitch(f"{browser.name}'s late story"))


def run_together(tasks) -> None:
    """Each task in a thread of its own, all at once; the first failure is raised here."""
    errors = []

    def guarded(task):
        try:
            task()
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_two_servers_two_workers_and_a_beat_share_nothing_but_configuration(installation_with_people, engine,
                                                                             mail_server):
    servers, workers = [], []
    run_together([lambda: servers.append(installation_with_people.web()),
                  lambda: servers.append(installation_with_people.web()),
                  lambda: workers.append(installation_with_people.worker("one", beat=True)),
                  lambda: workers.append(installation_with_people.worker("two", beat=False))])
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.text("SELECT display_name, id FROM users")).all())
    editors = [Browser(servers, name).sign_in() for name in EDITORS]
    contributors = [Browser(servers, name).sign_in() for name in CONTRIBUTORS]
    own = {c.name: [c.pitch(f"{c.name}'s story {n}") for n in range(2)] for c in contributors}
    pool = [submission_id for stories in own.values() for submission_id in stories]

    # A few hundred mixed requests at both servers at once.
    started = time.monotonic()
    moves: list[Move] = []
    together = threading.Barrier(len(editors))
    run_together(
        [lambda e=e, n=n: editor_at_work(e, ids[e.name], pool, [ids[name] for name in EDITORS], together, moves, n)
         for n, e in enumerate(editors)]
        + [lambda c=c, n=n: contributor_at_work(c, list(own[c.name]), 100 + n) for n, c in enumerate(contributors)])
    answers = [answer for browser in editors + contributors for answer in browser.answers]
    per_server = Counter(server for server, _, _ in answers)
    print(f"{len(answers)} requests ({time.monotonic() - started:.1f}s at once): {dict(per_server)}; "
          f"transitions: {dict(Counter(m.status for m in moves))}")
    assert len(answers) >= 300 and all(per_server[s.base_url] >= 100 for s in servers), per_server
    assert not [a for a in answers if a[2] >= 500], "a server failed a request"

    check_no_update_is_lost(engine, pool, moves)
    check_one_session_on_both_servers(servers)
    check_failed_sign_ins_are_counted_together(servers)  # last: from now on this address may not sign in
    check_every_email_arrives_once(engine, mail_server, workers)


def check_no_update_is_lost(engine, pool: list[int], moves: list[Move]) -> None:
    """What the editors were told (303 or 409) is what the database says happened."""
    won = [m for m in moves if m.status == 303]
    conflicts = [m for m in moves if m.status == 409]
    assert len(conflicts) >= (EDITOR_TURNS // 5) * (len(EDITORS) - 1), "editors acting at one moment conflict"
    with engine.connect() as connection:
        stored = {row.id: row for row in connection.execute(
            sa.text("SELECT id, state, version FROM submissions WHERE id = ANY(:ids)"), {"ids": pool})}
        audit = Counter(tuple(row) for row in connection.execute(sa.text(
            "SELECT submission_id, version, action, actor_id FROM audit_entries WHERE action <> 'pitch'")))
        told = Counter(tuple(row) for row in connection.execute(sa.text(
            "SELECT submission_id, event FROM notifications WHERE event IN :events"
        ).bindparams(sa.bindparam("events", expanding=True)), {"events": list(CONTRIBUTOR_EVENT.values())}))
    for submission_id in pool:
        chain = sorted((m for m in won if m.submission_id == submission_id), key=lambda m: m.seen)
        assert [m.seen for m in chain] == list(range(1, len(chain) + 1)), \
            f"submission {submission_id}: two editors' changes went through from one version: {chain}"
        expected_state = TARGET[chain[-1].action] if chain else "pitched"
        assert (stored[submission_id].state, stored[submission_id].version) == (expected_state, 1 + len(chain)), \
            f"submission {submission_id} is not what its {len(chain)} successful transitions made it"
    assert audit == Counter((m.submission_id, m.seen + 1, m.action, m.actor_id) for m in won), \
        "the audit trail is not exactly the transitions answered 303 (a 409 changed something, or a 303 is lost)"
    won_from = {(m.submission_id, m.seen) for m in won}
    assert all((m.submission_id, m.seen) in won_from for m in conflicts), "a 409 though nobody had changed it"
    assert told == Counter((m.submission_id, CONTRIBUTOR_EVENT[m.action]) for m in won), \
        "the contributor was not told of exactly the transitions that went through"


def check_one_session_on_both_servers(servers) -> None:
    """A session begun on one server works on the other; signing out on one ends it on both, and a copy of its
    cookies taken before (the session cookie, the remember cookie) stops working at once on either."""
    sam = Browser(servers, "Sam Sessions")
    sam.pinned = 0
    status, body, _ = sam.post("/login", {"email": address(sam.name), "password": PASSWORD, "remember": "y"},
                               page="/login")  # on the first server
    assert status == 303, said(body)
    sam.pinned = 1
    sam.read("/dashboard")  # the same cookie on the second: Sam's own dashboard
    copies = {}
    for name in ("session", "remember_token"):
        copy = Browser(servers, sam.name)
        copy.jar.set_cookie(next(cookie for cookie in sam.jar if cookie.name == name))
        copy.pinned = 0
        copy.read("/dashboard")  # the copy works (on the other server) before Sam signs out
        copies[name] = copy
    status, _, location = sam.post("/logout", {}, page="/dashboard")  # signs out on the second
    assert status == 303 and location.endswith("/login"), (status, location)
    sam.pinned = 0
    status, _, location = sam.request("/dashboard")
    assert status in (302, 303) and "/login" in location, "signed out on one server, still signed in on the other"
    for name, copy in copies.items():
        for server in (0, 1):
            copy.pinned = server
            status, _, location = copy.request("/dashboard")
            assert status == 302 and "/login" in location, f"a copied {name} cookie still works on server {server}"


def check_failed_sign_ins_are_counted_together(servers) -> None:
    statuses = [servers[n % 2].browser().post("/login", {"email": address("Tia Target"), "password": "wrong" * 4},
                                              page="/login")[0] for n in range(11)]
    assert statuses == [422] * 10 + [429], f"failed sign-ins alternating between the servers: {statuses}"


def check_every_email_arrives_once(engine, mail_server, workers) -> None:
    """Once the outbox is drained, the mail server holds one email per notification: no more, no fewer."""
    def drained() -> dict[int, tuple[str, str]] | None:
        """The outbox (id -> address, status) once nothing in it waits to be sent."""
        with engine.connect() as connection:
            rows = {row.id: (row.email, row.status)
                    for row in connection.execute(sa.text("SELECT id, email, status FROM notifications"))}
        return None if any(status == "pending" for _, status in rows.values()) else rows

    wait_for(drained, 90, "the outbox draining", step=0.5)
    time.sleep(3)  # a sweep or two more: nothing is sent twice
    rows = wait_for(drained, 30, "the outbox draining")  # again: beat may have written a digest meanwhile
    assert Counter(status for _, status in rows.values()) == {"sent": len(rows)}, "every notification is sent"
    received = [(m["Message-ID"], m["To"]) for m in mail_server.messages]
    twice = [mid for mid, count in Counter(mid for mid, _ in received).items() if count > 1]
    assert not twice, f"{len(twice)} emails arrived more than once: {twice[:5]}"
    by_id = {int(re.search(r"<notification-(\d+)@", mid)[1]): to for mid, to in received}
    assert set(by_id) == set(rows), f"emails missing: {sorted(set(rows) - set(by_id))[:5]}, " \
                                    f"with no notification: {sorted(set(by_id) - set(rows))[:5]}"
    assert all(by_id[n] == rows[n][0] for n in rows), "an email went to someone else than its notification's"
    with engine.connect() as connection:  # the delivery ledger names the worker of each attempt
        sent_by = Counter(worker.split("@")[0].rsplit("-", 1)[0] for worker in connection.execute(sa.text(
            "SELECT worker FROM delivery_attempts WHERE outcome = 'sent'")).scalars())
    assert set(sent_by) == {w.name for w in workers}, f"both workers sent some of the emails: {dict(sent_by)}"
    print(f"{len(rows)} emails, each once; sent per worker: {dict(sent_by)}")

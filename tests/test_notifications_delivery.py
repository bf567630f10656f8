"""Delivery under faults, with the real worker, Redis and SMTP server: the ledger, retries, failures that an
admin sends again, the sweeper, and changes that roll back taking their notifications with them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.helpers import Client, free_port, signed_in, text_of
from tests.processes import wait_for
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications import outbox, services
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

pytestmark = pytest.mark.worker


def notification_rows(app, email: str | None = None) -> list[Notification]:
    with app.app_context():
        query = sa.select(Notification).order_by(Notification.id)
        if email:
            query = query.where(Notification.email == email)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def admin_client(app, factory) -> Client:
    admin = factory.user("admin")
    client = signed_in(app, admin)
    return client


def test_temporary_refusals_are_retried_and_every_attempt_is_in_the_ledger(app, clean_db, worker, mailbox,
                                                                           factory):
    reporter = factory.user("contributor")
    mailbox.refuse_next(3, "451 4.7.1 Greylisted, try again later", to=reporter.email)
    submission = factory.submission(reporter)
    message = mailbox.wait_for_subject(reporter.email, "We received your pitch", timeout=30)
    time.sleep(0.5)
    assert len([m for m in mailbox.to(reporter.email) if "We received" in m["Subject"]]) == 1

    received = next(n for n in notification_rows(app, reporter.email) if n.event == "submission.received")
    assert message["Message-ID"].startswith(f"<notification-{received.id}@")
    admin = admin_client(app, factory)
    ledger = text_of(admin.get(f"/admin/deliveries/{received.id}"))
    assert ledger.count("Refused for now") == 3
    assert ledger.count("Accepted by the mail server") == 1
    assert "451 4.7.1 Greylisted" in ledger and "250 OK queued as test" in ledger

    contributor = signed_in(app, reporter)
    page = text_of(contributor.get(f"/submissions/{submission.id}"))
    assert "Emailed you: “We received your pitch" in page and "accepted by the mail server" in page


def test_a_permanent_refusal_is_kept_shown_and_sent_again_by_an_admin(app, clean_db, worker, mailbox, factory):
    mailbox.refuse_with = "550 5.1.1 Mailbox unavailable"
    reporter = factory.user("contributor")
    submission = factory.submission(reporter)
    failed = wait_for(lambda: [n for n in notification_rows(app, reporter.email)
                               if n.status is DeliveryStatus.FAILED], 20, "the notification failing")
    assert failed[0].attempts == 1  # a 5xx is not retried
    assert not mailbox.to(reporter.email)

    contributor = signed_in(app, reporter)
    assert "could not be delivered" in text_of(contributor.get(f"/submissions/{submission.id}"))

    admin = admin_client(app, factory)
    listing = admin.get("/admin/deliveries")  # failed ones by default
    assert reporter.email in text_of(listing) and "550 5.1.1 Mailbox unavailable" in text_of(listing)
    assert reporter.email not in text_of(admin.get("/admin/deliveries?status=sent"))

    mailbox.refuse_with = None  # the mailbox is fixed
    response = admin.post(f"/admin/deliveries/{failed[0].id}/retry", page="/admin/deliveries")
    assert response.status_code == 303
    mailbox.wait_for_subject(reporter.email, "We received your pitch")
    time.sleep(0.5)
    assert len(mailbox.to(reporter.email)) == 1
    assert "Send again" not in text_of(admin.get("/admin/deliveries"))
    ledger = text_of(admin.get(f"/admin/deliveries/{failed[0].id}"))
    assert "Refused for good" in ledger and "Accepted by the mail server" in ledger


def test_only_admins_see_and_retry_deliveries(app, clean_db, factory):
    editor = signed_in(app, factory.user("editor").email)
    assert editor.get("/admin/deliveries").status_code == 403
    assert editor.post("/admin/deliveries/1/retry", page="/account").status_code == 403


def test_a_request_that_fails_after_its_change_leaves_no_notification(app, clean_db, worker, mailbox, factory,
                                                                      monkeypatch):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    submission = factory.submission(reporter)
    mailbox.wait_for_subject(reporter.email, "We received your pitch")
    before = len(notification_rows(app))

    import workflow.submissions.views as views

    def broken_flash(*args, **kwargs):
        raise RuntimeError("the request dies after the change")

    monkeypatch.setattr(views, "flash", broken_flash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer with the 500 page, as in production
    desk = signed_in(app, editor)
    page = f"/submissions/{submission.id}"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', desk.get(page).get_data(as_text=True))[1]
    response = desk.post(f"{page}/transition", {"action": "decline", "version": version, "comment": "No."},
                         page=page)
    assert response.status_code == 500
    monkeypatch.undo()

    assert len(notification_rows(app)) == before
    assert "Pitched" in text_of(desk.get(page))
    time.sleep(1.0)
    assert not any("About your pitch" in m["Subject"] for m in mailbox.messages)


def test_the_sweeper_delivers_what_the_broker_never_got(app, clean_db, worker, mailbox, factory, monkeypatch):
    from workflow.notifications.tasks import deliver_batch

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_batch, "apply_async", broker_down)
    reporter = factory.user("contributor")
    factory.submission(reporter)  # commits; its enqueue fails
    monkeypatch.undo()
    rows = notification_rows(app, reporter.email)
    assert rows and all(n.status is DeliveryStatus.PENDING and n.queued_at is None for n in rows)
    time.sleep(0.5)
    assert not mailbox.to(reporter.email)

    time.sleep(app.config["OUTBOX_GRACE_SECONDS"])
    result = app.test_cli_runner().invoke(args=["notifications", "sweep"])
    assert result.exit_code == 0 and "Handed" in result.output
    mailbox.wait_for_subject(reporter.email, "We received your pitch")
    again = app.test_cli_runner().invoke(args=["notifications", "sweep"])
    assert "Handed 0 notification(s)" in again.output  # taken once
    time.sleep(0.5)
    assert len(mailbox.to(reporter.email)) == 1

    status = app.test_cli_runner().invoke(args=["notifications", "status"])
    assert re.search(r"sent\s+\d+", status.output) and "pending  0" in status.output


def test_a_notification_written_in_a_savepoint_is_handed_over_only_after_the_outer_commit(app, clean_db, factory,
                                                                                          monkeypatch):
    """Scheduled mail is written in savepoints (one per reminder); releasing one commits nothing, so the worker
    must not hear of the row until the whole transaction has committed."""
    from workflow.notifications.tasks import deliver_batch
    from workflow.people.models import User

    reporter = factory.user("contributor")
    handed: list[tuple[list[int], bool]] = []

    def record(args, **kwargs):
        with db.engine.connect() as other:  # what a worker would see at this moment
            visible = other.scalar(sa.select(sa.func.count()).select_from(Notification)
                                   .where(Notification.id.in_(args[0])))
        handed.append((args[0], visible == len(args[0])))

    monkeypatch.setattr(deliver_batch, "apply_async", record)
    with app.app_context():
        with db.session.begin_nested():
            services.notify("submission.message", db.session.get(User, reporter.id), author="A", headline="H")
        db.session.flush()
        assert handed == []  # the savepoint is released, but nothing is committed yet
        db.session.commit()
    assert len(handed) == 1 and handed[0][1], handed


def test_two_sweepers_never_take_the_same_row(app, clean_db, factory, monkeypatch):
    from workflow.notifications.tasks import deliver_batch

    handed: list[int] = []
    monkeypatch.setattr(deliver_batch, "apply_async", lambda args, **kw: handed.extend(args[0]))
    reporter = factory.user("contributor")
    for _ in range(6):
        factory.submission(reporter)
    with app.app_context():
        db.session.execute(sa.update(Notification).values(queued_at=None))  # as if every enqueue was lost
        db.session.commit()
    handed.clear()
    time.sleep(app.config["OUTBOX_GRACE_SECONDS"] + 0.1)

    taken: list[list[int]] = []
    barrier = threading.Barrier(2)

    def sweeper():
        with app.app_context():
            barrier.wait()
            taken.append(outbox.sweep())

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = taken[0] + taken[1]
    assert len(every) == len(set(every)) == len(notification_rows(app))
    assert sorted(handed) == sorted(every)


def test_the_worker_logs_one_line_per_delivery(app, clean_db, worker, mailbox, factory):
    already = worker.log_path.stat().st_size  # ids start again with every test: read only this test's lines
    reporter = factory.user("contributor")
    submission = factory.submission(reporter)
    mailbox.wait_for_subject(reporter.email, "We received your pitch")
    received = next(n for n in notification_rows(app, reporter.email) if n.event == "submission.received")
    def new_lines():
        with open(worker.log_path, encoding="utf-8") as log:
            log.seek(already)
            return log.read().splitlines()

    line = wait_for(lambda: next((ln for ln in new_lines()
                                  if f"delivery notification={received.id} " in ln and "outcome=sent" in ln), None),
                    20, "the delivery's log line")
    assert f"submission={submission.id}" in line and "attempt=1" in line


# Batches: several notifications over one SMTP connection ----------------------------------------------------

class PickyServer:
    """An SMTP server of the test's own that answers by recipient and notes every connection.

    ``refuse_rcpt`` and ``refuse_data`` map an address to the reply to its RCPT TO or to the end of its DATA.
    With ``drop_after``, a connection that has carried that many messages is closed by the server at the next
    MAIL FROM (as a server does with a connection left idle too long).
    """

    def __init__(self, refuse_rcpt: dict | None = None, refuse_data: dict | None = None,
                 drop_after: int | None = None):
        self.refuse_rcpt = refuse_rcpt or {}
        self.refuse_data = refuse_data or {}
        self.drop_after = drop_after
        self.accepted: list[email.message.EmailMessage] = []
        self.peers: set = set()
        self._controller: Controller | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.peers.add(session.peer)
        # The count lives on the session itself: a dict keyed by id(session) would credit a new connection
        # with the messages of a closed one whose session object happened to have the same id.
        if self.drop_after is not None and getattr(session, "carried", 0) >= self.drop_after:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.4.2 Idle for too long, closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        session.carried = getattr(session, "carried", 0) + 1
        reply = self.refuse_data.get(envelope.rcpt_tos[0])
        if reply:
            return reply
        self.accepted.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK queued as picky"

    def __enter__(self) -> PickyServer:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()


@pytest.fixture
def picky(app, monkeypatch):
    """Point the app (not the worker process) at a PickyServer; configure it with ``picky(...)``."""
    servers = []

    def start(**settings) -> PickyServer:
        server = PickyServer(**settings).__enter__()
        servers.append(server)
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def outbox_rows(app, factory, *addresses: str) -> list[int]:
    """One committed notification per address, never handed to the worker (the test delivers them itself)."""
    from workflow.core.transaction import discard_after_commit
    from workflow.people.models import User

    users = [factory.user("contributor", email=address) for address in addresses]
    with app.app_context():
        ids = [services.notify("account.password_changed", db.session.get(User, user.id)).id for user in users]
        discard_after_commit(db.session())
        db.session.commit()
    return ids


def ledger(app, notification_id: int) -> list[DeliveryAttempt]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(DeliveryAttempt)
                                       .where(DeliveryAttempt.notification_id == notification_id)
                                       .order_by(DeliveryAttempt.attempt)))
        db.session.expunge_all()
        return rows


def row(app, notification_id: int) -> Notification:
    with app.app_context():
        notification = db.session.get(Notification, notification_id)
        db.session.expunge(notification)
        return notification


def test_a_batch_goes_over_one_connection_and_each_refusal_touches_only_its_message(app, clean_db, factory, picky):
    server = picky(refuse_rcpt={"gone@example.org": "550 5.1.1 No such mailbox"},
                   refuse_data={"grey@example.org": "451 4.7.1 Greylisted, try again later"})
    first, grey, gone, last = outbox_rows(app, factory, "first@example.org", "grey@example.org", "gone@example.org",
                                          "last@example.org")
    from workflow.notifications import delivery

    with app.app_context():
        results = delivery.deliver_batch([first, grey, gone, last])

    assert {n: r.outcome for n, r in results.items()} == {first: "sent", grey: "retry", gone: "failed", last: "sent"}
    assert 0.5 <= results[grey].retry_in <= 1  # WORKFLOW_MAIL_RETRY_BASE_SECONDS=1: the first delay is 0.5..1 s
    assert sorted(m["To"] for m in server.accepted) == ["first@example.org", "last@example.org"]
    assert len(server.peers) == 1  # the refusals reset the transaction; they did not cost a connection

    for sent in (first, last):
        notification = row(app, sent)
        assert notification.status is DeliveryStatus.SENT and notification.sent_at is not None
        assert notification.server_reply.startswith("250 OK queued as picky")
        assert notification.locked_until is None and notification.attempts == 1
        [attempt] = ledger(app, sent)
        assert attempt.outcome is AttemptOutcome.SENT and attempt.finished_at is not None
    greylisted = row(app, grey)
    assert greylisted.status is DeliveryStatus.PENDING and greylisted.locked_until is None
    assert greylisted.last_error == "451 4.7.1 Greylisted, try again later"
    assert utcnow() < greylisted.next_attempt_at <= utcnow() + timedelta(seconds=1)
    [attempt] = ledger(app, grey)
    assert attempt.outcome is AttemptOutcome.TEMPORARY_FAILURE and attempt.server_reply.startswith("451 4.7.1")
    refused = row(app, gone)
    assert refused.status is DeliveryStatus.FAILED and refused.last_error == "550 5.1.1 No such mailbox"
    [attempt] = ledger(app, gone)
    assert attempt.outcome is AttemptOutcome.PERMANENT_FAILURE and attempt.attempt == 1


def test_a_batch_skips_a_row_that_another_worker_holds(app, clean_db, factory, picky):
    server = picky()
    mine, held, also_mine = outbox_rows(app, factory, "a@example.org", "b@example.org", "c@example.org")
    with app.app_context():  # another worker's lease: claimed a moment ago, still sending
        db.session.execute(sa.update(Notification).where(Notification.id == held)
                           .values(locked_until=utcnow() + timedelta(minutes=5), attempts=1))
        db.session.commit()
    from workflow.notifications import delivery

    with app.app_context():
        results = delivery.deliver_batch([mine, held, also_mine])

    assert {n: r.outcome for n, r in results.items()} == {mine: "sent", held: "skipped", also_mine: "sent"}
    assert sorted(m["To"] for m in server.accepted) == ["a@example.org", "c@example.org"]
    untouched = row(app, held)
    assert untouched.status is DeliveryStatus.PENDING and untouched.attempts == 1 and untouched.locked_until
    assert ledger(app, held) == []


def test_a_batch_that_outlives_half_its_lease_gives_the_rest_back_untried(app, clean_db, factory, picky,
                                                                        monkeypatch):
    server = picky()
    ids = outbox_rows(app, factory, "one@example.org", "two@example.org", "three@example.org", "four@example.org")
    monkeypatch.setitem(app.config, "DELIVERY_LEASE_SECONDS", 0)  # half the lease is over before the second
    from workflow.notifications import delivery

    overtaken = ids[3]
    send = delivery._send

    def send_while_another_worker_takes_the_last(server, job):
        # Our (zero) lease has run out: another worker's sweeper claims the last row while we send the first.
        with db.engine.begin() as connection:
            connection.execute(sa.update(Notification).where(Notification.id == overtaken)
                               .values(locked_until=utcnow() + timedelta(minutes=5),
                                       attempts=Notification.attempts + 1))
        return send(server, job)

    monkeypatch.setattr(delivery, "_send", send_while_another_worker_takes_the_last)
    with app.app_context():
        results = delivery.deliver_batch(ids)

    assert [results[n].outcome for n in ids] == ["sent", "released", "released", "skipped"]
    assert [m["To"] for m in server.accepted] == ["one@example.org"]
    for released in ids[1:3]:
        notification = row(app, released)
        assert notification.status is DeliveryStatus.PENDING and notification.locked_until is None
        assert notification.attempts == 0 and notification.next_attempt_at is not None  # due again, nothing counted
        assert ledger(app, released) == []
    theirs = row(app, overtaken)  # left as the other worker holds it
    assert theirs.attempts == 2 and theirs.locked_until > utcnow()


def test_a_connection_the_server_dropped_between_messages_is_opened_again(app, clean_db, factory, picky):
    server = picky(drop_after=1)
    ids = outbox_rows(app, factory, "one@example.org", "two@example.org", "three@example.org")
    from workflow.notifications import delivery

    with app.app_context():
        results = delivery.deliver_batch(ids)

    assert [results[n].outcome for n in ids] == ["sent", "sent", "sent"]
    assert [m["To"] for m in server.accepted] == ["one@example.org", "two@example.org", "three@example.org"]
    assert len(server.peers) == 3
    assert all([a.outcome for a in ledger(app, n)] == [AttemptOutcome.SENT] for n in ids)


def test_a_batch_task_schedules_each_retry_alone(app, clean_db, factory, picky, monkeypatch):
    picky(refuse_data={"grey@example.org": "451 4.7.1 Greylisted, try again later"})
    ok, grey = outbox_rows(app, factory, "ok@example.org", "grey@example.org")
    from workflow.notifications import tasks

    retries = []
    monkeypatch.setattr(tasks.deliver_notification, "apply_async",
                        lambda args, countdown, **kw: retries.append((args, countdown)))
    assert tasks.deliver_batch([ok, grey]) == {"sent": 1, "retry": 1}  # run here, in this process
    [(args, countdown)] = retries
    assert args == (grey,) and 0.5 <= countdown <= 1


def test_enqueue_hands_the_broker_batches(app, clean_db, monkeypatch):
    from workflow.notifications import tasks

    batches: list[list[int]] = []

    def broker(args, **kwargs):
        if len(batches) == 2:
            raise ConnectionError("broker gone")
        batches.append(args[0])

    monkeypatch.setattr(tasks.deliver_batch, "apply_async", broker)
    with app.app_context():
        queued = outbox.enqueue(list(range(1, 2 * tasks.BATCH_SIZE + 8)))
    assert [len(batch) for batch in batches] == [tasks.BATCH_SIZE, tasks.BATCH_SIZE]
    assert queued == list(range(1, 2 * tasks.BATCH_SIZE + 1))  # the last batch stays in the outbox

"""Delivery under faults, with the real worker, Redis and SMTP server: the ledger, retries, failures that an
admin sends again, the sweeper, and changes that roll back taking their notifications with them."""

from __future__ import annotations

import re
import threading
import time

import pytest
import sqlalchemy as sa

from tests.helpers import Client, text_of
from tests.processes import wait_for
from workflow.extensions import db
from workflow.notifications import services
from workflow.notifications.models import DeliveryStatus, Notification

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
    client = Client(app)
    client.login(admin.email)
    return client


def test_temporary_refusals_are_retried_and_every_attempt_is_in_the_ledger(app, clean_db, worker, mailbox,
                                                                           factory):
    mailbox.refuse_next(3, "451 4.7.1 Greylisted, try again later")
    reporter = factory.user("contributor")
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

    contributor = Client(app)
    contributor.login(reporter.email)
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

    contributor = Client(app)
    contributor.login(reporter.email)
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
    editor = Client(app)
    editor.login(factory.user("editor").email)
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
    desk = Client(app)
    desk.login(editor.email)
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
    from workflow.notifications.tasks import deliver_notification

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_notification, "apply_async", broker_down)
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


def test_two_sweepers_never_take_the_same_row(app, clean_db, factory, monkeypatch):
    from workflow.notifications.tasks import deliver_notification

    handed: list[int] = []
    monkeypatch.setattr(deliver_notification, "apply_async", lambda args, **kw: handed.append(args[0]))
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
            taken.append(services.sweep())

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

"""Data that expires: with the clock moved forward, beat's expiries (run as the worker runs them, or from the CLI)
erase a declined or withdrawn pitch's private text and files, clear the mail servers' old replies and delete old
read notifications; what must stay, stays; a second run does nothing; the guidelines state the periods."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from tests.helpers import (
    Client,
    act,
    input_value,
    png_bytes,
    publish,
    signed_in,
    text_of,
    valid_pitch,
)
from workflow.config import ConfigurationError, from_environment
from workflow.extensions import db

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CANARIES = {
    "sources": "CANARY-SOURCES-Umm-Khalil-the-miller",
    "experience": "CANARY-EXPERIENCE-ten-years-in-Aleppo",
    "message": "CANARY-MESSAGE-meet-at-the-old-mill",
    "note": "CANARY-NOTE-her-brother-is-the-source",
    "reply": "CANARY-REPLY-I-will-ask-him-again",
    "draft": "CANARY-DRAFT-the-miller-said-on-record",
    "draft_note": "CANARY-DRAFTNOTE-added-the-union",
}


def _everything(app) -> str:
    """Every row of every table, as text, and every private value opened: what the desk could still read."""
    from workflow.core.sealed import sealed_attributes

    with app.app_context():
        rows = [repr(tuple(row)) for table in db.metadata.sorted_tables
                for row in db.session.execute(sa.select(table))]
        for mapper in db.Model.registry.mappers:
            private = sealed_attributes(mapper.class_)
            for obj in db.session.scalars(sa.select(mapper.class_)) if private else ():
                rows += [repr(attribute.__get__(obj, mapper.class_)) for attribute in private]
        db.session.remove()
    return "\n".join(rows)


def _rows(app, statement):
    with app.app_context():
        rows = db.session.execute(statement).all()
        db.session.remove()
    return rows


def _upload_files(app) -> set[str]:
    return {path.name for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()}


def _run_as_the_worker() -> None:
    """Each beat task, run as a worker runs it (in this process, so that it sees the moved clock)."""
    from workflow.privacy import tasks

    for task in (tasks.expire_private_text, tasks.expire_ledger_replies, tasks.expire_read_notifications):
        result = task.apply()
        assert result.successful(), result.traceback


def _expire(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["data", "expire", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _admin_log(app) -> list[tuple[str, str]]:
    from workflow.core.audit import AdminAction

    return [(a, d) for a, d in _rows(app, sa.select(AdminAction.action, AdminAction.detail)
                                     .where(AdminAction.action.like("expire_%")).order_by(AdminAction.id))]


def _pitch_everything(app, factory, editor, *, decide: str):
    """A pitch with every kind of private text and a file, commissioned, drafted, talked about, then declined by
    the editor or withdrawn by the contributor. Returns (the contributor, the submission's id)."""
    reporter = factory.user(byline="M. Pen")
    mine = signed_in(app, reporter)
    response = mine.post("/pitch", {**valid_pitch(headline="The millers of the old city",
                                                  summary="Mills grind through the night.",
                                                  sources=CANARIES["sources"], experience=CANARIES["experience"]),
                                    "attachments": [(io.BytesIO(png_bytes()), "mill.png")]},
                         page="/pitch", content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    story = int(response.headers["Location"].rsplit("/", 1)[1])
    desk = signed_in(app, editor)
    assert act(desk, story, "assign", editor_id=str(editor.id),
               deadline=(START.date() + timedelta(days=20)).isoformat()).status_code == 303
    draft_page = mine.get(f"/submissions/{story}/draft")
    assert mine.post(f"/submissions/{story}/draft", {
        "version": input_value(draft_page, "version"), "headline": "The millers of the old city",
        "dek": "Mills grind through the night.", "body": CANARIES["draft"], "note": CANARIES["draft_note"]},
        page=f"/submissions/{story}/draft").status_code == 303
    for client, body, internal in ((desk, CANARIES["message"], False), (desk, CANARIES["note"], True),
                                   (mine, CANARIES["reply"], False)):
        data = {"body": body, **({"internal": "y"} if internal else {})}
        assert client.post(f"/submissions/{story}/messages", data,
                           page=f"/submissions/{story}").status_code == 303
    if decide == "decline":
        assert act(desk, story, "decline", comment="Not for us this time.").status_code == 303
    else:
        assert act(mine, story, "withdraw", comment="I must stop.").status_code == 303
    return reporter, story


def _state_of(app, story: int) -> tuple:
    from workflow.submissions.models import Submission

    with app.app_context():
        row = db.session.get(Submission, story)
        values = (row.state, row.headline, row.summary, row.sources, row.experience, row.version)
        db.session.remove()
    return values


@pytest.mark.parametrize("decide", ["decline", "withdraw"])
def test_a_decided_pitch_loses_its_private_text_and_files_after_the_retention_period(app, factory, decide):
    from workflow.submissions.models import Attachment, AuditEntry

    editor = factory.user("editor")
    admin = factory.user("admin")
    with time_machine.travel(START, tick=False) as clock:
        files_before = _upload_files(app)
        reporter, story = _pitch_everything(app, factory, editor, decide=decide)
        [(key,)] = _rows(app, sa.select(Attachment.storage_key).where(Attachment.submission_id == story))
        assert key in _upload_files(app) - files_before
        everything = _everything(app)
        assert all(canary in everything for canary in CANARIES.values()), "the test planted its canaries"
        trail_before = _rows(app, sa.select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
                             .where(AuditEntry.submission_id == story).order_by(AuditEntry.id))

        clock.shift(timedelta(days=180, hours=1))
        _run_as_the_worker()

        everything = _everything(app)
        assert [name for name, canary in CANARIES.items() if canary in everything] == []
        assert key not in _upload_files(app), "the attached file is gone from the uploads folder"
        state, headline, summary, sources, experience, _ = _state_of(app, story)
        assert (state.value, headline, summary, sources, experience) == (
            "declined" if decide == "decline" else "withdrawn", "The millers of the old city",
            "Mills grind through the night.", "", "")
        trail = _rows(app, sa.select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
                      .where(AuditEntry.submission_id == story).order_by(AuditEntry.id))
        assert trail[:-1] == trail_before, "the audit trail stays"
        assert trail[-1][0] == "erase_private_text"

        for client in (signed_in(app, editor), signed_in(app, reporter)):
            page = text_of(client.get(f"/submissions/{story}"))
            assert f"Its private text was erased on {(START + timedelta(days=180)).strftime('%d %b %Y')}" in page
            assert "after the retention period" in page
            assert "The desk erased the pitch's private text and files, 180 days after the decision" in page
            assert client.get(f"/submissions/{story}/revisions/1").status_code == 404
        log = text_of(signed_in(app, admin).get("/admin/log"))
        assert "The desk (automatic)" in log and "1 declined or withdrawn pitch, 180 days after the decision" in log
        assert _admin_log(app)[0][0] == "expire_private_text"


def test_what_must_stay_stays_and_a_new_decision_starts_the_clock_again(app, factory):
    from workflow.submissions.models import Message

    editor = factory.user("editor")
    reporter = factory.user()
    with time_machine.travel(START, tick=False) as clock:
        due = factory.submission(reporter, "declined", editor=editor, headline="Due today")
        reopened = factory.submission(reporter, "declined", editor=editor, headline="Reopened")
        decided_again = factory.submission(reporter, "declined", editor=editor, headline="Declined again")
        in_progress = factory.submission(reporter, "assigned", editor=editor, headline="Being written")
        pitched = factory.submission(reporter, "pitched", headline="Waiting")
        slug, _ = publish(app, factory, headline="Published one")
        for story in (due, reopened, decided_again, in_progress, pitched):
            factory.message(editor, story, f"Keep this, {story.headline}.")
        desk = signed_in(app, editor)
        clock.shift(timedelta(days=1))
        desk = signed_in(app, editor)
        day_later = factory.submission(reporter, "declined", editor=editor, headline="A day later")
        assert act(desk, reopened.id, "reopen", comment="Timely again.").status_code == 303
        clock.shift(timedelta(days=9))
        desk = signed_in(app, editor)
        assert act(desk, decided_again.id, "reopen", comment="Timely again.").status_code == 303
        assert act(desk, decided_again.id, "decline", comment="No after all.").status_code == 303

        clock.move_to(START + timedelta(days=180, hours=1))  # a day short of the period for "A day later"
        output = _expire(app)
        assert f"(submissions {due.id})" in output
        assert _state_of(app, due.id)[3] == ""
        for story in (day_later, reopened, decided_again, in_progress, pitched):
            assert _state_of(app, story.id)[3] == "Residents.", story.headline
        for story in (reopened, decided_again, in_progress, pitched):
            assert _rows(app, sa.select(sa.func.count()).select_from(Message)
                         .where(Message.submission_id == story.id)) == [(1,)], story.headline
        assert Client(app).get(f"/articles/{slug}").status_code == 200

        clock.move_to(START + timedelta(days=191))  # past the period of the second decision
        output = _expire(app)
        assert _state_of(app, decided_again.id)[3] == "" and _state_of(app, day_later.id)[3] == ""
        assert _state_of(app, reopened.id)[3] == "Residents.", "a pitch that left declined is not erased"
        assert _state_of(app, in_progress.id)[3] == "Residents."


@pytest.fixture(autouse=True)
def delivered_here(monkeypatch):
    """The emails of these tests are delivered by the tests themselves, on the moved clock: the broker takes none
    (they stay pending, as when it is down), so that the suite's worker, on the real clock, sends none of them."""
    from workflow.notifications import outbox

    monkeypatch.setattr(outbox, "enqueue", lambda notification_ids: [])


def _deliver_all(app) -> None:
    from workflow.notifications import delivery
    from workflow.notifications.models import DeliveryStatus, Notification

    [ids] = [[row[0] for row in _rows(app, sa.select(Notification.id)
                                      .where(Notification.status == DeliveryStatus.PENDING))]]
    with app.app_context():
        delivery.deliver_batch(ids)
        db.session.remove()


def test_old_read_notifications_and_old_mail_server_replies_go_and_the_rest_stays(app, factory, mailbox):
    from workflow.notifications.models import DeliveryAttempt, Notification

    editor = factory.user("editor")
    reporter = factory.user()
    with time_machine.travel(START, tick=False) as clock:
        first = factory.submission(reporter, "assigned", editor=editor, headline="The first story")
        _deliver_all(app)
        mine = signed_in(app, reporter)
        old_read = _rows(app, sa.select(Notification.id).where(Notification.recipient_id == reporter.id,
                                                               Notification.in_app))
        assert old_read, "the contributor has notifications to read"
        assert mine.post("/notifications/read", page="/notifications").status_code == 303
        old_attempts = {row[0] for row in _rows(app, sa.select(DeliveryAttempt.id))}
        assert _rows(app, sa.select(sa.func.count()).select_from(DeliveryAttempt)
                     .where(DeliveryAttempt.server_reply != "")) == [(len(old_attempts),)]

        clock.shift(timedelta(days=100))
        factory.message(editor, first, "Read a year ago less 100 days.")
        mine = signed_in(app, reporter)
        _deliver_all(app)
        old_attempts = {row[0] for row in _rows(app, sa.select(DeliveryAttempt.id))}  # 266 days old at the run
        assert mine.post("/notifications/read", page="/notifications").status_code == 303
        younger_read = {row[0] for row in _rows(app, sa.select(Notification.id).where(
            Notification.recipient_id == reporter.id, Notification.in_app))} - {row[0] for row in old_read}

        clock.shift(timedelta(days=200))
        factory.message(editor, first, "Unread, and delivered 66 days before the run.")
        _deliver_all(app)
        unread = {row[0] for row in _rows(app, sa.select(Notification.id).where(
            Notification.recipient_id == reporter.id, Notification.in_app, Notification.read_at.is_(None)))}
        assert unread
        young_attempts = {row[0] for row in _rows(app, sa.select(DeliveryAttempt.id))} - old_attempts

        clock.move_to(START + timedelta(days=366))
        output = _expire(app)

        remaining = {row[0] for row in _rows(app, sa.select(Notification.id).where(
            Notification.recipient_id == reporter.id, Notification.in_app))}
        assert remaining == younger_read | unread, "read a year ago: gone; younger or unread: kept"
        replies = dict(_rows(app, sa.select(DeliveryAttempt.id, DeliveryAttempt.server_reply)))
        assert all(replies[i] != "" for i in young_attempts), "replies younger than 90 days stay"
        assert [i for i in old_attempts if i in replies and replies[i]] == [], "older replies are blank"
        emails = _rows(app, sa.select(Notification.id, Notification.server_reply, Notification.created_at))
        assert all(reply is None for _, reply, at in emails if at < START + timedelta(days=200))
        assert any(reply for _, reply, at in emails if at > START + timedelta(days=200))
        assert f"Notifications read more than 365 days ago deleted: {len(old_read)}." in output

        actions = _admin_log(app)
        assert ("expire_read_notifications",
                f"{len(old_read)} notifications read more than 365 days ago deleted") in actions
        cleared = [int(detail.split()[0]) for action, detail in actions
                   if action == "expire_ledger_replies" and "mail server replies" in detail]
        assert cleared == [len(old_attempts)], "every old reply, counted before their read notifications went"


def test_a_second_run_does_nothing_and_writes_nothing(app, factory, mailbox):
    from workflow.core.audit import AdminAction
    from workflow.submissions.models import AuditEntry

    editor = factory.user("editor")
    reporter = factory.user()
    with time_machine.travel(START, tick=False) as clock:
        story = factory.submission(reporter, "declined", editor=editor)
        _deliver_all(app)
        assert signed_in(app, reporter).post("/notifications/read", page="/notifications").status_code == 303
        clock.shift(timedelta(days=400))
        first = _expire(app)
        assert f"(submissions {story.id})" in first
        before = (_everything(app), _upload_files(app), _state_of(app, story.id))
        log_before = _rows(app, sa.select(sa.func.count()).select_from(AdminAction))
        trail_before = _rows(app, sa.select(sa.func.count()).select_from(AuditEntry))
        # One entry for each batch that did something: the pitch, the attempts' replies, the emails' last replies,
        # the read notifications.
        assert log_before[0][0] == 4

        second = _expire(app)
        _run_as_the_worker()
        assert "nothing erased" in second
        assert "0 delivery attempts, 0 emails" in second and "deleted: 0." in second
        assert (_everything(app), _upload_files(app), _state_of(app, story.id)) == before
        assert _rows(app, sa.select(sa.func.count()).select_from(AdminAction)) == log_before
        assert _rows(app, sa.select(sa.func.count()).select_from(AuditEntry)) == trail_before


def test_the_guidelines_state_the_configured_periods(app, another_app, monkeypatch, clean_db):
    monkeypatch.setenv("WORKFLOW_RETENTION_DAYS", "45")
    monkeypatch.setenv("WORKFLOW_LEDGER_REPLY_DAYS", "21")
    monkeypatch.setenv("WORKFLOW_READ_NOTIFICATION_DAYS", "400")
    other = another_app()
    page = text_of(Client(other).get("/guidelines"))
    assert "erase its private part 45 days after that decision" in page
    assert "kept 21 days" in page and "deleted 400 days after you read it" in page
    default = text_of(Client(app).get("/guidelines"))
    assert "180 days after that decision" in default and "kept 90 days" in default and "365 days" in default


@pytest.mark.parametrize("name", ["RETENTION_DAYS", "LEDGER_REPLY_DAYS", "READ_NOTIFICATION_DAYS"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
def test_a_period_that_is_not_a_positive_number_of_days_is_refused(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(f"WORKFLOW_{name}", value)
    with pytest.raises(ConfigurationError) as refused:
        from_environment(str(tmp_path))
    assert str(refused.value) == (f"WORKFLOW_{name} must be a whole number of days, 1 or more "
                                  f"(default {({'RETENTION_DAYS': 180, 'LEDGER_REPLY_DAYS': 90}).get(name, 365)}), "
                                  f"not {value!r}")


def test_the_periods_come_from_the_environment(monkeypatch, tmp_path):
    for name in ("RETENTION_DAYS", "LEDGER_REPLY_DAYS", "READ_NOTIFICATION_DAYS"):
        monkeypatch.delenv(f"WORKFLOW_{name}", raising=False)
    config = from_environment(str(tmp_path))
    assert (config["RETENTION_DAYS"], config["LEDGER_REPLY_DAYS"], config["READ_NOTIFICATION_DAYS"]) == (180, 90, 365)
    monkeypatch.setenv("WORKFLOW_RETENTION_DAYS", "30")
    assert from_environment(str(tmp_path))["RETENTION_DAYS"] == 30
    schedule = from_environment(str(tmp_path))["CELERY"]["beat_schedule"]
    assert {entry["task"] for entry in schedule.values()} >= {
        "privacy.expire_private_text", "privacy.expire_ledger_replies", "privacy.expire_read_notifications"}

"""Notifications from the clock: deadline reminders, the daily digest, the response promise, and their schedule.

Time moves with ``clock_set_to`` (never by sleeping): the services read the clock through ``utcnow``, and so do
the pages the test client asks for. Reminders and digests are checked in the outbox and in the composed email;
one test follows a reminder through the real worker to the SMTP catcher.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from celery.schedules import crontab

from tests.helpers import as_received, link_in, plain_body, row_ids, signed_in, text_of
from workflow.core.models import clock_set_to, utcnow
from workflow.extensions import db
from workflow.notifications import mail
from workflow.notifications.models import Choice, DeliveryStatus, Notification
from workflow.people.models import User
from workflow.reminders import services as schedule
from workflow.reminders.services import due_at
from workflow.submissions.models import Submission

# --- helpers ------------------------------------------------------------------------------------------------

def run_reminders(app, moment: datetime) -> int:
    with app.app_context(), clock_set_to(moment):
        return schedule.send_reminders()


def run_digests(app, moment: datetime) -> int:
    with app.app_context(), clock_set_to(moment):
        return schedule.send_digests()


def rows(app, *conditions) -> list[Notification]:
    with app.app_context():
        found = db.session.scalars(sa.select(Notification).where(*conditions).order_by(Notification.id)).all()
        db.session.expunge_all()
        return found


def reminders_of(app, story) -> list[tuple[str, str]]:
    return [(n.event, n.dedup_key) for n in rows(app, Notification.submission_id == story.id,
                                                   Notification.event.like("reminder.%"))]


def digests_for(app, person) -> list[Notification]:
    return rows(app, Notification.event == "digest.daily", Notification.recipient_id == person.id)


def deadline_of(app, story):
    with app.app_context():
        return db.session.get(Submission, story.id).deadline


def composed(app, notification_id: int):
    """The email the worker would send for this notification."""
    with app.app_context():
        return as_received(mail.compose(db.session.get(Notification, notification_id)))


def act(app, actor, story, action: str, **fields) -> None:
    """An editor's move through the real workflow service, at the current (test) clock."""
    from workflow.submissions import services

    with app.app_context():
        submission = db.session.get(Submission, story.id)
        services.transition(db.session.get(User, actor.id), submission, services.TransitionInput(
            action=action, seen_version=submission.version, **fields))
        db.session.commit()


def end_of_day(deadline):
    """When a draft is due, as the desk promises it: the end of its deadline day, UTC (written here, not taken
    from the schedule, so that the moments below do not move with it)."""
    return datetime.combine(deadline + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def prefer(app, person, event: str, choice: Choice) -> None:
    from workflow.notifications import services

    with app.app_context():
        services.set_preference(db.session.get(User, person.id), event, choice)
        db.session.commit()


# --- deadline reminders -------------------------------------------------------------------------------------

@pytest.fixture
def commissioned(factory):
    editor = factory.user("editor", name="Edna Editor")
    reporter = factory.user("contributor", name="Rana Reporter")
    story = factory.submission(reporter, "assigned", editor=editor, headline="Night bakers")
    return editor, reporter, story


def test_the_deadline_reminder_comes_once_within_48_hours_of_the_end_of_the_deadline_day(app, commissioned):
    editor, reporter, story = commissioned
    deadline = deadline_of(app, story)
    due = end_of_day(deadline)
    assert due_at(deadline) == due

    assert run_reminders(app, due - timedelta(hours=48, minutes=1)) == 0
    assert reminders_of(app, story) == []
    assert run_reminders(app, due - timedelta(hours=48)) == 1
    assert run_reminders(app, due - timedelta(hours=47)) == 0  # beat runs again: still one
    assert run_reminders(app, due - timedelta(hours=1)) == 0
    assert reminders_of(app, story) == [("reminder.deadline_soon",
                                         f"reminder.deadline_soon:{story.id}:{deadline.isoformat()}")]

    reminder = rows(app, Notification.event == "reminder.deadline_soon")[0]
    assert reminder.recipient_id == reporter.id and reminder.status is DeliveryStatus.PENDING and reminder.in_app
    message = composed(app, reminder.id)
    day = deadline.strftime("%d %b %Y")
    assert message["Subject"] == f"Your draft is due on {day}: Night bakers"
    body = plain_body(message)
    assert f"is due on {day}, at the end of the day (UTC)" in body and "Edna Editor" in body
    assert link_in(message) == f"/submissions/{story.id}"


def test_the_overdue_reminder_comes_once_after_the_deadline_day(app, commissioned):
    _, reporter, story = commissioned
    deadline = deadline_of(app, story)
    due = end_of_day(deadline)
    assert run_reminders(app, due - timedelta(hours=30)) == 1
    assert run_reminders(app, due - timedelta(minutes=1)) == 0  # the last minute of the deadline day
    assert run_reminders(app, due) == 1
    assert run_reminders(app, due + timedelta(days=3)) == 0
    assert [event for event, _ in reminders_of(app, story)] == ["reminder.deadline_soon", "reminder.overdue"]
    overdue = rows(app, Notification.event == "reminder.overdue")[0]
    message = composed(app, overdue.id)
    assert message["Subject"] == f"Your draft is overdue: {story.headline}"
    assert "was " + deadline.strftime("%d %b %Y") in plain_body(message)
    assert link_in(message) == f"/submissions/{story.id}"


def test_a_story_found_overdue_gets_only_the_overdue_reminder_and_a_story_moved_on_gets_none(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    late = factory.submission(reporter, "assigned", editor=editor)
    edited = factory.submission(reporter, "edited", editor=editor)
    withdrawn_later = factory.submission(reporter, "assigned", editor=editor)
    act(app, reporter, withdrawn_later, "withdraw")
    assert run_reminders(app, end_of_day(deadline_of(app, late)) + timedelta(days=2)) == 1
    assert [event for event, _ in reminders_of(app, late)] == ["reminder.overdue"]
    assert reminders_of(app, edited) == [] and reminders_of(app, withdrawn_later) == []


def test_a_new_deadline_earns_a_new_reminder(app, commissioned):
    editor, _, story = commissioned
    first = deadline_of(app, story)
    moment = end_of_day(first) - timedelta(hours=40)
    assert run_reminders(app, moment) == 1
    with clock_set_to(moment):  # the desk kills the story, then takes it back, due at the end of today
        act(app, editor, story, "decline", comment="On hold.")
        act(app, editor, story, "reopen", comment="Back on.")
        act(app, editor, story, "assign", editor_id=editor.id, deadline=moment.date())
    second = deadline_of(app, story)
    assert second != first
    assert run_reminders(app, moment) == 1
    assert run_reminders(app, moment + timedelta(minutes=15)) == 0
    assert reminders_of(app, story) == [
        ("reminder.deadline_soon", f"reminder.deadline_soon:{story.id}:{first.isoformat()}"),
        ("reminder.deadline_soon", f"reminder.deadline_soon:{story.id}:{second.isoformat()}"),
    ]


def test_a_reminder_run_holds_its_ground_while_another_process_writes(app, commissioned, monkeypatch, caplog):
    """The quick start's worker commits while beat's run is between reading and writing: on SQLite the other
    writer waits for the run (which began with the write lock) instead of making it fail and start over."""
    editor, reporter, story = commissioned
    moment = end_of_day(deadline_of(app, story)) - timedelta(hours=24)
    other_write_done = threading.Event()
    from workflow.notifications import services

    choice_for = services.choice_for

    def another_process_writes_meanwhile(engine):
        with engine.begin() as connection:  # a connection of its own, like a worker's
            connection.execute(sa.update(User).where(User.id == editor.id).values(display_name="Edna E."))
        other_write_done.set()

    def read_then_let_the_other_write(user, event):  # the run reads the contributor's choice, then writes
        found = choice_for(user, event)
        threading.Thread(target=another_process_writes_meanwhile, args=(db.engine,)).start()
        other_write_done.wait(timeout=1)  # on SQLite it cannot commit before the run does
        return found

    monkeypatch.setattr(services, "choice_for", read_then_let_the_other_write)
    with caplog.at_level("INFO"):
        assert run_reminders(app, moment) == 1
    assert other_write_done.wait(timeout=20)
    assert [record.getMessage() for record in caplog.records if "busy" in record.getMessage()] == []
    assert [event for event, _ in reminders_of(app, story)] == ["reminder.deadline_soon"]
    with app.app_context():
        assert db.session.get(User, editor.id).display_name == "Edna E."


def test_reminders_follow_the_contributors_choice_and_skip_disabled_people(app, factory):
    editor = factory.user("editor")
    admin = factory.user("admin")
    held, gone = factory.user("contributor"), factory.user("contributor")
    prefer(app, held, "reminder.deadline_soon", Choice.DIGEST)
    kept = factory.submission(held, "assigned", editor=editor)
    lost = factory.submission(gone, "assigned", editor=editor)
    from workflow.auth import services as accounts

    with app.app_context():
        accounts.disable(db.session.get(User, admin.id), db.session.get(User, gone.id))
        db.session.commit()
    assert run_reminders(app, end_of_day(deadline_of(app, kept)) - timedelta(hours=24)) == 1
    [reminder] = rows(app, Notification.event.like("reminder.%"))
    assert reminder.submission_id == kept.id and reminder.status is DeliveryStatus.HELD
    assert reminders_of(app, lost) == []


def test_two_runs_at_once_write_each_reminder_once(app, factory, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite runs one writer at a time)")
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    stories = [factory.submission(reporter, "assigned", editor=editor) for _ in range(4)]
    moment = end_of_day(deadline_of(app, stories[0])) - timedelta(hours=12)

    # Both runs look for existing reminders before either writes one, so only the unique key can part them.
    looked = threading.Barrier(2, timeout=30)
    existing_keys = schedule._existing_keys

    def look_then_wait(keys):
        found = existing_keys(keys)
        looked.wait()
        return found

    monkeypatch.setattr(schedule, "_existing_keys", look_then_wait)
    written: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                written.append(schedule.send_reminders(now=moment))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(written) == 4, written
    for story in stories:
        assert len(reminders_of(app, story)) == 1


def test_a_write_committed_by_another_process_meanwhile_does_not_lose_the_reminder(app, commissioned, monkeypatch):
    """A worker commits while the reminder is being written: SQLite refuses the stale write at once, the run
    starts again and writes the reminder; PostgreSQL never minds."""
    from workflow.notifications import services

    _, reporter, story = commissioned
    choice_for = services.choice_for
    interfered = []

    def choice_then_another_commit(user, event):
        choice = choice_for(user, event)
        if not interfered:
            interfered.append(event)
            with db.engine.begin() as other:  # a connection of its own, like the worker's
                other.execute(sa.update(User).where(User.id == reporter.id).values(last_login_at=utcnow()))
        return choice

    monkeypatch.setattr(services, "choice_for", choice_then_another_commit)
    assert run_reminders(app, end_of_day(deadline_of(app, story)) - timedelta(hours=6)) == 1
    assert interfered == ["reminder.deadline_soon"]
    assert len(reminders_of(app, story)) == 1


@pytest.mark.worker
def test_a_reminder_reaches_the_mail_server_through_the_worker(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    story = factory.submission(reporter, "assigned", editor=editor, headline="The last pharmacy")
    deadline = deadline_of(app, story)
    assert run_reminders(app, end_of_day(deadline) - timedelta(hours=20)) == 1
    # Addresses repeat from test to test and the worker is shared: match this story's reminder, not a late one
    # from an earlier test.
    subject = f"Your draft is due on {deadline.strftime('%d %b %Y')}: The last pharmacy"
    [message] = mailbox.wait_for(lambda m: m["To"] == reporter.email and m["Subject"] == subject)
    assert message["Subject"] == subject
    assert link_in(message) == f"/submissions/{story.id}"
    assert run_reminders(app, end_of_day(deadline) - timedelta(hours=19)) == 0
    assert len([m for m in mailbox.to(reporter.email) if m["Subject"] == subject]) == 1


# --- the daily digest ---------------------------------------------------------------------------------------

def test_held_items_go_out_in_one_digest_and_nowhere_else(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor", name="Rana Reporter")
    other = factory.user("contributor")
    prefer(app, reporter, "submission.assigned", Choice.DIGEST)
    prefer(app, reporter, "submission.message", Choice.DIGEST)
    story = factory.submission(reporter, "assigned", editor=editor, headline="Chess in the shelter")
    factory.message(editor, story, "Can you add a photo?")
    factory.submission(other, "assigned", editor=editor)  # the other contributor emails immediately
    held = rows(app, Notification.status == DeliveryStatus.HELD)
    assert [(n.recipient_id, n.event) for n in held] == [(reporter.id, "submission.assigned"),
                                                          (reporter.id, "submission.message")]
    now = utcnow()

    assert run_digests(app, now) == 1
    [digest] = digests_for(app, reporter)
    assert digest.status is DeliveryStatus.PENDING and digest.dedup_key == f"digest.daily:{reporter.id}:{now.date()}"
    assert not digest.in_app
    for item in rows(app, Notification.id.in_([n.id for n in held])):
        assert item.status is DeliveryStatus.DIGESTED and item.digest_id == digest.id and item.sent_at is None
    message = composed(app, digest.id)
    assert message["Subject"] == "Your daily digest from the Frontline Deeply desk"
    body = plain_body(message)
    assert "Your pitch was commissioned: Chess in the shelter" in body
    assert "about: Chess in the shelter" in body  # the held message
    assert body.count(f"http://desk.test/submissions/{story.id}") == 2
    assert "http://desk.test/dashboard" in body  # the action link: a contributor's own stories
    assert "New pitches" not in body  # the desk summary is for the desk

    # Nowhere else: not in anyone else's digest, not in tomorrow's, never emailed on its own.
    assert digests_for(app, other) == [] and digests_for(app, editor) == []
    assert run_digests(app, now + timedelta(days=1)) == 0
    assert len(rows(app, Notification.event == "digest.daily")) == 1


def test_a_second_run_the_same_day_sends_nothing_and_what_arrives_meanwhile_waits_for_tomorrow(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    prefer(app, reporter, "submission.message", Choice.DIGEST)
    story = factory.submission(reporter, "assigned", editor=editor)
    factory.message(editor, story, "First question.")
    now = utcnow()
    assert run_digests(app, now) == 1
    factory.message(editor, story, "Second question.")
    assert run_digests(app, now + timedelta(minutes=5)) == 0
    assert run_digests(app, now) == 0
    assert len(digests_for(app, reporter)) == 1
    [waiting] = rows(app, Notification.status == DeliveryStatus.HELD)
    assert run_digests(app, now + timedelta(days=1)) == 1
    second = digests_for(app, reporter)[1]
    assert rows(app, Notification.id == waiting.id)[0].digest_id == second.id


def test_no_digest_without_anything_to_say(app, factory):
    factory.user("editor")
    factory.user("admin")
    reporter = factory.user("contributor")
    factory.submission(reporter, "published", editor=factory.user("editor"))
    assert run_digests(app, utcnow()) == 0
    assert rows(app, Notification.event == "digest.daily") == []


@pytest.fixture
def morning(app, factory):
    """A desk on the morning of ``now``: a pitch of every age and stories due today, late, and later."""
    now = utcnow()
    editor = factory.user("editor", name="Edna Editor")
    admin = factory.user("admin")
    reporter = factory.user("contributor", byline="A. Correspondent")
    stories = {}
    with clock_set_to(now - timedelta(hours=2)):
        stories["new"] = factory.submission(reporter, headline="A fresh pitch")
    with clock_set_to(now - timedelta(days=3)):
        stories["waiting"] = factory.submission(reporter, headline="A pitch within the promise")
    with clock_set_to(now - timedelta(days=7)):
        stories["late"] = factory.submission(reporter, headline="A pitch past the promise")
    with clock_set_to(now - timedelta(days=10)):  # assigned with a deadline ten days on: today
        stories["due"] = factory.submission(reporter, "assigned", editor=editor, headline="Due today")
    with clock_set_to(now - timedelta(days=12)):
        stories["overdue"] = factory.submission(reporter, "assigned", editor=editor, headline="Overdue draft")
    stories["later"] = factory.submission(reporter, "assigned", editor=editor, headline="Due later")
    stories["done"] = factory.submission(reporter, "published", editor=editor, headline="Published")
    with clock_set_to(now - timedelta(days=9)):  # past the promise once, then answered
        stories["declined"] = factory.submission(reporter, "declined", editor=editor, headline="Declined")
    return now, editor, admin, reporter, stories


def test_the_desk_summary_lists_the_right_submissions_for_editors_and_admins(app, factory, morning):
    now, editor, admin, reporter, stories = morning
    quiet = factory.user("editor")
    prefer(app, quiet, "digest.daily", Choice.NEVER)
    assert run_digests(app, now) == 2
    assert digests_for(app, reporter) == [] and digests_for(app, quiet) == []
    [digest] = digests_for(app, editor)
    assert len(digests_for(app, admin)) == 1

    def listed(section):
        return [item["id"] for item in digest.params[section]]

    assert listed("new_pitches") == [stories["new"].id]
    assert listed("due_today") == [stories["due"].id]
    assert listed("overdue") == [stories["overdue"].id]
    assert listed("past_promise") == [stories["late"].id]
    message = composed(app, digest.id)
    body = plain_body(message)
    for heading, headline in [("New pitches since yesterday (1):", "A fresh pitch"),
                              ("Drafts due today (1):", "Due today"), ("Overdue drafts (1):", "Overdue draft"),
                              ("Pitches waiting past our 5-day promise (1):", "A pitch past the promise")]:
        assert heading in body
        assert f"“{headline}” by A. Correspondent" in body
    for headline in ("A pitch within the promise", "Due later", "Published", "Declined"):
        assert headline not in body
    assert "http://desk.test/queue" in body and "Open the queue" in body


def test_long_sections_are_capped_and_the_rest_counted(app, factory, monkeypatch):
    monkeypatch.setattr(schedule, "SECTION_LIMIT", 3)
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    now = utcnow()
    with clock_set_to(now - timedelta(days=8)):
        late = [factory.submission(reporter, headline=f"Late pitch {i}") for i in range(5)]
    assert run_digests(app, now) == 1
    [digest] = digests_for(app, editor)
    assert [item["id"] for item in digest.params["past_promise"]] == [s.id for s in late[:3]]
    body = plain_body(composed(app, digest.id))
    assert "Pitches waiting past our 5-day promise (5):" in body and "- and 2 more" in body


def test_the_digest_costs_the_same_queries_however_many_submissions(app, factory, count_queries):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    now = utcnow()

    def measure(day: int) -> int:
        with count_queries() as counter:
            assert run_digests(app, now + timedelta(days=day)) == 1
        return counter.count

    with clock_set_to(now - timedelta(days=8)):
        factory.submission(reporter)
    measure(-1)  # the first digest also makes the editor's data key (which seals what it says): not counted
    small = measure(0)
    with clock_set_to(now - timedelta(days=8)):
        for _ in range(6):
            factory.submission(reporter)
            factory.submission(reporter, "assigned", editor=editor)
    assert measure(1) == small
    assert len(digests_for(app, editor)) == 3


def test_held_items_go_out_to_someone_who_turned_the_desk_summary_off(app, factory, morning):
    now, editor, _, reporter, stories = morning
    prefer(app, editor, "digest.daily", Choice.NEVER)
    prefer(app, editor, "submission.message", Choice.DIGEST)
    prefer(app, reporter, "digest.daily", Choice.NEVER)
    prefer(app, reporter, "submission.message", Choice.DIGEST)
    factory.message(reporter, stories["due"], "Nearly there.")
    factory.message(editor, stories["due"], "Great.")
    assert run_digests(app, now) == 3  # the admin's summary, and the held messages of the editor and the reporter
    for person, writer in ((editor, reporter), (reporter, editor)):
        [digest] = digests_for(app, person)
        assert digest.status in (DeliveryStatus.PENDING, DeliveryStatus.SENT)  # emailed despite "never"
        assert not digest.params["desk"]
        body = plain_body(composed(app, digest.id))
        assert f"New message from {writer.display_name} about: Due today" in body
        assert "New pitches" not in body and "Overdue drafts" not in body
        assert rows(app, Notification.digest_id == digest.id)[0].status is DeliveryStatus.DIGESTED


def test_disabled_people_get_no_digest(app, factory, morning):
    now, editor, admin, reporter, stories = morning
    prefer(app, reporter, "submission.message", Choice.DIGEST)
    factory.message(editor, stories["due"], "Where is it?")
    from workflow.auth import services as accounts

    with app.app_context():
        for person in (editor, reporter):
            accounts.disable(db.session.get(User, admin.id), db.session.get(User, person.id))
        db.session.commit()
    assert run_digests(app, now) == 1
    assert len(digests_for(app, admin)) == 1
    assert digests_for(app, editor) == [] and digests_for(app, reporter) == []
    assert len(rows(app, Notification.status == DeliveryStatus.HELD)) == 1  # kept for when they are back


def test_the_cli_runs_reminders_and_digests_now(app, commissioned):
    editor, reporter, story = commissioned
    runner = app.test_cli_runner()
    with clock_set_to(end_of_day(deadline_of(app, story)) + timedelta(hours=1)):
        assert "Wrote 1 deadline reminder(s)." in runner.invoke(args=["notifications", "reminders"]).output
        assert "No reminder is due." in runner.invoke(args=["notifications", "reminders"]).output
        assert "Wrote 1 daily digest(s)." in runner.invoke(args=["notifications", "digest"]).output  # overdue
        assert "No digest to write" in runner.invoke(args=["notifications", "digest"]).output


# --- the response promise -----------------------------------------------------------------------------------

def test_the_dashboard_states_the_response_promise_and_apologises_once_past_it(app, factory):
    reporter = factory.user("contributor")
    now = utcnow()
    with clock_set_to(now):
        factory.submission(reporter, headline="Beekeepers count losses")
    expected = (now + timedelta(days=5)).strftime("%d %b %Y")
    with clock_set_to(now + timedelta(days=4, hours=23)):  # the contributor comes back days later: signs in again
        text = text_of(signed_in(app, reporter).get("/dashboard"))
    assert f"We answer every pitch within 5 days: expect an answer by {expected}." in text
    assert "we are sorry" not in text
    with clock_set_to(now + timedelta(days=5, minutes=1)):
        text = text_of(signed_in(app, reporter).get("/dashboard"))
    assert "We promised an answer within 5 days and we are late: we are sorry. An editor will answer you soon." \
        in text
    assert "expect an answer by" not in text


def test_the_promise_follows_the_configuration_and_concerns_only_pitches(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    now = utcnow()
    with clock_set_to(now - timedelta(days=3)):
        factory.submission(reporter, headline="Three days old")
        factory.submission(reporter, "assigned", editor=editor, headline="Commissioned")
    saved = app.config["RESPONSE_PROMISE_DAYS"]
    app.config["RESPONSE_PROMISE_DAYS"] = 2
    try:
        text = text_of(signed_in(app, reporter).get("/dashboard"))
    finally:
        app.config["RESPONSE_PROMISE_DAYS"] = saved
    assert "We promised an answer within 2 days and we are late" in text
    assert text.count("We promised") == 1 and "We answer every pitch" not in text


def test_the_queue_flags_pitches_past_the_promise_and_filters_them(app, factory, morning):
    now, editor, _, _, stories = morning
    client = signed_in(app, editor)
    with clock_set_to(now):
        html = client.get("/queue").get_data(as_text=True)
        flagged = [int(i) for i in re.findall(
            r'<a href="/submissions/(\d+)"[^>]*>(?:(?!</tr>).)*?Past our promise</span>', html, re.S)]
        assert flagged == [stories["late"].id]
        assert '<label for="late">Past our promise</label>' in html

        response = client.get("/queue?late=1")
        assert row_ids(response) == [stories["late"].id]
        assert 'id="late" name="late" value="1" checked' in response.get_data(as_text=True)
        assert "Clear filters" in text_of(response)
        # The filter goes with the others, and the links to each state keep it.
        assert re.search(r'href="/queue\?state=pitched&amp;late=1"', response.get_data(as_text=True))
        assert row_ids(client.get("/queue?late=1&state=assigned")) == []
        assert row_ids(client.get("/queue?late=1&state=pitched&q=promise")) == [stories["late"].id]


def test_the_past_promise_filter_pages_by_keyset(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    now = utcnow()
    late = []
    for days in (6, 7, 8):
        with clock_set_to(now - timedelta(days=days)):
            late.append(factory.submission(reporter, headline=f"{days} days waiting"))
    factory.submission(reporter, headline="Fresh")
    client = signed_in(app, editor)
    saved = app.config["QUEUE_PAGE_SIZE"]
    app.config["QUEUE_PAGE_SIZE"] = 2
    try:
        first = client.get("/queue?late=1")
        assert row_ids(first) == [late[0].id, late[1].id]  # newest first
        following = re.search(r'<a [^>]*href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True)).group(1)
        following = following.replace("&amp;", "&")
        assert "late=1" in following and "after=" in following
        assert row_ids(client.get(following)) == [late[2].id]
    finally:
        app.config["QUEUE_PAGE_SIZE"] = saved


def test_the_past_promise_filter_is_served_by_the_state_pitched_index(app, factory):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plan is checked on PostgreSQL")
        from workflow.submissions.queue import response_promise

        query = sa.select(sa.func.count()).select_from(Submission).where(response_promise().past_condition())
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            connection.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
    # On a table this small the planner may take either index that leads with state (this one or the readers'
    # state/published_at one); what matters is that the filter never needs a full scan.
    assert "Seq Scan" not in plan and "ix_submissions_state_p" in plan, plan


def test_the_queue_costs_no_more_queries_with_the_promise_filter(app, factory, count_queries):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    now = utcnow()
    client = signed_in(app, editor)

    def measure() -> int:
        client.get("/queue?late=1")
        with count_queries() as counter:
            client.get("/queue?late=1")
        return counter.count

    with clock_set_to(now - timedelta(days=8)):
        factory.submission(reporter)
    small = measure()
    with clock_set_to(now - timedelta(days=8)):
        for _ in range(8):
            factory.submission(reporter)
    assert measure() == small


# --- the schedule -------------------------------------------------------------------------------------------

def test_beat_schedules_the_reminders_and_the_digest(app):
    celery = app.extensions["celery"]
    schedule_ = celery.conf.beat_schedule
    assert schedule_["send-reminders"]["task"] == "notifications.send_reminders"
    assert schedule_["send-reminders"]["schedule"] == 15 * 60
    digest = schedule_["send-digests"]
    assert digest["task"] == "notifications.send_digests"
    assert isinstance(digest["schedule"], crontab)
    assert digest["schedule"].hour == {6} and digest["schedule"].minute == {0}
    assert app.config["DIGEST_HOUR"] == 6 and app.config["RESPONSE_PROMISE_DAYS"] == 5
    assert {"notifications.send_reminders", "notifications.send_digests"} <= set(celery.tasks)
    assert schedule_["sweep-outbox"]["task"] == "notifications.sweep"  # still there


def test_the_digest_hour_comes_from_the_environment(monkeypatch, tmp_path):
    from workflow.config import ConfigurationError, from_environment

    monkeypatch.setenv("WORKFLOW_DIGEST_HOUR", "17")
    monkeypatch.setenv("WORKFLOW_RESPONSE_PROMISE_DAYS", "3")
    config = from_environment(str(tmp_path))
    assert config["CELERY"]["beat_schedule"]["send-digests"]["schedule"].hour == {17}
    assert config["DIGEST_HOUR"] == 17 and config["RESPONSE_PROMISE_DAYS"] == 3
    monkeypatch.setenv("WORKFLOW_DIGEST_HOUR", "24")
    with pytest.raises(ConfigurationError, match="WORKFLOW_DIGEST_HOUR"):
        from_environment(str(tmp_path))

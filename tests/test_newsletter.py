"""The readers' newsletter: signup with double opt-in, one-click unsubscribe, the weekly issue, the desk's counts.

Emails are read from the real SMTP catcher: the tests hand the outbox's pending rows to the real delivery code
(``deliver_pending``), and a few tests go end to end through the real Celery worker. Time moves with
``clock_set_to`` (the services read ``utcnow``). Addresses differ from test to test, because the worker is shared
by the session and may still deliver a late email of an earlier test.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner
from markupsafe import escape

from tests.helpers import Client, composed, html_body, link_in, plain_body, signed_in, text_of
from workflow.core.models import clock_set_to, utcnow
from workflow.extensions import db
from workflow.newsletter import services as newsletter
from workflow.newsletter.models import NewsletterIssue, Subscriber
from workflow.notifications.models import DeliveryStatus, Notification

CONFIRM_SUBJECT = "Confirm your subscription to the"
WEEKLY_SUBJECT = "This week in"


# --- helpers ------------------------------------------------------------------------------------------------

def subscribe(client: Client, address: str):
    return client.post("/newsletter", {"email": address}, csrf=False)


def subscriber(app, address: str) -> Subscriber | None:
    with app.app_context():
        found = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == address.strip().lower()))
        db.session.expunge_all()
        return found


def notifications(app, event: str, address: str | None = None) -> list[Notification]:
    with app.app_context():
        query = sa.select(Notification).where(Notification.event == event).order_by(Notification.id)
        if address:
            query = query.where(Notification.email == address)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def deliver_pending(app, timeout: float = 20) -> None:
    """What a worker does with the outbox: send every pending email to the SMTP catcher, until none is left.
    Delivery is idempotent: a worker of the session taking some of the rows meanwhile sends each once (and
    this waits for it)."""
    from workflow.notifications.delivery import deliver_batch

    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            ids = list(db.session.scalars(sa.select(Notification.id)
                                          .where(Notification.status == DeliveryStatus.PENDING)))
            db.session.remove()
            if not ids:
                return
            assert time.monotonic() < deadline, f"still pending: {ids}"
            deliver_batch(ids)
        time.sleep(0.1)


def confirmed_subscriber(app, address: str, at: datetime | None = None) -> int:
    """A subscriber who asked and confirmed at ``at`` (a day ago), without the confirmation email."""
    with app.app_context():
        moment = at or utcnow() - timedelta(days=1)
        row = Subscriber(email=address, requested_at=moment, confirmed_at=moment)
        db.session.add(row)
        db.session.commit()
        return row.id


def published_story(factory, headline: str):
    editor = factory.user("editor")
    reporter = factory.user("contributor", byline=f"Byline of {headline}")
    return factory.submission(reporter, "published", editor=editor, headline=headline)


def run_weekly(app, moment: datetime | None = None) -> newsletter.WeeklyRun:
    with app.app_context():
        if moment is None:
            return newsletter.send_weekly()
        with clock_set_to(moment):
            return newsletter.send_weekly(moment)


def weekly_for(app, address: str) -> list[Notification]:
    return notifications(app, "newsletter.weekly", address)


def composed_email(app, notification_id: int):
    with app.app_context():
        return composed(db.session.get(Notification, notification_id))


def unsubscribe_path(app, notification_id: int) -> str:
    header = composed_email(app, notification_id)["List-Unsubscribe"]
    return header[1:-1].removeprefix("http://desk.test")


def wednesday_noon() -> datetime:
    """The next Wednesday noon (UTC) after now, less than a week away: a story published now is in the first
    issue written then, and the hours after it are still the same ISO week."""
    now = utcnow()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=(2 - now.weekday()) % 7)
    return noon if noon > now else noon + timedelta(days=7)


def confirm_from_email(app, address: str):
    """The reader opens the link of the latest confirmation email to ``address`` and presses the button."""
    note = notifications(app, "newsletter.confirm", address)[-1]
    path = link_in(composed_email(app, note.id))
    return Client(app).post(path, page=path)


def story_with(app, factory, headline: str, dek: str, byline: str) -> tuple[int, str]:
    """A story with a dek and a pen name of its own, walked through the desk to publication: (id, slug)."""
    from workflow.people.models import User
    from workflow.submissions import services

    editor = factory.user("editor")
    reporter = factory.user(byline=byline)
    story = factory.submission(reporter, "assigned", editor=editor, headline=headline, with_draft=False)
    with app.app_context():
        submission = db.session.get(newsletter.Submission, story.id)
        services.save_draft(db.session.get(User, reporter.id), submission, headline, dek, "First paragraph.")
        for action in ("mark_edited", "publish"):
            services.transition(db.session.get(User, editor.id), submission, services.TransitionInput(
                action=action, seen_version=submission.version))
        db.session.commit()
        return story.id, db.session.get(newsletter.Submission, story.id).slug


def take_down(app, factory, story_id: int) -> None:
    """An admin unpublishes the story (it goes back to edited)."""
    from workflow.people.models import User
    from workflow.submissions import services

    admin = factory.user("admin")
    with app.app_context():
        story = db.session.get(newsletter.Submission, story_id)
        services.transition(db.session.get(User, admin.id), story, services.TransitionInput(
            action="unpublish", seen_version=story.version, comment="A source asked us to."))
        db.session.commit()


def issues(app) -> list[NewsletterIssue]:
    with app.app_context():
        found = db.session.scalars(sa.select(NewsletterIssue).order_by(NewsletterIssue.until)).all()
        db.session.expunge_all()
        return found


def weekly_emails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if WEEKLY_SUBJECT in m["Subject"]]


def wait_until_delivered(app, addresses: list[str], timeout: float = 30) -> None:
    """Until every weekly notification to ``addresses`` is sent (by the worker)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [n for address in addresses for n in weekly_for(app, address)]
        if rows and all(n.status is DeliveryStatus.SENT for n in rows):
            return
        assert time.monotonic() < deadline, [(n.email, n.status) for n in rows]
        time.sleep(0.1)


def finished_send_tasks(worker) -> int:
    """How many ``newsletter.send_weekly`` tasks the worker has finished so far (its log says so)."""
    log = worker.log_path.read_text(errors="replace")
    return len(re.findall(r"Task newsletter\.send_weekly\[[^\]]+\] (?:succeeded|raised)", log))


# --- signup and double opt-in ---------------------------------------------------------------------------------

@pytest.mark.worker
def test_signup_mails_a_link_whose_get_asks_and_whose_post_confirms(app, client, worker, mailbox):
    address = "reader.optin@example.org"
    response = subscribe(client, "  Reader.OptIn@Example.org ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/newsletter/check-your-inbox")
    inbox_page = client.get(response.headers["Location"])
    assert "Check your inbox" in text_of(inbox_page)
    assert "Never miss an update" not in text_of(inbox_page)  # the reader is signing up: no second offer

    message = mailbox.wait_for_subject(address, CONFIRM_SUBJECT)
    assert message["List-Unsubscribe"] is None  # nothing to leave yet
    path = link_in(message)
    assert path.startswith("/newsletter/confirm/")
    assert path in html_body(message)

    stranger = Client(app)  # the reader's browser (no account), or a mail scanner fetching the link
    page = stranger.get(path)
    assert page.status_code == 200
    assert "Confirm my subscription" in text_of(page) and address in text_of(page)
    assert "Never miss an update" not in text_of(page)
    row = subscriber(app, address)
    assert row.confirmed_at is None  # a GET gives no consent

    token = stranger.csrf_token(path)
    done = stranger.post(path, {"csrf_token": token})
    assert done.status_code == 200
    assert f"The Frontline Deeply newsletter will come to {address} once a week." in text_of(done)
    assert "Never miss an update" not in text_of(done)
    row = subscriber(app, address)
    assert row.confirmed_at is not None and row.unsubscribed_at is None
    # Again (the button pressed twice): still fine, nothing changes.
    assert "already gets" in text_of(stranger.post(path, {"csrf_token": token}))


def test_a_confirmation_post_needs_the_pages_csrf_token(app, client):
    subscribe(client, "csrf.confirm@example.org")
    [note] = notifications(app, "newsletter.confirm", "csrf.confirm@example.org")
    with app.app_context():
        token = newsletter.confirmation_token(note.params["subscriber_id"], "csrf.confirm@example.org")
    assert Client(app).http.post(f"/newsletter/confirm/{token}").status_code == 400
    assert subscriber(app, "csrf.confirm@example.org").confirmed_at is None


def test_a_bad_address_gets_the_form_again_with_the_message_and_what_was_typed(app, client):
    for typed, message in [("not-an-address", "Enter an email address like name@example.org."),
                           ("", "Enter your email address."),
                           ("a@" + "b" * 250 + ".org", "An email address has at most 254 characters.")]:
        response = subscribe(client, typed)
        assert response.status_code == 422, typed
        html = response.get_data(as_text=True)
        assert message in text_of(response)
        assert re.search(r'<p class="error-message" id="newsletter-email-error">', html)
        assert f'value="{typed}"' in html
        assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_signup_posted_from_another_site_is_refused_and_one_from_ours_works(app, client):
    """The footer form carries no session token (public pages are cached); the origin stands in for it."""
    response = client.post("/newsletter", {"email": "forged@example.org"}, csrf=False,
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "This form was sent from another site." in text_of(response)
    assert 'value="forged@example.org"' in response.get_data(as_text=True)
    assert subscriber(app, "forged@example.org") is None
    for origin in ("http://desk.test", "http://localhost"):  # the public address, or the host it was served on
        response = client.post("/newsletter", {"email": "forged@example.org"}, csrf=False,
                               headers={"Origin": origin})
        assert response.status_code == 303, origin
    response = client.post("/newsletter", {"email": "referred@example.org"}, csrf=False,
                           headers={"Referer": "https://evil.example/page"})
    assert response.status_code == 403


def test_every_signup_gets_the_same_answer_and_only_an_address_not_subscribed_gets_a_confirmation(app, client):
    confirmed_subscriber(app, "same.confirmed@example.org")
    left_id = confirmed_subscriber(app, "same.left@example.org")
    with app.app_context():
        db.session.execute(sa.update(Subscriber).where(Subscriber.id == left_id).values(unsubscribed_at=utcnow()))
        db.session.commit()
    assert subscribe(client, "same.pending@example.org").status_code == 303  # waits to confirm from now on

    def confirmations(address: str) -> int:
        return len(notifications(app, "newsletter.confirm", address))

    answers = {}
    for address in ("same.unknown@example.org", "same.pending@example.org", "same.confirmed@example.org",
                    "same.left@example.org"):
        visitor = Client(app)
        response = subscribe(visitor, address)
        page = visitor.get(response.headers["Location"])
        answers[address] = (response.status_code, response.headers["Location"], response.get_data(as_text=True),
                            response.headers.get("Set-Cookie"), page.status_code, text_of(page))
    assert len(set(answers.values())) == 1, answers
    status, location, _, cookie, page_status, text = answers["same.unknown@example.org"]
    assert status == 303 and location.endswith("/newsletter/check-your-inbox") and cookie is None
    assert page_status == 200 and "Check your inbox" in text

    assert confirmations("same.unknown@example.org") == 1
    assert confirmations("same.left@example.org") == 1  # unsubscribed: may come back, after confirming again
    assert confirmations("same.confirmed@example.org") == 0
    assert confirmations("same.pending@example.org") == 1  # asked twice within ten minutes: one email

    def asked_minutes_ago(minutes: int) -> None:
        with app.app_context():
            db.session.execute(sa.update(Subscriber).where(Subscriber.email == "same.pending@example.org")
                               .values(requested_at=utcnow() - timedelta(minutes=minutes)))
            db.session.commit()

    asked_minutes_ago(9)
    assert subscribe(Client(app), "same.pending@example.org").status_code == 303
    assert confirmations("same.pending@example.org") == 1
    asked_minutes_ago(11)
    assert subscribe(Client(app), "same.pending@example.org").status_code == 303
    assert confirmations("same.pending@example.org") == 2
    assert subscriber(app, "same.pending@example.org").confirmed_at is None


def test_an_expired_or_forged_confirmation_link_says_so_offers_a_new_signup_and_confirms_nothing(
        app, client, monkeypatch):
    address = "late.confirm@example.org"
    subscribe(client, address)
    [note] = notifications(app, "newsletter.confirm", address)
    path = link_in(composed_email(app, note.id))
    signed_at = time.time()
    week = 7 * 24 * 3600

    def seconds_later(seconds: int) -> None:  # the clock itsdangerous reads for the link (and the page's token)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(signed_at + seconds))

    reader = Client(app)
    seconds_later(week - 60)
    assert "Confirm my subscription" in text_of(reader.get(path))  # a minute before the week is over: still fine

    seconds_later(week + 60)
    page = reader.get(path)
    assert page.status_code == 404
    assert "This link has expired" in text_of(page) and "Sign up again" in text_of(page)
    assert '<a href="/newsletter">Sign up again</a>' in page.get_data(as_text=True)
    response = reader.post(path, page="/login")
    assert response.status_code == 404 and "This link has expired" in text_of(response)
    assert subscriber(app, address).confirmed_at is None

    monkeypatch.undo()
    token = path.rpartition("/")[2]
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    with app.app_context():
        row = subscriber(app, address)
        for_another_address = newsletter.confirmation_token(row.id, "someone.else@example.org")
    for bad in (forged, for_another_address):
        page = reader.get(f"/newsletter/confirm/{bad}")
        assert page.status_code == 404, bad
        assert "not valid" in text_of(page) and "Sign up again" in text_of(page)
        response = reader.post(f"/newsletter/confirm/{bad}", page="/login")
        assert response.status_code == 404
    assert subscriber(app, address).confirmed_at is None
    assert "Confirm my subscription" in text_of(reader.get(path))  # the real link, in time, still works


# --- where it shows, and who sees the counts ---------------------------------------------------------------------

def test_the_signup_block_is_on_public_pages_and_works_without_javascript(app, factory):
    story = published_story(factory, "Olive harvest")
    with app.app_context():
        slug = db.session.get(newsletter.Submission, story.id).slug
    reader = Client(app)
    for path in ("/", f"/articles/{slug}", "/newsletter"):
        page = reader.get(path)
        html = page.get_data(as_text=True)
        assert html.count('id="newsletter-email"') == 1, path
        assert "Never miss an update" in html
        assert '<label class="label" for="newsletter-email">Your email address</label>' in html
        assert 'action="/newsletter"' in html
        assert "Set-Cookie" not in page.headers, path  # nothing in a public page ties it to a visitor
    assert subscribe(reader, "footer.reader@example.org").status_code == 303


def test_the_newsletter_is_not_among_the_choices_on_the_preferences_page(app, factory):
    for role in ("contributor", "editor"):
        client = signed_in(app, factory.user(role))
        page = client.get("/account/notifications")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "The weekly newsletter" not in html and "event_newsletter" not in html
    from workflow.notifications.events import EVENTS, choices_for

    assert not {e.name for e in choices_for(True) + choices_for(False)} & {"newsletter.confirm", "newsletter.weekly"}
    assert not EVENTS["newsletter.weekly"].has_choice and EVENTS["newsletter.weekly"].one_click_unsubscribe


def test_the_desk_sees_counts_and_deliveries_and_nobody_else_does(app, factory, client):
    published_story(factory, "Counting")
    for n in range(3):
        confirmed_subscriber(app, f"counted{n}@example.org")
    with app.app_context(), clock_set_to(utcnow() - timedelta(minutes=30)):
        newsletter.request_subscription("waiting@example.org")
        db.session.commit()
    confirmed_subscriber(app, "gone@example.org")
    with app.app_context():
        row = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == "gone@example.org"))
        newsletter.unsubscribe(newsletter.unsubscribe_token(row.id, row.email))
        db.session.commit()
    run = run_weekly(app)
    deliver_pending(app)

    assert client.get("/admin/newsletter").status_code == 302  # to sign in
    assert signed_in(app, factory.user("contributor")).get("/admin/newsletter").status_code == 403
    for role in ("editor", "admin"):
        page = signed_in(app, factory.user(role)).get("/admin/newsletter")
        assert page.status_code == 200
        text = text_of(page)
        assert "Subscribed 3" in text and "Waiting to confirm 1" in text and "Unsubscribed 1" in text
        row = re.search(rf"<tr>\s*<td><strong>{run.key}</strong>.*?</tr>", page.get_data(as_text=True), re.S)
        cells = [text_of_html(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
        assert cells[2:] == ["1", "3", "3", "0", "0"]  # stories, recipients, delivered, waiting, failed
        assert "@example.org" not in page.get_data(as_text=True)  # counts, never addresses


def text_of_html(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_the_issue_key_is_the_iso_week():
    assert newsletter.issue_key(datetime(2026, 11, 27, 7, tzinfo=UTC)) == "2026-W48"
    assert newsletter.issue_key(datetime(2027, 1, 1, 7, tzinfo=UTC)) == "2026-W53"


# --- the weekly issue: who gets it, once ---------------------------------------------------------------------

def test_only_a_confirmed_address_gets_the_issue_and_only_if_it_confirmed_by_the_end_of_it(app, factory, client):
    noon = wednesday_noon()
    published_story(factory, "Double opt-in")
    confirmed_subscriber(app, "optin.yes@example.org")
    subscribe(client, "optin.never@example.org")  # asked, never confirmed
    subscribe(client, "optin.late@example.org")

    first = run_weekly(app, noon)
    assert first.issue_id is not None and (first.written, first.recipients) == (1, 1)
    assert [n.email for n in notifications(app, "newsletter.weekly")] == ["optin.yes@example.org"]

    # Half an hour after the issue was written, the late reader confirms; the run is repeated the same week.
    with clock_set_to(noon + timedelta(minutes=30)):
        assert confirm_from_email(app, "optin.late@example.org").status_code == 200
    confirmed_at = subscriber(app, "optin.late@example.org").confirmed_at
    assert noon + timedelta(minutes=30) <= confirmed_at < noon + timedelta(minutes=31)  # after the issue's end
    again = run_weekly(app, noon + timedelta(hours=1))
    assert again.issue_id == first.issue_id and (again.written, again.recipients) == (0, 1)
    assert weekly_for(app, "optin.late@example.org") == []

    # Next week's issue is theirs too; the address that never confirmed still gets nothing.
    with clock_set_to(noon + timedelta(days=3)):
        published_story(factory, "The week after")
    second = run_weekly(app, noon + timedelta(days=7))
    assert (second.written, second.recipients) == (2, 2)
    assert len(weekly_for(app, "optin.late@example.org")) == 1
    assert len(weekly_for(app, "optin.yes@example.org")) == 2
    assert weekly_for(app, "optin.never@example.org") == []


def test_a_second_run_and_the_cli_the_same_week_write_and_deliver_the_issue_once_per_subscriber(
        app, factory, mailbox):
    noon = wednesday_noon()
    published_story(factory, "Once only")
    addresses = [f"once.only{n}@example.org" for n in range(3)]
    ids = [confirmed_subscriber(app, address) for address in addresses]

    first = run_weekly(app, noon)
    second = run_weekly(app, noon + timedelta(hours=1))
    assert (first.articles, first.written, first.recipients) == (1, 3, 3)
    assert (second.key, second.issue_id, second.written, second.recipients) == (first.key, first.issue_id, 0, 3)
    with clock_set_to(noon + timedelta(hours=2)):
        result = app.test_cli_runner().invoke(args=["newsletter", "send"])
    assert result.exit_code == 0, result.output
    assert f"Newsletter {first.key}: 1 story, 0 email(s) written now, 3 in all." in result.output

    deliver_pending(app)
    for address, subscriber_id in zip(addresses, ids, strict=True):
        [note] = weekly_for(app, address)
        assert note.status is DeliveryStatus.SENT
        assert note.dedup_key == f"newsletter:{first.key}:{subscriber_id}"
        assert len(weekly_emails_to(mailbox, address)) == 1, address
    [issue] = issues(app)
    assert issue.recipient_count == 3
    status = app.test_cli_runner().invoke(args=["newsletter", "status"]).output
    assert "active        3" in status and f"{first.key}: 1 story, 3 recipients (sent 3)" in status


@pytest.mark.worker
def test_through_the_worker_each_reader_gets_one_email_however_often_the_issue_is_sent(
        app, factory, worker, mailbox):
    published_story(factory, "Through the worker")
    addresses = [f"worker.reader{n}@example.org" for n in range(3)]
    for address in addresses:
        confirmed_subscriber(app, address)
    assert run_weekly(app).written == 3
    assert run_weekly(app).written == 0
    result = app.test_cli_runner().invoke(args=["newsletter", "send"])
    assert result.exit_code == 0 and "0 email(s) written now, 3 in all." in result.output

    for address in addresses:
        message = mailbox.wait_for_subject(address, WEEKLY_SUBJECT, timeout=30)
        assert "Through the worker" in plain_body(message)
    wait_until_delivered(app, addresses)
    time.sleep(0.5)  # a second email, if any, would be on its way
    assert [len(weekly_emails_to(mailbox, address)) for address in addresses] == [1, 1, 1]


def test_a_run_that_crashed_half_way_is_completed_by_the_next_without_doubles(app, factory, monkeypatch):
    noon = wednesday_noon()
    published_story(factory, "Crash")
    addresses = [f"crash{n}@example.org" for n in range(3)]
    for address in addresses:
        confirmed_subscriber(app, address)
    monkeypatch.setattr(newsletter, "CHUNK", 1)
    write_chunk = newsletter._write_chunk
    calls = []

    def dies_on_the_second_chunk_the_first_time(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return write_chunk(*args)

    monkeypatch.setattr(newsletter, "_write_chunk", dies_on_the_second_chunk_the_first_time)
    with pytest.raises(RuntimeError, match="killed"):
        run_weekly(app, noon)
    assert [len(weekly_for(app, address)) for address in addresses] == [1, 0, 0]

    rerun = run_weekly(app, noon + timedelta(minutes=10))
    assert (rerun.written, rerun.recipients) == (2, 3)
    assert [len(weekly_for(app, address)) for address in addresses] == [1, 1, 1]
    [issue] = issues(app)
    assert issue.recipient_count == 3 and issue.until == noon  # the issue of the first run, not a new one


def test_two_runs_racing_write_each_subscriber_once(app, factory, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite runs one writer at a time)")
    noon = wednesday_noon()
    published_story(factory, "Race")
    addresses = [f"race{n}@example.org" for n in range(4)]
    for address in addresses:
        confirmed_subscriber(app, address)

    # Both runs look for the notifications there are before either writes one: only the unique key parts them.
    looked = threading.Barrier(2, timeout=30)
    existing_keys = newsletter._existing_keys

    def look_then_wait(keys):
        found = existing_keys(keys)
        looked.wait()
        return found

    monkeypatch.setattr(newsletter, "_existing_keys", look_then_wait)
    runs: list[newsletter.WeeklyRun] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                runs.append(newsletter.send_weekly(noon))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(r.written for r in runs) == [0, 4] and {r.recipients for r in runs} == {4}
    assert len({r.issue_id for r in runs}) == 1
    assert [len(weekly_for(app, address)) for address in addresses] == [1, 1, 1, 1]
    [issue] = issues(app)
    assert issue.recipient_count == 4


# --- the schedule ---------------------------------------------------------------------------------------------

def test_beat_sends_the_newsletter_once_a_week_on_the_configured_day_and_hour(app):
    from celery.schedules import crontab

    celery = app.extensions["celery"]
    assert "newsletter.send_weekly" in celery.tasks
    entry = celery.conf.beat_schedule["send-newsletter"]
    assert entry["task"] == "newsletter.send_weekly"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule == crontab(minute=0, hour=app.config["NEWSLETTER_HOUR"],
                               day_of_week=app.config["NEWSLETTER_WEEKDAY"])
    assert (schedule.minute, schedule.hour, schedule.day_of_week) == ({0}, {7}, {5})  # Fridays at 7:00 UTC
    assert (schedule.day_of_month, schedule.month_of_year) == (set(range(1, 32)), set(range(1, 13)))


@pytest.mark.worker
def test_the_task_run_twice_by_the_worker_emails_each_reader_once(app, factory, worker, mailbox):
    from workflow.newsletter.tasks import send_weekly

    published_story(factory, "Sent by the task")
    addresses = [f"task.reader{n}@example.org" for n in range(3)]
    for address in addresses:
        confirmed_subscriber(app, address)
    finished = finished_send_tasks(worker)
    with app.app_context():
        send_weekly.delay()
        send_weekly.delay()
    deadline = time.monotonic() + 30
    while finished_send_tasks(worker) < finished + 2:
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        time.sleep(0.1)
    assert "raised" not in " ".join(re.findall(r"Task newsletter\.send_weekly\[[^\]]+\] \w+",
                                               worker.log_path.read_text(errors="replace")))
    for address in addresses:
        message = mailbox.wait_for_subject(address, WEEKLY_SUBJECT, timeout=30)
        assert "Sent by the task" in plain_body(message)
    wait_until_delivered(app, addresses)
    time.sleep(0.5)
    assert [len(weekly_emails_to(mailbox, address)) for address in addresses] == [1, 1, 1]
    assert [len(weekly_for(app, address)) for address in addresses] == [1, 1, 1]
    assert len(issues(app)) == 1


# --- what an issue holds ---------------------------------------------------------------------------------------

def test_no_story_since_the_last_issue_means_no_issue_and_no_email(app, factory):
    noon = wednesday_noon()
    confirmed_subscriber(app, "quiet.week@example.org", at=noon - timedelta(days=30))
    factory.submission(factory.user("contributor"), "edited", editor=factory.user("editor"))  # not published
    with clock_set_to(noon - timedelta(days=10)):
        published_story(factory, "Published before the week")
    run = run_weekly(app, noon)
    assert run.issue_id is None and (run.articles, run.written, run.recipients) == (0, 0, 0)
    assert issues(app) == [] and notifications(app, "newsletter.weekly") == []
    with clock_set_to(noon):
        result = app.test_cli_runner().invoke(args=["newsletter", "send"])
    assert result.exit_code == 0
    assert f"No newsletter for {run.key}: no story was published since the last issue." in result.output
    assert issues(app) == [] and notifications(app, "newsletter.weekly") == []


def test_each_issue_starts_where_the_previous_one_ended(app, factory):
    noon = wednesday_noon()
    address = "continuity@example.org"
    confirmed_subscriber(app, address, at=noon - timedelta(days=30))

    def issue_of(moment: datetime, headline: str) -> None:
        with clock_set_to(moment):
            published_story(factory, headline)

    issue_of(noon - timedelta(hours=12), "Story of the first issue")
    run_weekly(app, noon)
    issue_of(noon + timedelta(hours=1), "Story just after the first issue")
    assert run_weekly(app, noon + timedelta(hours=2)).written == 0  # this week's issue is written already
    # The next run comes early (Monday): fewer than 7 days, and still nothing from before the first issue's end.
    assert run_weekly(app, noon + timedelta(days=5)).articles == 1
    issue_of(noon + timedelta(days=5, hours=1), "Story of the third issue")
    # Then beat is down for a week: the run after it still starts where the last issue ended.
    assert run_weekly(app, noon + timedelta(days=14)).articles == 1

    one, two, three = issues(app)
    assert (one.since, one.until) == (noon - timedelta(days=7), noon)  # the first: the last 7 days
    assert (two.since, two.until) == (noon, noon + timedelta(days=5))
    assert (three.since, three.until) == (noon + timedelta(days=5), noon + timedelta(days=14))
    emails = [plain_body(composed_email(app, n.id)) for n in weekly_for(app, address)]
    headlines = ["Story of the first issue", "Story just after the first issue", "Story of the third issue"]
    for n, email in enumerate(emails):
        assert [headline in email for headline in headlines] == [n == m for m in range(3)], (n, email)

    fourth = run_weekly(app, noon + timedelta(days=21))  # nothing new since the third issue
    assert fourth.issue_id is None and len(issues(app)) == 3 and len(weekly_for(app, address)) == 3


def test_the_weekly_email_lists_each_story_with_its_byline_dek_and_address_in_both_parts(app, factory):
    noon = wednesday_noon()
    address = "contents@example.org"
    confirmed_subscriber(app, address)
    stories = [("Bread & salt at the checkpoint", "Queues start before dawn.", "R. Field"),
               ("The ferry that still runs", "Twice a day, whatever the “weather”.", "S. Harbour"),
               ("A story taken down", "It will not be in the email.", "T. Gone")]
    made = [story_with(app, factory, *story) for story in stories]
    run = run_weekly(app, noon)
    assert run.articles == 3
    take_down(app, factory, made[2][0])  # after the issue was written, before the email is composed

    [note] = weekly_for(app, address)
    message = composed_email(app, note.id)
    assert message["Subject"].startswith("This week in Frontline Deeply")
    text, html = plain_body(message), html_body(message)
    blocks = []
    for (headline, dek, byline), (_, slug) in zip(stories[:2], made[:2], strict=True):
        url = f"http://desk.test/articles/{slug}"
        assert f"> {headline}\n> by {byline}\n> {dek}\n> {url}\n" in text, text
        for part in (escape(headline), f"by {escape(byline)}", escape(dek), url):
            assert part in html, part
        blocks.append(text.index(headline))
    assert blocks[1] < blocks[0]  # newest first
    assert "&amp;amp;" not in html and "Bread &amp; salt" in html and "Bread & salt" in text
    for gone in ("A story taken down", "It will not be in the email.", "T. Gone", made[2][1]):
        assert gone not in text and gone not in html


# --- leaving: one-click unsubscribe ----------------------------------------------------------------------------

def test_the_weekly_email_unsubscribes_with_one_click_and_the_next_issue_does_not_come(app, factory):
    noon = wednesday_noon()
    address, other = "leaving@example.org", "staying@example.org"
    leaving_id = confirmed_subscriber(app, address)
    confirmed_subscriber(app, other)
    published_story(factory, "Before leaving")
    run_weekly(app, noon)

    [note] = weekly_for(app, address)
    message = composed_email(app, note.id)
    header = message["List-Unsubscribe"]
    assert re.fullmatch(r"<http://desk\.test/newsletter/unsubscribe/[\w.\-]+>", header), header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header[1:-1]
    text, html = plain_body(message), html_body(message)
    footer = text.rpartition("\n-- \n")[2]
    assert "You get this email because this address subscribed to our newsletter." in footer
    assert f"Unsubscribe: {link}" in footer
    assert "You get this email because this address subscribed to our newsletter." in html
    assert f'<a href="{link}" style="color:#5b5b61;">Unsubscribe</a>' in html
    for part in (text, html):
        assert "/account/notifications" not in part and "Choose which emails you get" not in part
        assert "contributor desk" not in part
    path = unsubscribe_path(app, note.id)
    assert path != unsubscribe_path(app, weekly_for(app, other)[0].id)  # each reader's own link

    page = Client(app).get(path)  # a link scanner, or the reader opening it
    assert page.status_code == 200
    assert f"Stop sending the Frontline Deeply newsletter to {address} ?" in text_of(page)  # (in <strong>)
    assert subscriber(app, address).unsubscribed_at is None

    mail_client = Client(app)  # the mail client's one click: no session, no CSRF token
    done = mail_client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200
    assert f"We will no longer send the Frontline Deeply newsletter to {address}." in text_of(done)
    left = subscriber(app, address)
    assert left.unsubscribed_at is not None and left.confirmed_at is not None
    assert mail_client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 200  # again
    assert subscriber(app, address).unsubscribed_at == left.unsubscribed_at
    assert "is not subscribed to the Frontline Deeply newsletter any more" in text_of(Client(app).get(path))

    with clock_set_to(noon + timedelta(days=3)):
        published_story(factory, "After leaving")
    run = run_weekly(app, noon + timedelta(days=7))
    assert (run.written, run.recipients) == (1, 1)
    assert len(weekly_for(app, address)) == 1 and len(weekly_for(app, other)) == 2

    # Later the reader signs up again, and confirms: the newsletter comes back.
    with clock_set_to(noon + timedelta(days=8)):
        assert subscribe(Client(app), address).status_code == 303
        assert confirm_from_email(app, address).status_code == 200
    back = subscriber(app, address)
    assert back.id == leaving_id and back.unsubscribed_at is None and back.confirmed_at > noon + timedelta(days=8)
    with clock_set_to(noon + timedelta(days=10)):
        published_story(factory, "After coming back")
    assert run_weekly(app, noon + timedelta(days=14)).recipients == 2
    assert len(weekly_for(app, address)) == 2


def test_an_unsubscribe_link_made_for_someone_else_changes_nothing(app, client):
    victim, bystander = "victim@example.org", "bystander@example.org"
    victim_id = confirmed_subscriber(app, victim)
    bystander_id = confirmed_subscriber(app, bystander)
    with app.app_context():
        genuine = newsletter.unsubscribe_token(victim_id, victim)
        bad = {
            "tampered": genuine[:8] + ("A" if genuine[8] != "A" else "B") + genuine[9:],
            "another subscriber's id": newsletter.unsubscribe_token(bystander_id, victim),
            "another address": newsletter.unsubscribe_token(victim_id, bystander),
            "a confirmation link": newsletter.confirmation_token(victim_id, victim),
        }
    stranger = Client(app)
    for name, token in bad.items():
        path = f"/newsletter/unsubscribe/{token}"
        for response in (stranger.get(path), stranger.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)):
            assert response.status_code == 404, name
            assert "Nothing was changed" in text_of(response), name
            assert victim not in text_of(response) and bystander not in text_of(response)
    for address in (victim, bystander):
        row = subscriber(app, address)
        assert row.is_active and row.unsubscribed_at is None, address

    # The victim's own link does work (the 404s above were about the links, not the page).
    assert stranger.post(f"/newsletter/unsubscribe/{genuine}", {"List-Unsubscribe": "One-Click"},
                         csrf=False).status_code == 200
    assert not subscriber(app, victim).is_active and subscriber(app, bystander).is_active


# --- what is kept about a reader -------------------------------------------------------------------------------

def test_the_weekly_run_forgets_addresses_never_confirmed_within_the_pending_days(app, factory):
    noon = wednesday_noon()
    days = timedelta(days=app.config["NEWSLETTER_PENDING_DAYS"])
    with app.app_context():
        for address, moment in [("pending.old@example.org", noon - days - timedelta(minutes=1)),
                                ("pending.recent@example.org", noon - days + timedelta(hours=1))]:
            with clock_set_to(moment):
                assert newsletter.request_subscription(address)
            db.session.commit()
    confirmed_subscriber(app, "confirmed.old@example.org", at=noon - 10 * days)
    left_id = confirmed_subscriber(app, "unsubscribed.old@example.org", at=noon - 10 * days)
    with app.app_context():
        db.session.execute(sa.update(Subscriber).where(Subscriber.id == left_id)
                           .values(unsubscribed_at=noon - 9 * days))
        db.session.commit()

    run = run_weekly(app, noon)  # no story this week: the addresses are forgotten all the same
    assert run.issue_id is None and run.forgotten == 1
    with app.app_context():
        kept = set(db.session.scalars(sa.select(Subscriber.email)))
    assert kept == {"pending.recent@example.org", "confirmed.old@example.org", "unsubscribed.old@example.org"}
    assert run_weekly(app, noon + timedelta(hours=1)).forgotten == 0


def test_a_subscriber_is_an_address_and_the_dates_of_consent_nothing_more(app):
    with app.app_context():
        columns = [column["name"] for column in sa.inspect(db.engine).get_columns("subscribers")]
    assert sorted(columns) == sorted(["id", "email", "requested_at", "confirmed_at", "unsubscribed_at"])
    assert len(columns) == 5

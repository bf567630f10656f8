"""What each person hears about, and how: the bell and its list, email preferences, one-click unsubscribe."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from tests.helpers import Client, as_received, signed_in, text_of
from workflow.extensions import db
from workflow.notifications import mail
from workflow.notifications.models import Choice, DeliveryStatus, Notification, Preference


def _rows(app, **filters) -> list[Notification]:
    with app.app_context():
        query = sa.select(Notification).filter_by(**filters).order_by(Notification.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def _bell(client: Client, path: str = "/account") -> str:
    """What the bell in the header says, as text."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<a class="bell"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no bell in the header"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _assign(app, editor_ref, submission_ref):
    from datetime import timedelta

    from workflow.core.models import utcnow
    from workflow.people.models import User
    from workflow.submissions import services
    from workflow.submissions.models import Submission

    with app.app_context():
        submission = db.session.get(Submission, submission_ref.id)
        editor = db.session.get(User, editor_ref.id)
        services.transition(editor, submission, services.TransitionInput(
            action="assign", seen_version=submission.version, editor_id=editor.id,
            deadline=utcnow().date() + timedelta(days=7)))
        db.session.commit()


# The bell and the list ---------------------------------------------------------------------------------------

def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    factory.submission(reporter, headline="Bread queues at night")
    factory.submission(reporter, headline="The last cinema")

    desk = signed_in(app, editor)
    assert _bell(desk) == "Notifications 2 unread"
    page = text_of(desk.get("/notifications"))
    assert "New pitch: The last cinema" in page and "New pitch: Bread queues at night" in page
    assert page.index("The last cinema") < page.index("Bread queues at night")  # newest first

    first = _rows(app, recipient_id=editor.id, event="submission.new_pitch")[0]
    response = desk.post(f"/notifications/{first.id}/read?next=/notifications", page="/notifications")
    assert response.status_code == 303 and response.location.endswith("/notifications")
    assert _bell(desk) == "Notifications 1 unread"

    assert desk.post("/notifications/read", page="/notifications").status_code == 303
    assert "Marked 1 notification as read." in text_of(desk.get("/notifications"))
    assert _bell(desk) == "Notifications"


def test_the_contributor_sees_their_own_news_and_not_account_mail(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    story = factory.submission(reporter, headline="Water at the border")
    _assign(app, editor, story)

    reporter_client = signed_in(app, reporter)
    page = text_of(reporter_client.get("/notifications"))
    assert "We received your pitch: Water at the border" in page
    assert "Your pitch was commissioned: Water at the border" in page
    assert "New pitch" not in page  # that one was the desk's
    # Security mail (a password change) is email only: it never shows in the list.
    assert reporter_client.post("/account/password", {
        "pw-current_password": "correct horse battery staple", "pw-password": "another long pass phrase",
        "pw-confirm": "another long pass phrase"}).status_code == 303
    reporter_client.login(reporter.email, "another long pass phrase")
    assert _rows(app, recipient_id=reporter.id, event="account.password_changed")
    assert "password" not in text_of(reporter_client.get("/notifications")).lower()


def test_nobody_can_mark_someone_elses_notification_read(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    factory.submission(reporter)
    theirs = _rows(app, recipient_id=editor.id)[0]

    other = signed_in(app, reporter)
    assert other.post(f"/notifications/{theirs.id}/read", page="/notifications").status_code == 303
    assert _rows(app, id=theirs.id)[0].read_at is None


def test_the_list_pages_back_through_older_notifications(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    for n in range(33):
        factory.submission(reporter, headline=f"Story {n:02d}")
    desk = signed_in(app, editor)
    first = desk.get("/notifications").get_data(as_text=True)
    assert "Story 32" in first and "Story 02" not in first
    older = re.search(r'href="(/notifications\?before=\d+)"', first).group(1)
    second = text_of(desk.get(older))
    assert "Story 02" in second and "Story 00" in second and "Story 32" not in second


def test_the_notifications_pages_need_a_sign_in(client):
    for path in ("/notifications", "/account/notifications"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


# Preferences -------------------------------------------------------------------------------------------------

def _choose(client: Client, **choices) -> object:
    page = client.get("/account/notifications").get_data(as_text=True)
    current = dict(re.findall(r'<input checked id="[^"]+" name="(event_\w+)" type="radio" value="(\w+)"', page))
    assert current, "the form shows no current choice"
    current.update({f"event_{event.replace('.', '__')}": value for event, value in choices.items()})
    return client.post("/account/notifications", current, page="/account/notifications")


def test_a_contributor_chooses_per_kind_of_event_and_security_mail_is_not_offered(app, factory):
    reporter = factory.user()
    client = signed_in(app, reporter)
    page = text_of(client.get("/account/notifications"))
    assert "An editor commissions my pitch" in page
    assert "A contributor sends a new pitch" not in page  # the desk's event
    assert "password" not in page.split("always go out")[1].lower()  # no choice about security mail

    response = _choose(client, **{"submission.assigned": "digest", "submission.received": "never"})
    assert response.status_code == 303
    assert "Your email choices are saved." in text_of(client.get("/account/notifications"))
    with app.app_context():
        stored = dict(db.session.execute(sa.select(Preference.event, Preference.choice)
                                         .where(Preference.user_id == reporter.id)).all())
    assert stored == {"submission.assigned": Choice.DIGEST, "submission.received": Choice.NEVER}
    page = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'<input checked id="[^"]+" name="event_submission__assigned" type="radio" value="digest"', page)


def test_a_choice_that_does_not_exist_is_refused_next_to_the_field(app, factory):
    reporter = factory.user()
    client = signed_in(app, reporter)
    response = _choose(client, **{"submission.assigned": "hourly"})
    assert response.status_code == 422
    assert "Not a valid choice" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Preference)) == 0


def test_the_choice_decides_whether_the_email_goes_now_waits_for_the_digest_or_is_skipped(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    client = signed_in(app, reporter)
    _choose(client, **{"submission.received": "never", "submission.assigned": "digest"})
    story = factory.submission(reporter)
    _assign(app, editor, story)

    by_event = {n.event: n for n in _rows(app, recipient_id=reporter.id)}
    assert by_event["submission.received"].status is DeliveryStatus.SKIPPED
    assert by_event["submission.assigned"].status is DeliveryStatus.HELD
    assert by_event["submission.received"].queued_at is None and by_event["submission.assigned"].queued_at is None
    assert by_event["submission.received"].in_app and by_event["submission.assigned"].in_app
    # The editor chose nothing: their new-pitch email is pending delivery as usual.
    assert _rows(app, recipient_id=editor.id, event="submission.new_pitch")[0].status in (
        DeliveryStatus.PENDING, DeliveryStatus.SENT)  # a worker from an earlier test may have sent it already

    # The timeline tells the contributor what became of each.
    page = text_of(client.get(f"/submissions/{story.id}"))
    assert "you chose not to get these emails" in page
    assert "waiting for your daily digest" in page


def test_security_mail_goes_out_whatever_was_chosen(app, factory):
    from workflow.notifications import services
    from workflow.people.models import User

    reporter = factory.user()
    with app.app_context():
        user = db.session.get(User, reporter.id)
        with pytest.raises(Exception, match="cannot be set"):
            services.set_preference(user, "account.reset_password", Choice.NEVER)
        db.session.add(Preference(user_id=user.id, event="account.reset_password", choice=Choice.NEVER))
        notification = services.notify("account.reset_password", user, user_id=user.id)
        assert notification.status is DeliveryStatus.PENDING and not notification.in_app
        db.session.rollback()


# One-click unsubscribe ---------------------------------------------------------------------------------------

def _composed(app, notification_id: int):
    with app.app_context(), app.test_request_context():
        return as_received(mail.compose(db.session.get(Notification, notification_id)))


def _commissioned(app, factory):
    """A contributor whose pitch was just assigned, and the notification that tells them."""
    editor = factory.user("editor")
    reporter = factory.user()
    _assign(app, editor, factory.submission(reporter))
    return reporter, _rows(app, recipient_id=reporter.id, event="submission.assigned")[0]


def test_emails_carry_one_click_unsubscribe_except_security_mail(app, factory):
    from workflow.notifications import services
    from workflow.people.models import User

    reporter, assigned = _commissioned(app, factory)
    message = _composed(app, assigned.id)
    assert re.fullmatch(r"<http://desk\.test/unsubscribe/[\w.\-]+>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"][1:-1]
    assert link in message.get_body(("plain",)).get_content()
    assert link.replace("&", "&amp;") in message.get_body(("html",)).get_content()

    with app.app_context():
        security_id = services.notify("account.password_changed", db.session.get(User, reporter.id)).id
        db.session.commit()
    message = _composed(app, security_id)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "/unsubscribe/" not in message.get_body(("plain",)).get_content()


def test_one_click_unsubscribe_works_without_a_session_and_a_get_changes_nothing(app, factory):
    reporter, assigned = _commissioned(app, factory)
    path = _composed(app, assigned.id)["List-Unsubscribe"][1:-1].removeprefix("http://desk.test")

    stranger = Client(app)  # a mail client: no cookies, no CSRF token
    page = stranger.get(path)
    assert page.status_code == 200, text_of(page)
    assert f"Stop emailing {reporter.email} about this: “An editor commissions my pitch”?" in text_of(page)
    with app.app_context():
        assert db.session.get(Preference, (reporter.id, "submission.assigned")) is None

    response = stranger.http.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert f"We will no longer email {reporter.email} about this: “An editor commissions my pitch”." in \
        text_of(response)
    with app.app_context():
        assert db.session.get(Preference, (reporter.id, "submission.assigned")).choice is Choice.NEVER
    # Again: still fine, still unsubscribed.
    assert stranger.http.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    # The next assignment of theirs is not emailed (but is in their list).
    second = factory.submission(reporter)
    _assign(app, factory.user("editor"), second)
    latest = _rows(app, recipient_id=reporter.id, event="submission.assigned")[-1]
    assert latest.status is DeliveryStatus.SKIPPED and latest.in_app


def test_an_unsubscribe_link_cannot_be_forged_for_someone_else(app, factory):
    from workflow.notifications import links

    victim = factory.user()
    factory.user()
    with app.app_context():
        token = links.unsubscribe_token(victim.id, "submission.assigned")
    forged = token.replace(token.split(".")[0], token.split(".")[0][:-2] + "xx")
    stranger = Client(app)
    for bad in (forged, token[:-3] + "abc", "not-a-token"):
        response = stranger.http.post(f"/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in text_of(response) or "This link is not valid" in \
            text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Preference)) == 0
        # A link for a security event, even correctly signed, changes nothing.
        security = links.unsubscribe_token(victim.id, "account.reset_password")
    assert stranger.http.post(f"/unsubscribe/{security}").status_code == 404


@pytest.mark.worker
def test_through_the_worker_a_skipped_email_never_reaches_the_mail_server(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor", email="bell.editor@example.org")
    reporter = factory.user(email="quiet.reporter@example.org")
    client = signed_in(app, reporter)
    _choose(client, **{"submission.received": "never"})
    factory.submission(reporter, headline="A quiet pitch")
    mailbox.wait_for_subject(editor.email, "New pitch: A quiet pitch")
    time.sleep(0.5)
    assert [m["Subject"] for m in mailbox.to(reporter.email)] == []


def test_unsubscribing_from_the_digest_stops_gathering_for_it(app, factory):
    from workflow.notifications import links, services
    from workflow.people.models import User

    reporter = factory.user()
    client = signed_in(app, reporter)
    _choose(client, **{"submission.assigned": "digest", "submission.message": "digest", "submission.edited": "never"})
    with app.app_context():
        token = links.unsubscribe_token(reporter.id, "digest.daily")
    response = Client(app).http.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert f"We will no longer send the daily digest to {reporter.email}." in text_of(response)
    with app.app_context():
        choices = services.preferences_of(db.session.get(User, reporter.id))
    assert choices["submission.assigned"] is Choice.NEVER and choices["submission.message"] is Choice.NEVER
    assert choices["submission.edited"] is Choice.NEVER and choices["submission.published"] is Choice.IMMEDIATELY

"""Discreet emails: someone who chose them gets, for every kind of news, an email that names no story, no person
and nothing anyone wrote, with a link to the desk; the details wait behind sign-in. Security notices stay plain
and name no story. Chosen at registration (on by default), kept on the preferences page; staff start without.

Every event of the registry is sent over real SMTP (the test's own server on loopback), with distinctive values
planted in its params, to a discreet person and, as a control, to someone who wants the details.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.helpers import PASSWORD, Client, act, html_body, plain_body, signed_in, text_of, valid_pitch
from workflow.core.transaction import discard_after_commit
from workflow.extensions import db
from workflow.notifications import delivery
from workflow.notifications.events import EVENTS, NO_RECIPIENT, READERS, SAMPLES, STAFF

HEADLINE = "Canary Headline Qx7"
RECIPIENT_NAME, RECIPIENT_BYLINE = "Canary Recipient Wq3", "Canary Byline Tf2"
# Each param that holds a name or someone's words, and the value planted in it.
PLANTED = {
    "headline": HEADLINE,
    "body": "canary message Zp9",
    "comment": "canary comment Kv4",
    "note": "canary note Jm2",
    "author": "Canary Author Pen Hn8",
    "actor": "Canary Actor Rt3",
    "editor": "Canary Editor Ls6",
    "inviter": "Canary Inviter Gd1",
    "subject": f"New message from Canary Author Pen Hn8 about: {HEADLINE}",
}
# The whole values (a fragment as short as "Rt3" turns up by chance in a link's token).
CANARIES = [*PLANTED.values(), RECIPIENT_NAME, RECIPIENT_BYLINE]
DISCREET_SUBJECT = "There is news on the desk"

FOR_ACCOUNTS = [name for name, spec in EVENTS.items() if spec.audience != READERS and name not in NO_RECIPIENT]
NEWS = [name for name in FOR_ACCOUNTS if not EVENTS[name].security]
SECURITY = [name for name in FOR_ACCOUNTS if EVENTS[name].security]
TO_AN_ADDRESS = [name for name in EVENTS if name not in FOR_ACCOUNTS]


def planted(value, key: str | None = None):
    """The sample params with a distinctive value in every field that holds a name or someone's words."""
    if isinstance(value, dict):
        return {k: planted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [planted(v) for v in value]
    if key in PLANTED and isinstance(value, str):
        return PLANTED[key]
    return value


def received_text(message) -> str:
    """All a reader of the mailbox sees: the subject and both parts, decoded."""
    return "\n".join([str(message["Subject"]), plain_body(message), html_body(message)])


def delivered(mailbox, notification_id: int):
    """The message of this notification, as the mail server received it (by its Message-ID: a worker may
    deliver other emails meanwhile, such as the pitch's own)."""
    [message] = mailbox.wait_for(lambda m: str(m["Message-ID"]).startswith(f"<notification-{notification_id}@"),
                                 timeout=30)
    return message


def send(app, mailbox, factory, event: str, *, discreet: bool):
    """Write the event's notification with planted params to a person (discreet or not), and deliver it over
    SMTP as a worker does; the message as the mail server received it."""
    from workflow.notifications.services import notify
    from workflow.people.models import User

    role = "editor" if EVENTS[event].audience == STAFF else "contributor"
    person = factory.user(role, name=RECIPIENT_NAME, byline=RECIPIENT_BYLINE, discreet_emails=discreet)
    factory.submission(person if role == "contributor" else factory.user(), headline=HEADLINE)
    mailbox.clear()
    params = planted(SAMPLES.get(event, {}))
    params.pop("user_id", None)
    with app.app_context():
        recipient = db.session.get(User, person.id)
        notification_id = notify(event, recipient, always_email=True, user_id=person.id, **params).id
        discard_after_commit(db.session())  # delivered here, not by a worker
        db.session.commit()
        assert delivery.deliver_batch([notification_id])[notification_id].outcome == "sent"
        db.session.remove()
    return delivered(mailbox, notification_id)


@pytest.mark.parametrize("event", NEWS)
def test_a_discreet_email_names_no_story_no_person_and_nothing_anyone_wrote(app, clean_db, mailbox, factory,
                                                                           event):
    message = send(app, mailbox, factory, event, discreet=True)
    text = received_text(message)
    found = [canary for canary in CANARIES if canary.lower() in text.lower()]
    assert found == [], f"{event}: the discreet email gives away {found}"
    assert message["Subject"] == DISCREET_SUBJECT
    assert "There is news on the desk" in plain_body(message) and "There is news on the desk" in html_body(message)
    assert "http://desk.test/notifications" in plain_body(message)
    assert 'href="http://desk.test/notifications"' in html_body(message)
    assert "/submissions/" not in text  # not even which story, by its number
    assert message["X-Workflow-Event"] == "discreet"
    # No one-click link: its token would name the kind of news; the choices are a sign-in away instead.
    assert message["List-Unsubscribe"] is None and "/unsubscribe/" not in str(message)
    assert "Choose which emails you get: http://desk.test/account/notifications" in plain_body(message)


@pytest.mark.parametrize("event", NEWS)
def test_the_same_email_to_someone_who_wants_the_details_carries_them(app, clean_db, mailbox, factory, event):
    text = received_text(send(app, mailbox, factory, event, discreet=False))
    assert HEADLINE in text, f"{event}: the detailed email does not name the story"
    assert DISCREET_SUBJECT not in text


@pytest.mark.parametrize("event", SECURITY)
def test_security_notices_stay_plain_for_a_discreet_person_and_name_no_story(app, clean_db, mailbox, factory,
                                                                             event):
    from workflow.notifications.email_files import email_file
    from workflow.notifications.render import render_subject

    message = send(app, mailbox, factory, event, discreet=True)
    text = received_text(message)
    found = [canary for canary in CANARIES if canary.lower() in text.lower()]
    assert found == [], f"{event}: the security notice gives away {found}"
    assert "Hello," in plain_body(message)  # not greeted by a name that ties the mailbox to the desk
    with app.app_context():
        expected_subject = render_subject(event, SAMPLES.get(event, {}))
        has_link = email_file(event).has_link
    assert message["Subject"] == expected_subject, "a security notice is never made discreet"
    if has_link:
        assert re.search(r"http://desk\.test/\S*", plain_body(message)), f"{event}: its link is gone"
        assert "http://desk.test/notifications" not in plain_body(message)


@pytest.mark.parametrize("event", SECURITY)
def test_security_notices_name_no_story_for_anyone(app, clean_db, mailbox, factory, event):
    text = received_text(send(app, mailbox, factory, event, discreet=False))
    assert HEADLINE.lower() not in text.lower()


@pytest.mark.parametrize("event", TO_AN_ADDRESS)
def test_mail_to_a_bare_address_names_no_story_of_the_desk(app, clean_db, mailbox, factory, event):
    """Invitations and the newsletter go to an address with no account: no one's choice applies, and they name
    no unpublished story (the weekly newsletter lists published ones, which are public)."""
    from workflow.notifications.email_files import email_file
    from workflow.notifications.services import notify

    factory.submission(factory.user(), headline=HEADLINE)
    mailbox.clear()
    address = "someone.new@example.org"
    with app.app_context():
        params = {name: 1 if name.endswith("_id") or name in ("issue", "article_count") else "x"
                  for name in email_file(event).params}
        params.update(planted(SAMPLES.get(event, {})))
        notification_id = notify(event, email=address, **params).id
        discard_after_commit(db.session())
        db.session.commit()
        assert delivery.deliver_batch([notification_id])[notification_id].outcome == "sent"
        db.session.remove()
    text = received_text(delivered(mailbox, notification_id))
    assert HEADLINE not in text and DISCREET_SUBJECT not in text


def test_the_choice_is_read_when_the_email_is_sent_not_when_it_was_written(app, clean_db, mailbox, factory):
    """An email waiting in the outbox follows a change made on the preferences page meanwhile."""
    from workflow.notifications.services import notify
    from workflow.people.models import User

    person = factory.user("contributor", name=RECIPIENT_NAME)
    mailbox.clear()
    with app.app_context():
        notification_id = notify("submission.message", db.session.get(User, person.id),
                                 **planted(SAMPLES["submission.message"])).id
        discard_after_commit(db.session())
        db.session.commit()
        db.session.remove()
    client = signed_in(app, person)
    response = client.post("/account/notifications", {"discreet_emails": "y"}, page="/account/notifications")
    assert response.status_code == 303
    with app.app_context():
        delivery.deliver_batch([notification_id])
        db.session.remove()
    message = delivered(mailbox, notification_id)
    assert message["Subject"] == DISCREET_SUBJECT and "canary message Zp9" not in received_text(message)


# Through the desk's own pages, with the worker --------------------------------------------------------------

def emails_written(app, *recipient_ids: int) -> dict[int, str]:
    """The notifications to these people that are emailed, by id: their event."""
    from workflow.notifications.models import DeliveryStatus, Notification

    with app.app_context():
        rows = db.session.execute(sa.select(Notification.id, Notification.event).where(
            Notification.recipient_id.in_(recipient_ids),
            Notification.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENT]))).all()
        db.session.remove()
    return dict(rows)


def test_a_pitch_a_message_a_draft_and_a_decline_reach_discreet_people_as_news_only(app, clean_db, worker,
                                                                                    mailbox, factory):
    editor = factory.user("editor", name="Canary Editor Ls6")
    reporter = factory.user("contributor", name=RECIPIENT_NAME, byline=RECIPIENT_BYLINE, discreet_emails=True)
    desk = signed_in(app, editor)
    assert desk.post("/account/notifications", {"discreet_emails": "y"},
                     page="/account/notifications").status_code == 303
    contributor = signed_in(app, reporter)

    response = contributor.post("/pitch", valid_pitch(headline=HEADLINE, summary="canary summary Vb0"))
    assert response.status_code == 303, text_of(response)
    submission_id = int(re.search(r"/submissions/(\d+)", response.location).group(1))
    page = f"/submissions/{submission_id}"
    assert desk.post(f"{page}/messages", {"body": "canary message Zp9"}, page=page).status_code == 303
    assert contributor.post(f"{page}/messages", {"body": "canary answer Mc5"}, page=page).status_code == 303
    assert act(desk, submission_id, "decline", comment="canary comment Kv4").status_code == 303

    # received, message, decline to the contributor; new pitch and the answer to the editor
    written = emails_written(app, reporter.id, editor.id)
    assert sorted(written.values()) == sorted(["submission.received", "submission.message", "submission.declined",
                                               "submission.new_pitch", "submission.message"])
    for notification_id in written:
        message = delivered(mailbox, notification_id)
        text = received_text(message)
        found = [c for c in [*CANARIES, "canary summary Vb0", "canary answer Mc5"] if c.lower() in text.lower()]
        assert found == [] and message["Subject"] == DISCREET_SUBJECT, (message["Subject"], found)

    # Behind sign-in, the list of notifications still tells each of them everything.
    inbox = text_of(contributor.get("/notifications"))
    assert HEADLINE in inbox and "Canary Editor Ls6" in inbox
    assert HEADLINE in text_of(desk.get("/notifications"))
    assert "canary comment Kv4" in text_of(contributor.get(page))
    # The story's timeline says what the emails were titled, not what they would have been.
    timeline = text_of(contributor.get(page))
    assert f"Emailed you: “{DISCREET_SUBJECT}”" in timeline
    assert "Emailed you: “We received your pitch" not in timeline


def test_a_draft_saved_reaches_a_discreet_editor_as_news_only(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor", discreet_emails=True)
    reporter = factory.user("contributor", name=RECIPIENT_NAME, byline=RECIPIENT_BYLINE)
    submission = factory.submission(reporter, state="assigned", editor=editor, headline=HEADLINE)
    mailbox.clear()
    draft = f"/submissions/{submission.id}/draft"
    response = signed_in(app, reporter).post(draft, {
        "version": "", "headline": HEADLINE, "dek": "canary dek Fw4", "body": "canary body Hq1",
        "note": "canary note Jm2"}, page=draft)
    assert response.status_code == 303, text_of(response)
    [draft_saved] = [n for n, event in emails_written(app, editor.id).items() if event == "submission.draft_saved"]
    message = delivered(mailbox, draft_saved)
    text = received_text(message)
    assert message["Subject"] == DISCREET_SUBJECT
    assert not [c for c in [*CANARIES, "canary dek Fw4", "canary body Hq1"] if c.lower() in text.lower()]


# The setting -------------------------------------------------------------------------------------------------

REGISTRATION = {"email": "new.reporter@example.org", "display_name": "Nadia Reporter", "byline_name": "N. R.",
                "password": PASSWORD, "confirm": PASSWORD}


def _discreet(app, email: str) -> bool:
    from workflow.people.models import User

    with app.app_context():
        value = db.session.scalar(sa.select(User.discreet_emails).where(User.email == email))
        db.session.remove()
    return value


def test_registration_asks_with_the_box_ticked_and_keeps_the_answer(app, clean_db):
    page = Client(app).get("/register").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="discreet_emails"[^>]*>', page)
    assert box and "checked" in box.group(0), "the box is ticked until the person unticks it"
    assert "there is news on the desk" in page and "name no story" in page

    assert Client(app).post("/register", {**REGISTRATION, "discreet_emails": "y"}).status_code == 303
    assert _discreet(app, REGISTRATION["email"]) is True
    other = {**REGISTRATION, "email": "open.reporter@example.org"}  # the box unticked: the browser sends nothing
    assert Client(app).post("/register", other).status_code == 303
    assert _discreet(app, other["email"]) is False


def test_the_preferences_page_turns_it_on_and_off(app, factory):
    person = factory.user("contributor", discreet_emails=True)
    client = signed_in(app, person)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="discreet_emails"|<input[^>]*name="discreet_emails"[^>]*checked',
                     page)
    response = client.post("/account/notifications", {}, page="/account/notifications")
    assert response.status_code == 303 and _discreet(app, person.email) is False
    assert "Our emails now name the story" in text_of(client.get(response.location))
    response = client.post("/account/notifications", {"discreet_emails": "y"}, page="/account/notifications")
    assert _discreet(app, person.email) is True
    assert "Our emails now only say that there is news on the desk" in text_of(client.get(response.location))


def test_contributors_start_discreet_and_staff_do_not(app, clean_db):
    """Accounts made by the desk (the CLI, an invitation) take the role's default."""
    from workflow.auth.services import create_user
    from workflow.people.models import Role

    with app.app_context():
        contributor = create_user("c@example.org", PASSWORD, "Cee Contributor")
        editor = create_user("e@example.org", PASSWORD, "Eee Editor", role=Role.EDITOR)
        admin = create_user("a@example.org", PASSWORD, "Aaa Admin", role=Role.ADMIN)
        db.session.commit()
        assert (contributor.discreet_emails, editor.discreet_emails, admin.discreet_emails) == (True, False, False)
        db.session.remove()

"""Security notices by email, over HTTP: a sign-in from a new device, a factor added or removed, recovery codes
used or renewed and a changed password are each emailed at once (never held for a digest), say nothing of the
person's stories, and carry a "This was not me" link that signs the account out everywhere and sends a link to
choose a new password.

The emails are read from the outbox, composed exactly as the worker sends them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import sqlalchemy as sa
import time_machine

from tests.helpers import PASSWORD, Client, composed, link_in, plain_body, redirect_path, still_signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Version/17.5 Mobile/15E148 Safari/604.1")
NEW_DEVICE = "A sign-in to your account from a new device"
NEW_PASSWORD = "a brand new passphrase for the desk"


def emails(app, address: str, subject: str = "") -> list:
    from workflow.notifications.models import DeliveryStatus, Notification

    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(Notification.email == address)
                                  .order_by(Notification.id)).all()
        assert all(row.status is not DeliveryStatus.HELD for row in rows), "a security email held for a digest"
        messages = [composed(row) for row in rows]
    return [m for m in messages if subject in m["Subject"]]


def browser(app, agent: str) -> Client:
    client = Client(app)
    client.http.environ_base["HTTP_USER_AGENT"] = agent
    return client




def test_a_sign_in_from_a_new_browser_is_emailed_and_a_known_one_is_not(app, factory):
    person = factory.user("contributor")
    laptop = browser(app, FIREFOX_ON_WINDOWS)
    assert laptop.login(person.email).status_code == 303
    assert emails(app, person.email, NEW_DEVICE) == [], "the account's very first browser is not news"
    laptop.logout()
    assert laptop.login(person.email).status_code == 303  # the same browser again
    assert emails(app, person.email, NEW_DEVICE) == []

    phone = browser(app, SAFARI_ON_IPHONE)
    assert phone.login(person.email).status_code == 303
    [notice] = emails(app, person.email, NEW_DEVICE)
    body = plain_body(notice)
    assert "Mobile Safari on iOS" in body and "This was not me" in body
    assert "/account/not-me/" in body


def test_this_was_not_me_signs_out_everywhere_and_sends_a_reset_link(app, factory):
    person = factory.user("contributor")
    owner = browser(app, FIREFOX_ON_WINDOWS)
    owner.login(person.email)
    intruder = browser(app, SAFARI_ON_IPHONE)
    intruder.login(person.email, remember=True)
    [notice] = emails(app, person.email, NEW_DEVICE)
    link = link_in(notice, r"http://desk\.test(/account/not-me/\S+)")

    reader = Client(app)  # the owner opens the email on another computer
    page = reader.get(link)
    assert page.status_code == 200 and "Sign me out everywhere and send the link" in text_of(page)
    assert still_signed_in(intruder), "a GET changed something (mail scanners follow links)"
    done = reader.post(link, page=link)
    assert done.status_code == 200 and "Your account is signed out everywhere." in text_of(done)
    assert not still_signed_in(intruder) and not still_signed_in(owner)

    [reset] = emails(app, person.email, "Reset your password")
    path = link_in(reset)
    assert Client(app).post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=path).status_code == 303
    assert Client(app).login(person.email, NEW_PASSWORD).status_code == 303


def test_a_broken_not_me_link_says_so(app, client):
    response = client.get("/account/not-me/not-a-token")
    assert response.status_code == 400 and "This link is not valid" in text_of(response)


def test_every_security_notice_carries_the_link_and_no_story(app, factory):
    """A password change, an app added, a recovery code used, new codes, the app removed, a new device."""
    person = factory.user("contributor")
    factory.submission(person, headline="Secret ferry timetable")
    client = browser(app, FIREFOX_ON_WINDOWS)
    assert client.login(person.email).status_code == 303
    page = client.get("/account/two-step/app").get_data(as_text=True)
    secret = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post("/account/two-step/app", {"code": pyotp.TOTP(secret).now()}, page="/account/two-step/app")
    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", done.get_data(as_text=True))
    client.logout()
    phone = browser(app, SAFARI_ON_IPHONE)
    password = phone.post("/login", {"email": person.email, "password": PASSWORD}, page="/login")
    assert redirect_path(password) == "/login/verify", password.status_code
    assert phone.post("/login/verify", {"code": codes[0]}, page="/login/verify").status_code == 303
    phone.user_email = person.email
    assert phone.post("/account/two-step/recovery-codes", page="/account").status_code == 200
    assert phone.post("/account/password", {"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD,
                                            "pw-confirm": NEW_PASSWORD}).status_code == 303
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        assert phone.post("/account/two-step/app/remove", page="/account").status_code == 303

    subjects = {
        "A sign-in to your account from a new device", "A second sign-in step was added to your account",
        "A recovery code was used to sign in to your account", "New recovery codes were made for your account",
        "Your password was changed", "A second sign-in step was removed from your account"}
    notices = {m["Subject"]: m for m in emails(app, person.email) if m["Subject"] in subjects}
    assert set(notices) == subjects
    for subject, message in notices.items():
        text = plain_body(message)
        assert "/account/not-me/" in text, f"no “This was not me” link in “{subject}”"
        assert "ferry" not in text.lower() and "List-Unsubscribe" not in message, subject


def test_two_accounts_signed_in_from_one_browser_cannot_be_linked_in_the_database(app, factory):
    from workflow.auth.models import KnownDevice

    one, other = factory.user("contributor"), factory.user("contributor")
    shared = browser(app, FIREFOX_ON_WINDOWS)
    assert shared.login(one.email).status_code == 303
    shared.logout()
    assert shared.login(other.email).status_code == 303  # the same browser, the same device cookie
    assert shared.http.get_cookie("desk_device") is not None
    with app.app_context():
        rows = db.session.execute(sa.select(KnownDevice.user_id, KnownDevice.key_hash)
                                  .where(KnownDevice.user_id.in_([one.id, other.id]))).all()
    assert {user_id for user_id, _ in rows} == {one.id, other.id}
    assert len({key_hash for _, key_hash in rows}) == 2  # nothing in common to join them on
    shared.logout()
    assert shared.login(one.email).status_code == 303
    assert emails(app, one.email, NEW_DEVICE) == []  # and each still knows the browser

"""Fresh proof for what matters, over HTTP: each action below asks for the password again (and a code from the
app where one is set) when the session's last proof is older than 10 minutes, keeps what was typed while it asks,
and does what was asked once the person confirms; within 10 minutes it does not ask.

The clock is moved with time-machine; every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from tests.helpers import PASSWORD, Client, fingerprint, text_of
from workflow.core.models import utcnow
from workflow.extensions import db

NEW_PASSWORD = "a brand new passphrase for the desk"


@dataclass
class Action:
    name: str
    role: str  # who does it
    url: str
    form: dict
    factor: bool = False  # the person has an authenticator app (the proof asks for a code too)


def _setup(app, factory, action: Action):
    """The person who acts (signed in, with an app where the action says), and the ids the URL names."""
    from workflow.auth import second_factor
    from workflow.people.models import User

    actor = factory.user(action.role)
    target = factory.user("contributor", email="target@example.org")
    secret = pyotp.random_base32()
    with app.app_context():
        if action.factor:
            second_factor.enrol_with_secret(db.session.get(User, actor.id), secret)
        second_factor.enrol_with_secret(db.session.get(User, target.id), pyotp.random_base32())
        db.session.commit()
    return actor, target, secret


def sign_in(app, email: str, secret: str | None) -> Client:
    client = Client(app)
    response = client.post("/login", {"email": email, "password": PASSWORD}, page="/login")
    if response.status_code == 303 and response.location.endswith("/login/verify"):
        response = client.post("/login/verify", {"code": pyotp.TOTP(secret).now()}, page="/login/verify")
    assert response.status_code == 303 and "/login" not in response.location, "sign-in failed"
    client.user_email = email
    return client


ACTIONS = [
    Action("change the email address", "contributor", "/account/email",
           {"em-email": "somewhere.new@example.org", "em-password": PASSWORD}),
    Action("change the password", "contributor", "/account/password",
           {"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}),
    Action("make new recovery codes", "contributor", "/account/two-step/recovery-codes", {}, factor=True),
    Action("remove the authenticator app", "contributor", "/account/two-step/app/remove", {}, factor=True),
    Action("delete the account", "contributor", "/account/delete", {"del-password": PASSWORD, "del-understood": "y"}),
    Action("change someone's role", "admin", "/admin/people/{target}/role", {"role": "editor"}),
    Action("disable an account", "admin", "/admin/people/{target}/disable", {}),
    Action("reset someone's second step", "admin", "/admin/people/{target}/second-step/reset", {}, factor=True),
]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_within_ten_minutes_nothing_more_is_asked(app, factory, action):
    actor, target, secret = _setup(app, factory, action)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, actor.email, secret)
        clock.shift(timedelta(minutes=9, seconds=50))
        response = client.post(action.url.format(target=target.id), action.form, page="/account")
    assert response.status_code in (200, 303), (response.status_code, text_of(response)[:300])
    assert "Confirm it is you" not in text_of(response)


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_after_ten_minutes_the_proof_is_asked_what_was_typed_is_kept_and_done_once_confirmed(app, factory,
                                                                                             action):
    actor, target, secret = _setup(app, factory, action)
    url = action.url.format(target=target.id)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, actor.email, secret)
        clock.shift(timedelta(minutes=10, seconds=30))
        before = fingerprint(app)
        asked = client.post(url, action.form, page="/account")
        assert asked.status_code == 401, (asked.status_code, text_of(asked)[:300])
        page = asked.get_data(as_text=True)
        assert "Confirm it is you" in text_of(asked)
        assert ('id="proof-code"' in page) is action.factor  # a code only where an app is set up
        kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        assert {name: unescape(kept.get(name, "")) for name in action.form} == action.form, "what was typed is lost"
        assert fingerprint(app) == before, "something changed before the proof"

        wrong = client.post(url, {**action.form, "proof-password": "not my password", "proof-code": ""},
                            page="/account")
        assert wrong.status_code == 401 and "That is not your password." in text_of(wrong)
        assert fingerprint(app) == before
        proof = {"proof-password": PASSWORD}
        if action.factor:
            clock.shift(timedelta(seconds=30))
            proof["proof-code"] = pyotp.TOTP(secret).now()
        done = client.post(url, {**action.form, **proof}, page="/account")
    assert done.status_code in (200, 303), (done.status_code, text_of(done)[:300])
    assert fingerprint(app) != before, "confirmed, yet nothing was done"


def test_the_data_export_sends_to_confirm_and_back(app, factory):
    person = factory.user("contributor")
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email, None)
        assert client.get("/account/export").status_code == 200
        clock.shift(timedelta(minutes=11))
        response = client.get("/account/export")
        assert response.status_code == 302 and "/account/confirm?next=/account/export" in response.location
        assert "Confirm it is you" in text_of(client.get(response.location))
        done = client.post("/account/confirm?next=/account/export", {"proof-password": PASSWORD},
                           page="/account/confirm")
        assert done.status_code == 303 and done.location.endswith("/account/export")
        download = client.get("/account/export")
    assert download.status_code == 200 and download.mimetype == "application/zip"


def test_the_proof_page_refuses_a_wrong_code_and_waits_after_ten_wrong_tries(app, factory):
    action = ACTIONS[2]
    actor, _, secret = _setup(app, factory, action)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, actor.email, secret)
        clock.shift(timedelta(minutes=11))
        response = client.post("/account/confirm", {"proof-password": PASSWORD, "proof-code": "000000"},
                               page="/account")
        assert response.status_code == 401 and "That code is not right" in text_of(response)
        statuses = [client.post("/account/confirm", {"proof-password": "wrong", "proof-code": ""},
                                page="/account").status_code for _ in range(9)]
        assert statuses == [401] * 9
        assert client.post("/account/confirm", {"proof-password": PASSWORD,
                                                "proof-code": pyotp.TOTP(secret).now()},
                           page="/account").status_code == 429
    with app.app_context():
        from workflow.auth.models import UserSession

        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1


def test_the_pages_that_add_a_second_step_ask_for_the_proof_first(app, factory):
    """Setting up an app and adding a key change the factors too: their pages send to /account/confirm, and the
    key's ceremony (JSON, from /static/webauthn.js) is refused with a message to reload."""
    person = factory.user("contributor")
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email, None)
        assert client.get("/account/two-step/app").status_code == 200
        assert client.get("/account/two-step/keys/new").status_code == 200
        clock.shift(timedelta(minutes=11))
        for page in ("/account/two-step/app", "/account/two-step/keys/new"):
            response = client.get(page)
            assert response.status_code == 302 and f"/account/confirm?next={page}" in response.location, page
        token = client.csrf_token("/account")
        options = client.http.post("/account/two-step/keys/options", json={}, headers={"X-CSRFToken": token})
        assert options.status_code == 401 and "Confirm it is you first" in options.json["error"]
        done = client.post("/account/confirm?next=/account/two-step/app", {"proof-password": PASSWORD},
                           page="/account")
        assert done.status_code == 303 and done.location.endswith("/account/two-step/app")
        assert client.get("/account/two-step/app").status_code == 200

"""A second factor, over HTTP, with the production policy (editors and admins must have one): an authenticator app
set up from a QR code or a typed key, asked for after the password, taken once per code and within one step of
drift; recovery codes; the rate limit on wrong codes; the desk closed to staff until they set one up; an admin's
reset; and the security emails each of these sends.

The clock is moved with time-machine; every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from tests.helpers import (
    PASSWORD,
    Client,
    composed,
    field_error,
    html_body,
    plain_body,
    redirect_path,
    second_step_code,
    signed_in,
    still_signed_in,
    text_of,
    url_of,
)
from workflow.core.models import utcnow
from workflow.extensions import db

SECRET_RE = re.compile(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>")
NEW_PASSWORD = "a brand new passphrase for the desk"


@pytest.fixture
def staff_must(app):
    """The production policy: editors and admins must have a second factor (the suite runs with none)."""
    saved = app.config["REQUIRE_SECOND_FACTOR"]
    app.config["REQUIRE_SECOND_FACTOR"] = "staff"
    yield
    app.config["REQUIRE_SECOND_FACTOR"] = saved




def code_at(secret: str, moment) -> str:
    return pyotp.TOTP(secret).at(moment)


def secret_on(response) -> str:
    match = SECRET_RE.search(response.get_data(as_text=True))
    assert match, f"no secret on the page: {text_of(response)[:400]}"
    return match.group(1).replace(" ", "")




def enrol_from_account(client: Client) -> tuple[str, list[str]]:
    """Set up an app from the account page, as a person would: read the key, type the app's code."""
    page = client.get("/account/two-step/app")
    assert page.status_code == 200
    secret = secret_on(page)
    response = client.post("/account/two-step/app", {"code": code_at(secret, utcnow())}, page="/account/two-step/app")
    assert response.status_code == 200, text_of(response)[:400]
    codes = CODES_RE.findall(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert response.headers["Cache-Control"] == "no-store"
    return secret, codes


def password_step(app, email: str, next_page: str | None = None) -> tuple[Client, object]:
    client = Client(app)
    url = "/login" + (f"?next={next_page}" if next_page else "")
    response = client.post(url, {"email": email, "password": PASSWORD}, page="/login")
    return client, response


def second_step(client: Client, code: str):
    return client.post("/login/verify", {"code": code}, page="/login/verify")


def sign_out(client: Client) -> None:
    assert client.post("/logout", page="/account").status_code == 303


def emails_to(app, address: str) -> list[str]:
    from workflow.notifications.models import Notification

    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(Notification.email == address)
                                  .order_by(Notification.id)).all()
        return [composed(row)["Subject"] for row in rows]


def enrolled_person(app, factory, role: str = "contributor"):
    """A person with an app set up: from the account page, or at sign-in where their role must have one."""
    person = factory.user(role)
    client, response = password_step(app, person.email)
    if redirect_path(response) == "/login/enrol":
        secret = secret_on(client.get("/login/enrol"))
        done = client.post("/login/enrol", {"code": code_at(secret, utcnow())}, page="/login/enrol")
        assert done.status_code == 200, text_of(done)[:300]
        codes = CODES_RE.findall(done.get_data(as_text=True))
    else:
        client.user_email = person.email
        secret, codes = enrol_from_account(client)
    sign_out(client)
    return person, secret, codes


# --- setting up the app ------------------------------------------------------------------------------------------

def test_a_contributor_sets_up_an_app_from_the_account_page(app, factory):
    person = factory.user("contributor")
    client = Client(app)
    assert client.login(person.email).status_code == 303
    account = text_of(client.get("/account"))
    assert "Two-step sign-in Off." in account and "Set up an authenticator app" in account

    page = client.get("/account/two-step/app")
    html = page.get_data(as_text=True)
    assert re.search(r'<img class="qr" src="data:image/svg\+xml;[^"]+" width="220" height="220" alt="[^"]+"', html)
    assert "<script" not in html.split("</main>")[0].split("<main")[1]  # no script: it works with JavaScript off
    secret = secret_on(page)
    uri = unescape(re.search(r'src="data:image/svg\+xml;([^"]+)"', html).group(1))
    assert person.email.split("@")[0] not in uri and "example.org" not in uri  # the QR names no address

    wrong = client.post("/account/two-step/app", {"code": "000000"}, page="/account/two-step/app")
    assert wrong.status_code == 422 and "That code is not right" in field_error(wrong, "code")
    assert secret_on(wrong) == secret, "the key shown stays the same after a wrong code (the app has it)"
    done = client.post("/account/two-step/app", {"code": code_at(secret, utcnow())}, page="/account/two-step/app")
    assert done.status_code == 200 and "The second step is on." in text_of(done)
    assert len(CODES_RE.findall(done.get_data(as_text=True))) == 10
    account = text_of(client.get("/account"))
    assert "Recovery codes Left: 10 of 10" in account and "Remove the authenticator app" in account
    assert "A second sign-in step was added to your account" in emails_to(app, person.email)


def test_the_app_counts_only_after_a_right_code(app, factory):
    person = factory.user("contributor")
    client = Client(app)
    client.login(person.email)
    client.get("/account/two-step/app")
    client.logout()
    other, response = password_step(app, person.email)
    assert redirect_path(response) == "/dashboard", "an app never confirmed asks for nothing"


def test_the_dashboard_suggests_a_second_step_once(app, factory):
    offer = "Protect your account with a second step"
    person = factory.user("contributor")
    client = Client(app)
    assert client.login(person.email).status_code == 303
    assert offer in text_of(client.get("/dashboard"))
    response = client.post("/account/two-step/not-now", page="/dashboard")
    page = text_of(client.get(response.location))
    assert offer not in page and "You can set up a second step at any time on your account page." in page
    assert offer not in text_of(client.get("/dashboard"))
    assert "Set up an authenticator app" in text_of(client.get("/account"))

    enrolled, _, _ = enrolled_person(app, factory)  # setting one up closes the offer too
    again = Client(app)
    again.post("/login", {"email": enrolled.email, "password": PASSWORD}, page="/login")
    assert redirect_path(again.post("/login/verify", {"code": second_step_code(app, enrolled.email)},
                              page="/login/verify")) == "/dashboard"
    assert offer not in text_of(again.get("/dashboard"))
    editor = signed_in(app, factory.user("editor").email)
    assert offer not in text_of(editor.get("/dashboard"))


# --- signing in with it -----------------------------------------------------------------------------------------

def test_sign_in_asks_for_the_code_after_the_password_and_no_page_opens_before(app, factory):
    person, secret, _ = enrolled_person(app, factory)
    client, response = password_step(app, person.email, next_page="/notifications")
    assert redirect_path(response) == "/login/verify"
    assert "Second step" in text_of(client.get("/login/verify"))
    assert not still_signed_in(client), "the password alone opened the account"
    assert redirect_path(client.get("/dashboard")) == "/login"

    response = second_step(client, second_step_code(app, person.email))
    assert redirect_path(response) == "/notifications"  # where they were going
    assert still_signed_in(client)


def test_a_code_is_taken_once(app, factory):
    person, secret, _ = enrolled_person(app, factory)
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        code = code_at(secret, utcnow())
        first, _ = password_step(app, person.email)
        assert redirect_path(second_step(first, code)) == "/dashboard"
        replay, _ = password_step(app, person.email)
        response = second_step(replay, code)
        assert response.status_code == 422 and "used already" in field_error(response, "code")
        assert not still_signed_in(replay)


def test_a_code_one_step_off_is_taken_and_two_steps_off_is_not(app, factory):
    person, secret, _ = enrolled_person(app, factory)
    start = utcnow() + timedelta(minutes=2)
    with time_machine.travel(start, tick=False):
        client, _ = password_step(app, person.email)
        response = second_step(client, code_at(secret, start - timedelta(seconds=60)))  # two steps behind
        assert response.status_code == 422
        assert redirect_path(second_step(client, code_at(secret, start - timedelta(seconds=30)))) == "/dashboard"
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        now = utcnow()
        client, _ = password_step(app, person.email)
        assert second_step(client, code_at(secret, now + timedelta(seconds=60))).status_code == 422  # two ahead
        assert redirect_path(second_step(client, code_at(secret, now + timedelta(seconds=30)))) == "/dashboard"


def test_the_sixth_wrong_code_in_a_minute_waits(app, factory):
    person, secret, _ = enrolled_person(app, factory)
    client, _ = password_step(app, person.email)
    statuses = [second_step(client, f"{n:06d}").status_code for n in range(5)]
    assert statuses == [422] * 5
    response = second_step(client, second_step_code(app, person.email))  # even the right one, now
    assert response.status_code == 429
    assert not still_signed_in(client)
    another, _ = password_step(app, person.email)  # the count is the account's, not the browser's
    assert second_step(another, "123456").status_code == 429


def test_the_second_step_waits_only_a_few_minutes_after_the_password(app, factory):
    person, secret, _ = enrolled_person(app, factory)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client, _ = password_step(app, person.email)
        token = client.csrf_token("/login/verify")  # the page was open; the person went away
        clock.shift(timedelta(minutes=6))
        response = client.post("/login/verify", {"code": code_at(secret, utcnow()), "csrf_token": token})
        assert redirect_path(response) == "/login"
        assert "Sign in again" in text_of(client.get("/login"))
        assert not still_signed_in(client)


def test_the_second_step_page_without_a_password_first_sends_to_sign_in(app, client):
    assert redirect_path(client.get("/login/verify")) == "/login"
    assert redirect_path(client.get("/login/enrol")) == "/login"


# --- recovery codes ------------------------------------------------------------------------------------------------

def test_a_recovery_code_works_once_and_the_person_is_told(app, factory):
    person, _, codes = enrolled_person(app, factory)
    client, _ = password_step(app, person.email)
    response = second_step(client, codes[3].upper().replace("-", " "))  # as copied from paper
    assert redirect_path(response) == "/dashboard"
    assert "You signed in with a recovery code; 9 left." in text_of(client.get("/dashboard"))
    assert "Recovery codes Left: 9 of 10" in text_of(client.get("/account"))
    assert "A recovery code was used to sign in to your account" in emails_to(app, person.email)
    again, _ = password_step(app, person.email)
    assert second_step(again, codes[3]).status_code == 422


def test_new_recovery_codes_void_the_old_ones(app, factory):
    person, _, old = enrolled_person(app, factory)
    client = Client(app)
    client.post("/login", {"email": person.email, "password": PASSWORD}, page="/login")
    assert redirect_path(second_step(client, old[0])) == "/dashboard"
    response = client.post("/account/two-step/recovery-codes", page="/account")
    assert response.status_code == 200 and "Your old codes no longer work." in text_of(response)
    new = CODES_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert "New recovery codes were made for your account" in emails_to(app, person.email)
    stale, _ = password_step(app, person.email)
    assert second_step(stale, old[1]).status_code == 422
    fresh, _ = password_step(app, person.email)
    assert redirect_path(second_step(fresh, new[0])) == "/dashboard"


# --- staff must have one ---------------------------------------------------------------------------------------------

def test_an_editor_without_a_factor_sets_one_up_before_any_desk_page(app, factory, staff_must):
    editor = factory.user("editor")
    client, response = password_step(app, editor.email)
    assert redirect_path(response) == "/login/enrol"
    assert redirect_path(client.get("/queue")) == "/login"
    page = client.get("/login/enrol")
    assert "Editors' and admins' accounts see every contributor's reporting" in text_of(page)
    secret = secret_on(page)
    done = client.post("/login/enrol", {"code": code_at(secret, utcnow())}, page="/login/enrol")
    assert done.status_code == 200 and len(CODES_RE.findall(done.get_data(as_text=True))) == 10
    assert 'href="/queue"' in done.get_data(as_text=True)  # "continue" leads to the desk
    assert client.get("/queue").status_code == 200
    sign_out(client)
    again, response = password_step(app, editor.email)
    assert redirect_path(response) == "/login/verify"


def test_a_staff_member_without_a_factor_reaches_no_page_an_anonymous_visitor_cannot(app, one_of_everything,
                                                                                    factory, staff_must):
    """Walk the URL map after the password of an editor with no factor: every page answers as to a visitor."""
    values, slugs, clients = one_of_everything
    editor = factory.user("editor")
    half, response = password_step(app, editor.email)
    assert redirect_path(response) == "/login/enrol"
    anonymous = Client(app)
    differences = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("second_factor.enrol",):
            continue
        url = url_of(app, rule, values, slugs)
        if rule.endpoint in ("auth.login", "auth.register", "articles.index"):
            continue  # pages for the signed-out: the same page, or a redirect home for the signed-in
        got, expected = half.get(url).status_code, anonymous.get(url).status_code
        if got != expected:
            differences.append(f"{url}: {got}, a visitor gets {expected}")
    assert not differences, "\n".join(differences)
    assert half.get("/login").status_code == 200  # and not sent "home" to a desk it may not see


def test_a_contributor_made_editor_sets_up_a_factor_at_the_next_sign_in(app, factory, staff_must):
    admin, secret, _ = enrolled_person(app, factory, "admin")
    person = factory.user("contributor")
    theirs = Client(app)
    assert theirs.login(person.email).status_code == 303
    desk, _ = password_step(app, admin.email)
    assert redirect_path(second_step(desk, second_step_code(app, admin.email))) == "/queue"
    desk.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
    assert not still_signed_in(theirs), "signed in as an editor without a second step"
    _, response = password_step(app, person.email)
    assert redirect_path(response) == "/login/enrol"


def test_staff_cannot_remove_their_only_factor_but_contributors_can(app, factory, staff_must):
    editor, secret, _ = enrolled_person(app, factory, "editor")
    client, _ = password_step(app, editor.email)
    assert redirect_path(second_step(client, second_step_code(app, editor.email))) == "/queue"
    assert "Remove the authenticator app" not in text_of(client.get("/account"))
    response = client.post("/account/two-step/app/remove", page="/account")
    assert "Your role needs a second step" in text_of(client.get(response.location))

    person, secret, _ = enrolled_person(app, factory)
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        client, _ = password_step(app, person.email)
        assert redirect_path(second_step(client, code_at(secret, utcnow()))) == "/dashboard"
        response = client.post("/account/two-step/app/remove", page="/account")
        assert "signing in asks for your password alone" in text_of(client.get(response.location))
        sign_out(client)
        _, response = password_step(app, person.email)
        assert redirect_path(response) == "/dashboard"
    assert "A second sign-in step was removed from your account" in emails_to(app, person.email)


# --- resets --------------------------------------------------------------------------------------------------------

def test_a_password_reset_does_not_skip_the_second_step(app, factory):
    from workflow.auth import services

    person, secret, _ = enrolled_person(app, factory)
    with app.app_context():
        token = services.reset_token(services.find_user_by_email(person.email))
    client = Client(app)
    response = client.post(f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                           page=f"/password/reset/{token}")
    assert redirect_path(response) == "/login"
    assert not still_signed_in(client)
    response = client.post("/login", {"email": person.email, "password": NEW_PASSWORD}, page="/login")
    assert redirect_path(response) == "/login/verify"
    assert not still_signed_in(client)


def test_an_admin_resets_a_lost_factor_and_the_person_sets_up_a_new_one(app, factory, staff_must):
    admin, admin_secret, _ = enrolled_person(app, factory, "admin")
    editor, secret, _ = enrolled_person(app, factory, "editor")
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        phone, _ = password_step(app, editor.email)
        assert redirect_path(second_step(phone, code_at(secret, utcnow()))) == "/queue"
        desk, _ = password_step(app, admin.email)
        assert redirect_path(second_step(desk, code_at(admin_secret, utcnow()))) == "/queue"
        assert "Authenticator app since" in text_of(desk.get(f"/admin/people/{editor.id}"))
        response = desk.post(f"/admin/people/{editor.id}/second-step/reset", page=f"/admin/people/{editor.id}")
        page = text_of(desk.get(response.location))
        assert "second step is reset and they are signed out everywhere" in page
        assert "None: they set one up at their next sign-in" in page
        assert not still_signed_in(phone)
        assert f"reset second factor user {editor.id}" in text_of(desk.get("/admin/log"))
        assert "A second sign-in step was removed from your account" in emails_to(app, editor.email)
        people = text_of(desk.get("/admin/people"))
        assert "None: needs one" in people
        _, response = password_step(app, editor.email)
        assert redirect_path(response) == "/login/enrol"


def test_only_an_admin_resets_a_factor(app, factory):
    person, _, _ = enrolled_person(app, factory)
    editor = signed_in(app, factory.user("editor").email)
    assert editor.post(f"/admin/people/{person.id}/second-step/reset", page="/account").status_code == 403
    _, response = password_step(app, person.email)
    assert redirect_path(response) == "/login/verify"


# --- the quick start's stand-in for a phone ----------------------------------------------------------------------

def test_the_development_command_prints_the_code_the_app_shows(app, factory):
    person, secret, _ = enrolled_person(app, factory, "editor")
    runner = app.test_cli_runner()
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=False):
        result = runner.invoke(args=["users", "code", person.email])
        assert result.exit_code == 0 and result.output.strip() == code_at(secret, utcnow())
        client, _ = password_step(app, person.email)
        assert redirect_path(second_step(client, result.output.strip())) == "/queue"
    saved = app.config["WORKFLOW_ENV"]
    app.config["WORKFLOW_ENV"] = "production"
    try:
        result = runner.invoke(args=["users", "code", person.email])
    finally:
        app.config["WORKFLOW_ENV"] = saved
    assert result.exit_code != 0 and "only works outside production" in result.output


# --- security keys, over HTTP (a key in software; tests/test_auth_security_keys.py drives a real browser) -----------

def post_json(client: Client, path: str, body: dict | None = None, page: str = "/account"):
    return client.http.post(path, json=body or {}, headers={"X-CSRFToken": client.csrf_token(page)})


def register_soft_key(client: Client, name: str, key=None):
    from tests.helpers import SoftKey

    key = key or SoftKey()
    assert client.get("/account/two-step/keys/new").status_code == 200
    options = post_json(client, "/account/two-step/keys/options")
    assert options.status_code == 200, options.get_data(as_text=True)
    response = post_json(client, "/account/two-step/keys", {"name": name, "credential": key.create(options.json)})
    return key, response


def sign_in_with_key(app, email: str, key):
    client, response = password_step(app, email)
    assert redirect_path(response) == "/login/verify"
    options = post_json(client, "/login/verify/key/options", page="/login/verify")
    assert options.status_code == 200, options.get_data(as_text=True)
    return client, post_json(client, "/login/verify/key", key.get(options.json), page="/login/verify")


def test_a_security_key_is_registered_under_its_name_and_signs_in(app, factory):
    person = factory.user("contributor")
    client = Client(app)
    assert client.login(person.email).status_code == 303
    key, response = register_soft_key(client, "Blue key")
    assert response.status_code == 200 and len(response.json["codes"]) == 10  # the first factor: codes once
    assert "Blue key" in text_of(client.get("/account"))
    assert "A second sign-in step was added to your account" in emails_to(app, person.email)
    second, response = register_soft_key(client, "Spare key")
    assert response.status_code == 200 and response.json["codes"] == []  # codes stand: not shown again
    sign_out(client)

    browser, response = sign_in_with_key(app, person.email, second)
    assert response.status_code == 200 and response.json["next"] == "/dashboard"
    assert still_signed_in(browser)
    page = text_of(browser.get("/account"))
    assert "Blue key" in page and "Spare key" in page and "last used just now" in page


def test_a_key_answer_for_another_origin_or_another_person_is_refused(app, factory):
    from tests.helpers import SoftKey

    person, stranger = factory.user("contributor"), factory.user("contributor")
    client = Client(app)
    client.login(person.email)
    key, _ = register_soft_key(client, "My key")
    sign_out(client)

    phished = SoftKey(origin="https://desk.example.net")  # the same key, used on a copy of the desk
    phished.private, phished.credential_id = key.private, key.credential_id
    browser, response = sign_in_with_key(app, person.email, phished)
    assert response.status_code == 422 and "could not be checked" in response.json["error"]
    assert not still_signed_in(browser)

    other = Client(app)
    other.login(stranger.email)
    theirs, _ = register_soft_key(other, "Their key")
    browser, response = sign_in_with_key(app, person.email, theirs)
    assert response.status_code == 422 and not still_signed_in(browser)

    browser, response = sign_in_with_key(app, person.email, key)
    assert response.status_code == 200 and still_signed_in(browser)


def test_keys_are_removed_but_staff_keep_a_second_step(app, factory):
    editor = factory.user("editor")
    client = Client(app)
    client.login(editor.email)
    register_soft_key(client, "Only key")
    key_id = re.search(r'/account/two-step/keys/(\d+)/remove', client.get("/account").get_data(as_text=True))[1]
    saved = app.config["REQUIRE_SECOND_FACTOR"]
    app.config["REQUIRE_SECOND_FACTOR"] = "staff"
    try:
        assert "Remove" not in text_of(client.get("/account")).split("Only key")[1].split("Recovery codes")[0]
        response = client.post(f"/account/two-step/keys/{key_id}/remove", page="/account")
        assert "add another key or an authenticator app" in text_of(client.get(response.location))
        register_soft_key(client, "Second key")
        response = client.post(f"/account/two-step/keys/{key_id}/remove", page="/account")
        page = text_of(client.get(response.location))
        assert "The security key “Only key” is removed." in page and "Second key" in page
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = saved


def test_the_email_about_a_removed_key_does_not_name_the_key(app, factory):
    """A key's name is something the person wrote: the security notice says "security key" and no more."""
    person = factory.user("contributor")
    client = Client(app)
    client.login(person.email)
    register_soft_key(client, "Canary Key Name Yb5")
    register_soft_key(client, "Spare key")
    key_id = re.search(r'/account/two-step/keys/(\d+)/remove', client.get("/account").get_data(as_text=True))[1]
    assert client.post(f"/account/two-step/keys/{key_id}/remove", page="/account").status_code == 303
    from workflow.notifications.models import Notification

    with app.app_context():
        row = db.session.scalars(sa.select(Notification).where(Notification.email == person.email,
                                                               Notification.event == "account.factor_removed")).one()
        message = composed(row)
    text = " ".join([message["Subject"], plain_body(message), html_body(message)])
    assert "A second sign-in step was removed from your account" == message["Subject"]
    assert "The security key was just removed" in plain_body(message)
    assert "Canary" not in text and "Yb5" not in text
    assert "/account/not-me/" in plain_body(message)

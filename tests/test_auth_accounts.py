"""Accounts over HTTP: registration, email confirmation, sign-in and sign-out, forgotten and changed passwords,
changed email addresses.

Most tests read the emails from the outbox, composed exactly as the worker composes them (tokens are made at
send time, so that is where a test can also make an old link). The few tests marked ``worker`` read what a
real Celery worker delivered to the SMTP server.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests.helpers import (
    GENERIC_SIGN_IN_ERROR,
    PASSWORD,
    REGISTRATION,
    Client,
    can_sign_in,
    error_summary,
    field_error,
    fields_with_errors,
    flashes,
    html_of,
    input_value,
    latest_link,
    link_in,
    links_signed_ago,
    outbox,
    plain_body,
    run_reset_requests,
    signed_in,
    still_signed_in,
    tampered,
    text_of,
)

NEW_PASSWORD = "a different long passphrase"

PITCH = {
    "headline": "The night bakers of the old city",
    "summary": "Bakers work through the curfew to keep bread on the shelves.",
    "angle": "Flour prices doubled this month.",
    "sources": "Three bakers, the millers' union.",
    "proposed_words": "1200",
    "proposed_deadline": "",
    "experience": "",
}


def register(client: Client, **fields):
    return client.post("/register", {**REGISTRATION, **fields}, page="/register")


# Registration ---------------------------------------------------------------------------------------------

def test_registration_sends_to_check_your_inbox_and_asks_for_confirmation(app, client):
    response = register(client)
    assert response.status_code == 303
    assert urlsplit(response.location).path == "/register/check-your-inbox"
    assert "Check your inbox" in text_of(client.get(response.location))

    confirmation = outbox(app, "rana.field@example.org", "Confirm your email address")
    assert len(confirmation) == 1
    assert "Dear Rana Field" in plain_body(confirmation[0])
    # A new account may sign in, but is asked to confirm first.
    reporter = signed_in(app, "rana.field@example.org")
    assert "Please confirm your email address" in text_of(reporter.get("/dashboard"))


@pytest.mark.parametrize(("typed", "errors"), [
    ({"email": ""}, {"email": "Enter your email address."}),
    ({"email": "rana.field-at-example.org"}, {"email": "Enter an email address like name@example.org."}),
    ({"display_name": "   "}, {"display_name": "Enter your name."}),
    ({"display_name": "R" * 121}, {"display_name": "At most 120 characters."}),
    ({"byline_name": ""}, {"byline_name": "Enter the name for your byline."}),
    ({"byline_name": "B" * 121}, {"byline_name": "At most 120 characters."}),
    ({"password": "", "confirm": ""}, {"password": "Choose a password.", "confirm": "Repeat the password."}),
    ({"password": "elevenchars", "confirm": "elevenchars"},
     {"password": "Use at least 12 characters (at most 200)."}),
    ({"confirm": PASSWORD + " but different"}, {"confirm": "The two passwords are not the same."}),
    ({"email": "", "display_name": "", "byline_name": "Pen Name"},
     {"email": "Enter your email address.", "display_name": "Enter your name."}),
], ids=lambda value: "-".join(value) if isinstance(value, dict) else None)
def test_registration_errors_appear_next_to_the_field_and_keep_what_was_typed(app, client, typed, errors):
    response = register(client, **typed)

    assert response.status_code == 422
    assert {field: field_error(response, field) for field in fields_with_errors(response)} == errors
    summary = error_summary(response)
    assert all(message in summary for message in errors.values())
    submitted = {**REGISTRATION, **typed}
    for name in ("email", "display_name", "byline_name"):
        assert input_value(response, name) == submitted[name]
    for name in ("password", "confirm"):
        assert not input_value(response, name), "a password was sent back in the page"
    assert PASSWORD not in html_of(response)
    assert not can_sign_in(app, REGISTRATION["email"], submitted["password"] or PASSWORD)


@pytest.mark.parametrize(("password", "accepted"), [
    ("tide-map-ow", False),
    ("tide-map-owl", True),
])
def test_password_needs_at_least_twelve_characters(app, client, password, accepted):
    response = register(client, password=password, confirm=password)
    assert response.status_code == (303 if accepted else 422)
    assert can_sign_in(app, REGISTRATION["email"], password) is accepted


@pytest.mark.parametrize("password", [
    "123qweasdzxc",  # in the list as it is
    "QwertyQwerty",  # a common one repeated (any case)
    "password2024!",  # a common one with digits and signs at the end
    "sunshine123456",
    "aaaaaaaaaaaaaa",  # one character over and over
])
def test_the_most_common_passwords_are_refused_with_a_reason(app, client, password):
    response = register(client, password=password, confirm=password)
    assert response.status_code == 422
    assert "This password is among the most common ones" in (field_error(response, "password") or "")
    assert input_value(response, "email") == REGISTRATION["email"]
    assert not can_sign_in(app, REGISTRATION["email"], password)


def test_a_common_password_is_refused_on_reset_change_and_the_command_line(app, factory):
    from workflow.auth import services
    from workflow.core.errors import DomainError

    person = factory.user("contributor")
    reporter = signed_in(app, person)
    response = reporter.post("/account/password", {
        "pw-current_password": PASSWORD, "pw-password": "letmein12345", "pw-confirm": "letmein12345"})
    assert response.status_code == 422
    assert "among the most common" in (field_error(response, "pw-password") or "")
    with app.app_context(), pytest.raises(DomainError, match="among the most common"):
        services.create_user("cli@example.org", "iloveyou2026", "From the shell")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "cli@example.org", "--name", "Shell",
                                                "--password", "football1234"])
    assert result.exit_code != 0 and "among the most common" in result.output


def test_the_registration_form_is_for_visitors_only(app, factory):
    contributor = factory.user("contributor")
    reporter = signed_in(app, contributor)
    response = reporter.get("/register")
    assert response.status_code == 302 and urlsplit(response.location).path == "/dashboard"


@pytest.mark.worker
def test_registering_an_existing_address_looks_the_same_and_emails_the_owner(app, clean_db, worker, mailbox,
                                                                              factory):
    owner = factory.user("contributor", email="owner@example.org", name="Olga Owner")
    visitor = Client(app)

    new_one = register(visitor, email="somebody.new@example.org")
    taken = register(visitor, email="Owner@Example.org", display_name="Someone Else",
                     password=NEW_PASSWORD, confirm=NEW_PASSWORD)

    assert (taken.status_code, taken.location) == (new_one.status_code, new_one.location)
    assert text_of(visitor.get(taken.location)) == text_of(visitor.get(new_one.location))

    notice = mailbox.wait_for_subject(owner.email, "About your Frontline Deeply account")
    assert "Dear Olga Owner" in plain_body(notice)
    assert "already have an account" in plain_body(notice)
    assert link_in(notice) == "/password/forgot"
    mailbox.wait_for_subject("somebody.new@example.org", "Confirm your email address")
    time.sleep(0.3)
    assert [m["Subject"] for m in mailbox.to(owner.email)] == [notice["Subject"]]
    # The owner's account is untouched: the old password works, the one typed by the visitor does not.
    assert can_sign_in(app, owner.email, PASSWORD)
    assert not can_sign_in(app, owner.email, NEW_PASSWORD)


# Email confirmation ---------------------------------------------------------------------------------------

def test_confirmation_link_shows_a_button_and_only_the_button_confirms(app, client):
    register(client)
    link = latest_link(app, REGISTRATION["email"], "Confirm your email address")
    reporter = signed_in(app, REGISTRATION["email"])

    page = reporter.get(link)
    assert page.status_code == 200
    assert "Confirm my email address" in text_of(page)
    reporter.get(link)  # a mail scanner following the link twice changes nothing either
    assert "Please confirm your email address" in text_of(reporter.get("/dashboard"))

    response = reporter.post(link, page=link)
    assert response.status_code == 303
    page = flashes(reporter, response)
    assert "your email address is confirmed" in page
    assert "Please confirm your email address" not in page
    assert "Send the link again" not in page


def test_confirming_while_signed_out_leads_to_sign_in(app, client):
    register(client)
    link = latest_link(app, REGISTRATION["email"], "Confirm your email address")

    response = client.post(link, page=link)
    assert response.status_code == 303 and urlsplit(response.location).path == "/login"
    assert "your email address is confirmed" in flashes(client, response)
    reporter = signed_in(app, REGISTRATION["email"])
    assert "Please confirm your email address" not in text_of(reporter.get("/dashboard"))


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("kind", "message"), [
    ("tampered", "This link is not valid"),
    ("garbage", "This link is not valid"),
    ("a reset link's token", "This link is not valid"),
    ("signed four days ago", "This link has expired"),
])
def test_a_bad_confirmation_link_says_what_is_wrong(app, client, method, kind, message):
    register(client)
    address = REGISTRATION["email"]
    if kind == "tampered":
        link = tampered(latest_link(app, address, "Confirm"))
    elif kind == "garbage":
        link = "/confirm/not-a-token-at-all"
    elif kind == "a reset link's token":
        client.post("/password/forgot", {"email": address}, page="/password/forgot")
        link = "/confirm/" + latest_link(app, address, "Reset your password").rsplit("/", 1)[1]
    else:
        with links_signed_ago(4 * 24 * 3600):  # the link works for three days
            link = latest_link(app, address, "Confirm")

    if method == "GET":
        response = client.get(link)
    else:
        response = client.post(link, page="/register")
    assert response.status_code == 400
    page = text_of(response)
    assert "This link does not work" in page and message in page
    assert "Confirm my email address" not in page
    reporter = signed_in(app, address)
    assert "Please confirm your email address" in text_of(reporter.get("/dashboard"))


def test_an_unconfirmed_contributor_cannot_pitch_and_is_offered_a_new_link(app, client):
    register(client)
    client.login(REGISTRATION["email"])

    form = client.get("/pitch")
    assert "Please confirm your email address" in text_of(form)
    response = client.post("/pitch", PITCH, page="/pitch")
    assert response.status_code == 422
    assert "Please confirm your email address before you pitch a story." in error_summary(response)
    assert input_value(response, "headline") == PITCH["headline"]

    dashboard = text_of(client.get("/dashboard"))
    assert PITCH["headline"] not in dashboard
    assert "Please confirm your email address" in dashboard and "Send the link again" in dashboard


def test_the_resend_button_sends_a_new_link_that_works(app, client):
    register(client)
    client.login(REGISTRATION["email"])

    response = client.post("/confirm/resend?next=/dashboard", page="/dashboard")
    assert response.status_code == 303 and response.location == "/dashboard"
    assert f"We sent a new confirmation link to {REGISTRATION['email']}" in flashes(client, response)
    assert len(outbox(app, REGISTRATION["email"], "Confirm your email address")) == 2

    link = latest_link(app, REGISTRATION["email"], "Confirm your email address")
    assert client.post(link, page=link).status_code == 303
    response = client.post("/confirm/resend?next=/dashboard", page="/account")
    assert "already confirmed" in flashes(client, response)
    assert len(outbox(app, REGISTRATION["email"], "Confirm your email address")) == 2


def test_once_confirmed_the_contributor_can_pitch(app, client):
    register(client)
    link = latest_link(app, REGISTRATION["email"], "Confirm your email address")
    client.post(link, page=link)
    client.login(REGISTRATION["email"])
    response = client.post("/pitch", PITCH, page="/pitch")
    assert response.status_code == 303
    assert PITCH["headline"] in text_of(client.get("/dashboard"))


# Sign in and sign out -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "home"), [
    ("contributor", "/dashboard"),
    ("editor", "/queue"),
    ("admin", "/queue"),
])
def test_signing_in_leads_each_role_to_its_desk(app, client, factory, role, home):
    person = factory.user(role)
    response = client.login(person.email)
    assert response.status_code == 303 and response.location == home
    assert client.get(home).status_code == 200


@pytest.mark.parametrize("typed", ["Mixed.Case@EXAMPLE.org", " mixed.case@example.org ", "mixed.case@example.org\t"])
def test_the_address_is_read_the_way_a_person_means_it_at_sign_in(app, client, factory, typed):
    factory.user("contributor", email="mixed.case@example.org")
    assert client.login(typed).status_code == 303


def test_spaces_pasted_around_the_address_do_not_stop_a_registration(app, client):
    response = register(client, email="  Rana.Field@Example.org ")
    assert response.status_code == 303
    assert outbox(app, "rana.field@example.org", "Confirm your email address")
    assert can_sign_in(app, "rana.field@example.org")


@pytest.mark.parametrize("case", ["wrong password", "unknown address", "disabled account"])
def test_a_failed_sign_in_never_says_which_part_was_wrong(app, client, factory, case):
    person = factory.user("contributor", email="known@example.org")
    email, password = person.email, PASSWORD
    if case == "wrong password":
        password = "not the right password"
    elif case == "unknown address":
        email = "unknown@example.org"
    else:
        admin = signed_in(app, factory.user("admin").email)
        assert admin.post(f"/admin/people/{person.id}/disable",
                          page=f"/admin/people/{person.id}").status_code == 303

    response = client.login(email, password)
    assert response.status_code == 422
    assert error_summary(response) == f"There is a problem {GENERIC_SIGN_IN_ERROR}"
    assert input_value(response, "email") == email
    assert not input_value(response, "password")
    assert not still_signed_in(client)


def test_sign_in_form_errors_are_next_to_the_fields(client):
    response = client.post("/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert field_error(response, "email") == "Enter your email address."
    assert field_error(response, "password") == "Enter your password."


def test_sign_out_is_a_post_only(app, factory):
    person = factory.user("contributor")
    reporter = signed_in(app, person)

    assert reporter.get("/logout").status_code == 405
    assert still_signed_in(reporter)
    # A form from another site (no CSRF token) cannot sign anyone out.
    assert reporter.post("/logout", csrf=False).status_code == 400
    assert still_signed_in(reporter)

    response = reporter.logout()
    assert response.status_code == 303 and response.location == "/login"
    assert "You are signed out." in flashes(reporter, response)
    assert not still_signed_in(reporter)


def test_a_protected_page_sends_visitors_to_sign_in_and_back(app, client, factory):
    person = factory.user("contributor")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Faccount"

    login_page = response.location
    response = client.post(login_page, {"email": person.email, "password": PASSWORD}, page=login_page)
    assert response.status_code == 303 and response.location == "/account"


@pytest.mark.parametrize(("next_page", "lands_on"), [
    ("/account", "/account"),
    ("/submissions/1?tab=messages", "/submissions/1?tab=messages"),
    ("//evil.example", "/dashboard"),
    ("https://evil.example", "/dashboard"),
    ("https://evil.example/account", "/dashboard"),
    ("/\\evil.example", "/dashboard"),
    ("\\\\evil.example", "/dashboard"),
    ("javascript:alert(1)", "/dashboard"),
    ("evil.example", "/dashboard"),
    ("/\t/evil.example", "/dashboard"),
])
def test_next_only_leads_to_a_page_of_this_site(app, client, factory, next_page, lands_on):
    person = factory.user("contributor")
    response = client.get("/login", query_string={"next": next_page})
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', html_of(response)).group(1))

    response = client.post(action, {"email": person.email, "password": PASSWORD}, page="/login")
    assert response.status_code == 303
    assert response.location == lands_on


def test_keep_me_signed_in_survives_closing_the_browser(app, factory):
    person = factory.user("contributor")

    plain = Client(app)
    plain.login(person.email, remember=False)
    assert plain.http.get_cookie("remember_token") is None

    remembering = Client(app)
    remembering.login(person.email, remember=True)
    cookie = remembering.http.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert cookie.expires - datetime.now(UTC) > timedelta(days=25)

    # A new browser session: the session cookie is gone, the remember cookie is not.
    reopened = Client(app)
    reopened.http.set_cookie("remember_token", cookie.value)
    assert still_signed_in(reopened)

    # Signing out forgets the device.
    remembering.logout()
    assert remembering.http.get_cookie("remember_token") is None


# Forgotten password ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["no account", "disabled account"])
def test_forgot_password_answers_the_same_whether_or_not_the_address_has_an_account(app, client, factory, case):
    factory.user("contributor", email="known@example.org")
    other = factory.user("contributor", email="other@example.org")
    if case == "disabled account":
        admin = signed_in(app, factory.user("admin").email)
        admin.post(f"/admin/people/{other.id}/disable", page=f"/admin/people/{other.id}")
        asked = other.email
    else:
        asked = "nobody@example.org"

    known = client.post("/password/forgot", {"email": "known@example.org"}, page="/password/forgot")
    unknown = client.post("/password/forgot", {"email": asked}, page="/password/forgot")

    assert known.status_code == unknown.status_code == 200
    assert text_of(known).replace("known@example.org", "ADDRESS") == text_of(unknown).replace(asked, "ADDRESS")
    run_reset_requests(app)
    assert len(outbox(app, "known@example.org", "Reset your password")) == 1
    assert outbox(app, asked) == []


def test_forgot_password_does_the_same_work_for_a_known_and_an_unknown_address(app, client, factory, count_queries):
    """Response times must not tell whether an address has an account: both requests run the same statements
    and hand the same task to the workers; the worker does the looking up (bench/reset_timing.py times both)."""
    from celery.signals import before_task_publish

    factory.user("contributor", email="known@example.org")
    token = client.csrf_token("/password/forgot")
    published: list[tuple[str, int]] = []

    def note(sender=None, body=None, **_):
        published.append((sender, len(body[0])))

    before_task_publish.connect(note)
    try:
        work = {}
        for address in ("known@example.org", "nobody@example.org"):
            with count_queries() as counter:
                response = client.post("/password/forgot", {"email": address, "csrf_token": token})
            assert response.status_code == 200
            work[address] = ([re.sub(r"\s+", " ", s) for s in counter.statements], list(published))
            published.clear()
    finally:
        before_task_publish.disconnect(note)
    assert work["known@example.org"] == work["nobody@example.org"]
    statements, tasks = work["known@example.org"]
    assert tasks == [("auth.send_password_reset", 1)]
    assert not any("FROM users" in s for s in statements), "the request looked the address up itself"
    run_reset_requests(app)
    assert len(outbox(app, "known@example.org", "Reset your password")) == 1


def test_forgot_password_checks_the_address_is_an_address(client):
    response = client.post("/password/forgot", {"email": "nope"}, page="/password/forgot")
    assert response.status_code == 422
    assert field_error(response, "email") == "Enter an email address like name@example.org."
    assert input_value(response, "email") == "nope"


@pytest.mark.worker
def test_the_reset_link_works_once_and_signs_out_every_session(app, clean_db, worker, mailbox, factory):
    person = factory.user("contributor", email="forgetful@example.org")
    other_device = signed_in(app, person)
    visitor = Client(app)

    response = visitor.post("/password/forgot", {"email": person.email}, page="/password/forgot")
    assert "If forgetful@example.org belongs to an account" in text_of(response)
    link = link_in(mailbox.wait_for_subject(person.email, "Reset your password"))

    assert "Choose a new password" in text_of(visitor.get(link))
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=link)
    assert response.status_code == 303 and response.location == "/login"
    assert "Your password is changed" in flashes(visitor, response)

    assert can_sign_in(app, person.email, NEW_PASSWORD)
    assert not can_sign_in(app, person.email, PASSWORD)
    assert not still_signed_in(other_device)
    mailbox.wait_for_subject(person.email, "Your password was changed")

    # Used once: the same link no longer works, for reading or for writing.
    used = visitor.get(link)
    assert used.status_code == 400 and "already been used" in text_of(used)
    assert "Ask for a new reset link" in text_of(used)
    response = visitor.post(link, {"password": "yet another long passphrase",
                                   "confirm": "yet another long passphrase"}, page="/password/forgot")
    assert response.status_code == 400
    assert can_sign_in(app, person.email, NEW_PASSWORD)


def test_the_reset_form_checks_the_new_password(app, client, factory):
    person = factory.user("contributor")
    client.post("/password/forgot", {"email": person.email}, page="/password/forgot")
    link = latest_link(app, person.email, "Reset your password")

    response = client.post(link, {"password": "too short", "confirm": "too short"}, page=link)
    assert response.status_code == 422
    assert "Use at least 12 characters" in field_error(response, "password")
    response = client.post(link, {"password": NEW_PASSWORD, "confirm": PASSWORD}, page=link)
    assert field_error(response, "confirm") == "The two passwords are not the same."
    assert can_sign_in(app, person.email, PASSWORD)


def test_an_old_reset_link_has_expired(app, client, factory):
    person = factory.user("contributor")
    client.post("/password/forgot", {"email": person.email}, page="/password/forgot")
    with links_signed_ago(3 * 3600):  # reset links work for two hours
        link = latest_link(app, person.email, "Reset your password")

    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in text_of(response)
    assert "Ask for a new reset link" in text_of(response)


def test_a_reset_link_confirms_the_address_it_was_sent_to(app, client):
    register(client)
    client.post("/password/forgot", {"email": REGISTRATION["email"]}, page="/password/forgot")
    link = latest_link(app, REGISTRATION["email"], "Reset your password")
    client.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=link)

    reporter = signed_in(app, REGISTRATION["email"], NEW_PASSWORD)
    assert "Please confirm your email address" not in text_of(reporter.get("/dashboard"))


# Account page: names, password, email address -------------------------------------------------------------

def test_names_can_be_changed_on_the_account_page(app, factory):
    person = factory.user("contributor", name="Old Name")
    reporter = signed_in(app, person)

    response = reporter.post("/account/profile", {"display_name": "New Name", "byline_name": "N. Name"})
    assert "Your names and public page are saved." in flashes(reporter, response)
    page = reporter.get("/account")
    assert input_value(page, "display_name") == "New Name"
    assert input_value(page, "byline_name") == "N. Name"

    response = reporter.post("/account/profile", {"display_name": "", "byline_name": "N. Name"})
    assert response.status_code == 422
    assert field_error(response, "display_name") == "Enter your name."


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"pw-current_password": "not my password"}, "pw-current_password", "That is not your current password."),
    ({"pw-current_password": ""}, "pw-current_password", "Enter your current password."),
    ({"pw-password": "short", "pw-confirm": "short"}, "pw-password", "Use at least 12 characters"),
    ({"pw-confirm": "something else entirely"}, "pw-confirm", "The two passwords are not the same."),
])
def test_a_refused_password_change_says_why_next_to_the_field(app, factory, typed, field, message):
    person = factory.user("contributor")
    reporter = signed_in(app, person)

    response = reporter.post("/account/password", {
        "pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD, **typed})
    assert response.status_code == 422
    assert message in (field_error(response, field) or "")
    assert fields_with_errors(response) == {field}
    assert still_signed_in(reporter)
    assert can_sign_in(app, person.email, PASSWORD)


def test_changing_the_password_signs_out_other_devices_but_not_this_one(app, factory):
    person = factory.user("contributor")
    laptop = signed_in(app, person)
    phone = signed_in(app, person)

    response = laptop.post("/account/password", {
        "pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert "1 other device is signed out; this one stays signed in." in flashes(laptop, response)

    assert not still_signed_in(phone)
    assert still_signed_in(laptop)
    assert laptop.get("/dashboard").status_code == 200
    assert can_sign_in(app, person.email, NEW_PASSWORD)
    assert not can_sign_in(app, person.email, PASSWORD)
    assert len(outbox(app, person.email, "Your password was changed")) == 1


def test_changing_the_password_keeps_this_device_remembered(app, factory):
    person = factory.user("contributor")
    laptop = Client(app)
    laptop.login(person.email, remember=True)

    laptop.post("/account/password", {
        "pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})

    reopened = Client(app)  # the browser was closed: only the remember cookie is left
    reopened.http.set_cookie("remember_token", laptop.http.get_cookie("remember_token").value)
    assert still_signed_in(reopened)


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"em-password": "not my password"}, "em-password", "That is not your current password."),
    ({"em-password": ""}, "em-password", "Enter your current password."),
    ({"em-email": "not an address"}, "em-email", "Enter an email address like name@example.org."),
    ({"em-email": "Me@Example.org"}, "em-email", "This is already your email address."),
])
def test_a_refused_email_change_says_why_next_to_the_field(app, factory, typed, field, message):
    person = factory.user("contributor", email="me@example.org")
    reporter = signed_in(app, person)

    response = reporter.post("/account/email", {"em-email": "new@example.org", "em-password": PASSWORD, **typed})
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert input_value(response, "em-email") == typed.get("em-email", "new@example.org")
    assert outbox(app, "new@example.org") == []
    assert "waiting for you to confirm" not in text_of(reporter.get("/account"))


def test_asking_for_an_address_that_is_taken_reveals_nothing_and_sends_nothing(app, factory):
    person = factory.user("contributor")
    taken = factory.user("contributor", email="taken@example.org")
    reporter = signed_in(app, person)

    response = reporter.post("/account/email", {"em-email": taken.email, "em-password": PASSWORD})
    assert response.status_code == 303
    assert "We sent a confirmation link to taken@example.org" in flashes(reporter, response)
    assert outbox(app, taken.email) == []
    assert can_sign_in(app, person.email)


@pytest.mark.worker
def test_a_new_email_address_is_confirmed_from_the_new_inbox(app, clean_db, worker, mailbox, factory):
    person = factory.user("contributor", email="old.address@example.org", name="Mira Moved")
    reporter = signed_in(app, person)

    response = reporter.post("/account/email", {"em-email": "New.Address@Example.org", "em-password": PASSWORD})
    assert response.status_code == 303
    assert "We sent a confirmation link to new.address@example.org" in flashes(reporter, response)
    assert "waiting for you to confirm new.address@example.org" in text_of(reporter.get("/account"))

    confirmation = mailbox.wait_for_subject("new.address@example.org", "Confirm your new email address")
    # Until the link is opened, the old address is still the one that signs in.
    assert can_sign_in(app, "old.address@example.org")
    link = link_in(confirmation)
    assert "Confirm my email address" in text_of(reporter.get(link))
    response = reporter.post(link, page=link)
    assert response.status_code == 303

    notice = mailbox.wait_for_subject("old.address@example.org", "Your email address was changed")
    assert "Dear Mira Moved" in plain_body(notice)
    assert "new.address@example.org" in plain_body(notice)
    assert can_sign_in(app, "new.address@example.org")
    assert not can_sign_in(app, "old.address@example.org")
    assert "new.address@example.org" in text_of(reporter.get("/account"))

    # The link did its work; opening it again changes nothing and breaks nothing.
    reporter.post(link, page=link)
    assert can_sign_in(app, "new.address@example.org")
    assert len([m for m in mailbox.to("old.address@example.org") if "was changed" in m["Subject"]]) == 1


def test_an_address_taken_before_the_link_is_opened_cannot_be_confirmed(app, client, factory):
    person = factory.user("contributor", email="me@example.org")
    reporter = signed_in(app, person)
    reporter.post("/account/email", {"em-email": "wanted@example.org", "em-password": PASSWORD})
    link = latest_link(app, "wanted@example.org", "Confirm your new email address")
    factory.user("contributor", email="wanted@example.org")

    response = reporter.post(link, page="/account")
    assert response.status_code == 400
    assert "Another account uses this address now" in text_of(response)
    assert can_sign_in(app, "me@example.org")


def test_an_older_email_change_link_stops_working_after_a_newer_request(app, factory):
    person = factory.user("contributor", email="me@example.org")
    reporter = signed_in(app, person)
    reporter.post("/account/email", {"em-email": "first@example.org", "em-password": PASSWORD})
    first_link = latest_link(app, "first@example.org", "Confirm your new email address")
    reporter.post("/account/email", {"em-email": "second@example.org", "em-password": PASSWORD})

    response = reporter.post(first_link, page=first_link)
    assert response.status_code == 400
    assert "no longer on your account" in text_of(response)
    assert can_sign_in(app, "me@example.org")
    assert not can_sign_in(app, "first@example.org")

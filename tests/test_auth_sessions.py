"""Sessions held by the server, over HTTP: a copied cookie stops working at sign-out, each browser is listed on the
devices page and can be ended there, an admin can end them all, sessions expire when idle and after a fixed life
(sooner for staff), and nothing about a session names where the person was (no IP address).

The clock is moved with time-machine; every database test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from flask.sessions import SecureCookieSessionInterface

from tests.helpers import PASSWORD, Client, cookie_copy, still_signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Version/17.5 Mobile/15E148 Safari/604.1")
CHROME_ON_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/126.0.0.0 Mobile Safari/537.36")


def browser(app, user_agent: str | None = None) -> Client:
    client = Client(app)
    if user_agent:
        client.http.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def sign_in(app, email: str, user_agent: str | None = None, remember: bool = False) -> Client:
    client = browser(app, user_agent)
    response = client.login(email, remember=remember)
    assert response.status_code == 303, f"sign-in of {email} failed: {response.status_code} {text_of(response)[:300]}"
    assert still_signed_in(client), "signed in, yet the account page sends to sign-in"
    return client






def after_redirect(client: Client, response) -> str:
    assert response.status_code in (302, 303), (response.status_code, text_of(response)[:300])
    return text_of(client.get(response.location))


def devices_listed(client: Client) -> list[str]:
    """The devices page as a person reads it: one line per device (its name, and "This device" on one)."""
    response = client.get("/account/devices")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", name)).strip()
            for name in re.findall(r'<h2 class="device__name"[^>]*>(.*?)</h2>', html, re.S)]


def end_button(client: Client, device: str) -> str:
    """The address of the button that ends the listed device named ``device``."""
    html = client.get("/account/devices").get_data(as_text=True)
    for item in re.findall(r'<li class="card device">.*?</li>', html, re.S):
        if device in item:
            return re.search(r'action="(/account/devices/\d+/end)"', item).group(1)
    raise AssertionError(f"no device {device!r} listed")


# --- signing out ends the session everywhere ---------------------------------------------------------------------

def test_a_session_cookie_copied_before_sign_out_is_refused_right_after_it(app, factory):
    person = factory.user("contributor")
    laptop = sign_in(app, person.email)
    thief = cookie_copy(app, laptop, "session")
    assert still_signed_in(thief, "/dashboard"), "the copy works while the session lives (else the test proves nothing)"

    assert laptop.logout().status_code == 303

    assert not still_signed_in(laptop, "/dashboard")
    assert not still_signed_in(thief, "/dashboard")


def test_a_remember_cookie_copied_before_sign_out_is_refused_right_after_it(app, factory):
    person = factory.user("editor")
    laptop = sign_in(app, person.email, remember=True)
    thief = cookie_copy(app, laptop, "remember_token")
    assert still_signed_in(thief, "/queue"), "a remember cookie alone opens the desk (a closed and reopened browser)"
    thief = cookie_copy(app, laptop, "remember_token")  # a fresh copy: only the remember cookie

    assert laptop.logout().status_code == 303

    assert not still_signed_in(thief, "/queue")


def test_signing_out_ends_only_that_browser(app, factory):
    person = factory.user("contributor")
    laptop, phone = sign_in(app, person.email), sign_in(app, person.email, SAFARI_ON_IPHONE)
    laptop.logout()
    assert still_signed_in(phone)


# --- the devices page ----------------------------------------------------------------------------------------------

def test_the_devices_page_lists_each_browser_by_name_and_marks_this_one(app, factory):
    person = factory.user("contributor")
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    sign_in(app, person.email, SAFARI_ON_IPHONE, remember=True)
    sign_in(app, person.email)  # the test client sends no browser's name

    listed = devices_listed(laptop)
    assert sorted(listed) == sorted(["Firefox on Windows This device", "Mobile Safari on iOS",
                                     "An unknown browser"])
    page = text_of(laptop.get("/account/devices"))
    assert "Kept signed in Yes" in page and "Kept signed in No: until the browser closes" in page
    assert "Sign out every other device" in page
    assert "Signed-in devices" in text_of(laptop.get("/account"))  # the account page links to it


def test_ending_one_device_signs_that_browser_out_at_its_next_request(app, factory):
    person = factory.user("contributor")
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    phone = sign_in(app, person.email, SAFARI_ON_IPHONE, remember=True)
    phone_again = cookie_copy(app, phone, "remember_token")

    response = laptop.post(end_button(laptop, "Mobile Safari on iOS"), page="/account/devices")
    assert "That device is signed out." in after_redirect(laptop, response)

    assert not still_signed_in(phone)
    assert not still_signed_in(phone_again)  # its remember cookie too
    assert still_signed_in(laptop)
    assert devices_listed(laptop) == ["Firefox on Windows This device"]


def test_ending_all_others_keeps_this_one(app, factory):
    person = factory.user("editor")
    desk = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    others = [sign_in(app, person.email, SAFARI_ON_IPHONE), sign_in(app, person.email, CHROME_ON_ANDROID, True)]

    response = desk.post("/account/devices/end-others", page="/account/devices")
    assert "2 other devices are signed out; this one stays signed in." in after_redirect(desk, response)

    assert [still_signed_in(other) for other in others] == [False, False]
    assert still_signed_in(desk, "/queue")
    assert devices_listed(desk) == ["Firefox on Windows This device"]
    assert "Sign out every other device" not in text_of(desk.get("/account/devices"))


def test_ending_this_device_from_the_list_signs_out(app, factory):
    person = factory.user("contributor")
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    response = laptop.post(end_button(laptop, "This device"), page="/account/devices")
    assert urlsplit(response.location).path == "/login"
    assert not still_signed_in(laptop)


def test_nobody_can_end_someone_elses_session(app, factory):
    victim, other = factory.user("contributor"), factory.user("contributor")
    victims_laptop = sign_in(app, victim.email, FIREFOX_ON_WINDOWS)
    theirs = end_button(victims_laptop, "This device")
    intruder = sign_in(app, other.email)

    assert intruder.post(theirs, page="/account/devices").status_code == 404
    assert still_signed_in(victims_laptop)


def test_a_password_change_ends_the_other_sessions_and_says_so(app, factory):
    person = factory.user("contributor")
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS, remember=True)
    phone = sign_in(app, person.email, SAFARI_ON_IPHONE, remember=True)
    new = "another long passphrase for the desk"
    response = laptop.post("/account/password", {"pw-current_password": PASSWORD, "pw-password": new,
                                                 "pw-confirm": new})
    assert "1 other device is signed out; this one stays signed in." in after_redirect(laptop, response)
    assert not still_signed_in(phone)
    assert still_signed_in(cookie_copy(app, laptop, "remember_token"))  # this device stays remembered
    assert devices_listed(laptop) == ["Firefox on Windows This device"]


# --- an admin ends someone's sessions ------------------------------------------------------------------------------

def test_an_admin_signs_someone_out_everywhere_and_the_log_says_so(app, factory):
    admin = factory.user("admin")
    person = factory.user("editor", name="Lost Phone")
    devices = [sign_in(app, person.email, SAFARI_ON_IPHONE, remember=True), sign_in(app, person.email)]
    desk = sign_in(app, admin.email)
    assert "Signed in on 2 devices" in text_of(desk.get(f"/admin/people/{person.id}"))

    response = desk.post(f"/admin/people/{person.id}/sessions/end", page=f"/admin/people/{person.id}")
    page = after_redirect(desk, response)
    assert "Lost Phone is signed out everywhere (2 devices)." in page
    assert "Signed in on 0 devices" in page

    assert [still_signed_in(device) for device in devices] == [False, False]
    log = text_of(desk.get("/admin/log"))
    assert f"end sessions user {person.id} 2 ended" in log
    assert sign_in(app, person.email)  # the password still works: they sign in again


def test_only_an_admin_may_end_someone_elses_sessions(app, factory):
    person = factory.user("contributor")
    theirs = sign_in(app, person.email)
    editor = sign_in(app, factory.user("editor").email)
    assert editor.post(f"/admin/people/{person.id}/sessions/end", page="/account").status_code == 403
    assert still_signed_in(theirs)


# --- lifetimes -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "remember", "idle"), [
    ("contributor", False, timedelta(hours=3)),
    ("editor", False, timedelta(hours=1)),
    ("admin", False, timedelta(hours=1)),
    ("contributor", True, timedelta(days=14)),
    ("editor", True, timedelta(days=3)),
])
def test_a_session_ends_after_its_idle_time_without_a_request(app, factory, role, remember, idle):
    person = factory.user(role)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email, remember=remember)
        clock.shift(idle - timedelta(minutes=2))
        assert still_signed_in(client), "still within the idle time"
        clock.shift(idle - timedelta(minutes=2))  # active again: the idle time counts from the last request
        assert still_signed_in(client), "the last request kept it alive"
        clock.shift(idle + timedelta(minutes=1))
        assert not still_signed_in(client), f"a {role}'s session outlived its idle time of {idle}"


@pytest.mark.parametrize(("role", "remember", "life", "step"), [
    ("contributor", False, timedelta(hours=24), timedelta(hours=2)),
    ("editor", False, timedelta(hours=12), timedelta(minutes=50)),
    ("contributor", True, timedelta(days=30), timedelta(days=5)),
    ("editor", True, timedelta(days=7), timedelta(days=1)),
])
def test_a_session_ends_after_its_whole_life_however_busy(app, factory, role, remember, life, step):
    person = factory.user(role)
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email, remember=remember)
        started = utcnow()
        while utcnow() + step < started + life:
            clock.shift(step)
            assert still_signed_in(client), f"busy, {utcnow() - started} after sign-in"
        clock.shift(started + life + timedelta(minutes=1) - utcnow())
        assert not still_signed_in(client), f"a {role}'s session outlived its life of {life}"


def test_a_contributor_made_staff_gets_staff_s_shorter_idle_time_at_once(app, factory):
    person = factory.user("contributor")
    admin = factory.user("admin")
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email)
        desk = sign_in(app, admin.email)
        desk.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
        clock.shift(timedelta(minutes=61))
        assert not still_signed_in(client)


def test_last_seen_is_kept_to_the_minute_and_a_page_view_within_it_writes_nothing(app, factory, count_queries):
    from workflow.auth.models import UserSession

    person = factory.user("contributor")
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = sign_in(app, person.email)
        with app.app_context():
            signed_at = db.session.scalar(sa.select(UserSession.last_seen_at))
        clock.shift(timedelta(seconds=50))
        with count_queries() as within_a_minute:
            assert client.get("/dashboard").status_code == 200
        clock.shift(timedelta(seconds=20))
        with count_queries() as after_a_minute:
            assert client.get("/dashboard").status_code == 200
        with app.app_context():
            seen = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert not [s for s in within_a_minute.statements if s.lstrip().upper().startswith("UPDATE")]
    assert [s for s in after_a_minute.statements if s.lstrip().upper().startswith("UPDATE")]
    assert seen - signed_at == timedelta(seconds=70)
    page = text_of(client.get("/account/devices"))
    assert "Last seen Now" in page


def test_expired_sessions_are_forgotten_by_the_hourly_task(app, factory):
    from workflow.auth.models import UserSession
    from workflow.auth.tasks import forget_expired_sessions

    old, fresh = factory.user("contributor"), factory.user("editor")
    with time_machine.travel(utcnow() - timedelta(days=31), tick=False):
        sign_in(app, old.email, remember=True)
    sign_in(app, fresh.email)
    assert forget_expired_sessions.apply().get() == 1
    with app.app_context():
        assert db.session.scalars(sa.select(UserSession.user_id)).all() == [fresh.id]


# --- what a session keeps -----------------------------------------------------------------------------------------

def test_a_session_keeps_no_address_and_only_the_hash_of_its_key(app, factory):
    """SAFETY.md: no IP address is written to a database row; a copy of the database signs nobody in."""
    person = factory.user("contributor")
    client = Client(app)
    client.http.environ_base.update({"REMOTE_ADDR": "203.0.113.77", "HTTP_X_FORWARDED_FOR": "198.51.100.23",
                                     "HTTP_USER_AGENT": FIREFOX_ON_WINDOWS})
    assert client.login(person.email, remember=True).status_code == 303
    client.get("/dashboard")
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    key = serializer.loads(client.http.get_cookie("session").value)["_user_id"]
    with app.app_context():
        dump = "\n".join(repr(tuple(row)) for table in db.metadata.sorted_tables
                         for row in db.session.execute(sa.select(table)))
    assert "203.0.113.77" not in dump and "198.51.100.23" not in dump
    assert key not in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump
    assert "'Firefox'" in dump and "'Windows'" in dump  # the browser and the system, worded when shown

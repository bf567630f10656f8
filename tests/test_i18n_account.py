"""A person's language and time zone: asked at registration, changed on the account page, refused when the desk
does not know them; and times shown in the person's zone, on either side of a change of clocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from tests.helpers import (
    PASSWORD,
    REGISTRATION,
    Client,
    error_summary,
    field_error,
    html_of,
    input_value,
    link_in,
    outbox,
    page_language,
    redirect_path,
    signed_in,
    text_of,
)
from workflow.auth import services
from workflow.extensions import db
from workflow.people.models import Role, User


def select_of(response, name: str) -> str:
    match = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', html_of(response), re.S)
    assert match, f"no select named {name}"
    return match.group(1)


def selected(response, name: str) -> list[str]:
    """The values a select shows as chosen."""
    return [re.search(r'\bvalue="([^"]*)"', option).group(1)
            for option in re.findall(r"<option\b[^>]*>", select_of(response, name))
            if re.search(r"\sselected\b", option)]


def options(response, name: str) -> list[str]:
    return re.findall(r'<option\b[^>]*\bvalue="([^"]*)"', select_of(response, name))


def stored(app, email: str) -> tuple[str | None, str | None]:
    with app.app_context():
        person = db.session.scalar(sa.select(User).where(User.email == email))
        assert person is not None, f"no account for {email}"
        return person.locale, person.time_zone


def register(client: Client, **fields):
    return client.post("/register", {**REGISTRATION, **fields}, page="/register")


def confirm(app, email: str) -> None:
    """Open the link of the confirmation email and press its button, in a browser of its own."""
    messages = outbox(app, email)
    assert len(messages) == 1, [m["Subject"] for m in messages]
    path = link_in(messages[0])
    browser = Client(app)
    assert browser.get(path).status_code == 200
    assert browser.post(path, page=path).status_code == 303


# Registration ---------------------------------------------------------------------------------------------

def test_the_registration_form_offers_each_language_in_itself_and_the_desks_zone(client):
    page = client.get("/register", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert options(page, "locale") == ["en", "ar"]
    assert selected(page, "locale") == ["en"]
    arabic = re.search(r'<option\b[^>]*\bvalue="ar"[^>]*>', select_of(page, "locale")).group(0)
    assert 'lang="ar"' in arabic  # a screen reader reads its name in Arabic
    assert "English" in select_of(page, "locale") and "العربية" in select_of(page, "locale")
    assert selected(page, "time_zone") == ["UTC"]  # the desk's zone (TIME_ZONE) in the tests' configuration
    assert {"UTC", "Europe/London", "Asia/Beirut"} <= set(options(page, "time_zone"))


def test_registering_in_arabic_keeps_arabic_after_confirming(app, client):
    switched = client.get("/language/ar?next=/register")
    assert redirect_path(switched) == "/register"
    page = client.get("/register", headers={"Accept-Language": "en"})
    assert page_language(page) == ("ar", "rtl")
    assert selected(page, "locale") == ["ar"]  # the language the page is in

    # The browser sends what the selects show.
    response = register(client, locale=selected(page, "locale")[0], time_zone=selected(page, "time_zone")[0])
    assert redirect_path(response) == "/register/check-your-inbox"
    assert stored(app, REGISTRATION["email"]) == ("ar", "UTC")

    confirm(app, REGISTRATION["email"])
    elsewhere = Client(app)  # another browser, which never saw the switcher and asks for English
    signed = elsewhere.login(REGISTRATION["email"])
    assert redirect_path(signed) == "/dashboard"
    dashboard = elsewhere.get("/dashboard", headers={"Accept-Language": "en"})
    assert dashboard.status_code == 200
    assert page_language(dashboard) == ("ar", "rtl")


def test_a_zone_chosen_at_registration_is_the_persons(app, client):
    response = register(client, locale="en", time_zone="Asia/Beirut")
    assert redirect_path(response) == "/register/check-your-inbox"
    assert stored(app, REGISTRATION["email"]) == ("en", "Asia/Beirut")


def test_registration_refuses_an_unknown_zone_next_to_the_field_and_keeps_the_rest(app, client):
    response = register(client, locale="en", time_zone="Mars/Olympus_Mons")
    assert response.status_code == 422
    assert field_error(response, "time_zone") == "Choose a time zone from the list, such as Europe/London or " \
                                                 "Asia/Beirut."
    assert "Choose a time zone from the list" in error_summary(response)
    assert selected(response, "time_zone") == ["Mars/Olympus_Mons"]
    assert input_value(response, "email") == REGISTRATION["email"]
    assert input_value(response, "display_name") == REGISTRATION["display_name"]
    assert not input_value(response, "password")
    assert outbox(app, REGISTRATION["email"]) == []
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == REGISTRATION["email"])) is None


def test_registration_refuses_an_unknown_language(app, client):
    response = register(client, locale="fr", time_zone="UTC")
    assert response.status_code == 422
    assert field_error(response, "locale") == "Choose one of the languages in the list."
    assert selected(response, "locale") == ["fr"]
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == REGISTRATION["email"])) is None


# The account page -----------------------------------------------------------------------------------------

def test_the_account_page_changes_language_and_zone_without_a_password(app, factory):
    person = factory.user()
    browser = signed_in(app, person)
    page = browser.get("/account")
    assert "Language and time zone" in text_of(page)
    assert selected(page, "lang-locale") == ["en"] and selected(page, "lang-time_zone") == ["UTC"]

    response = browser.post("/account/language", {"lang-locale": "ar", "lang-time_zone": "Asia/Beirut"})
    assert redirect_path(response) == "/account"
    assert stored(app, person.email) == ("ar", "Asia/Beirut")
    after = browser.get("/account", headers={"Accept-Language": "en"})
    assert page_language(after) == ("ar", "rtl")
    assert selected(after, "lang-locale") == ["ar"] and selected(after, "lang-time_zone") == ["Asia/Beirut"]

    back = browser.post("/account/language", {"lang-locale": "en", "lang-time_zone": "Europe/London"})
    assert redirect_path(back) == "/account"
    assert stored(app, person.email) == ("en", "Europe/London")
    page = browser.get(back.location)
    assert page_language(page) == ("en", "ltr")
    assert "Your language and time zone are saved." in text_of(page)


def test_a_choice_saved_on_the_account_page_outranks_what_this_browser_switched_to(app, factory):
    person = factory.user()
    browser = signed_in(app, person)
    assert redirect_path(browser.get("/language/en?next=/account")) == "/account"  # the switcher: English
    response = browser.post("/account/language", {"lang-locale": "ar", "lang-time_zone": "UTC"})
    assert redirect_path(response) == "/account"
    assert page_language(browser.get("/dashboard")) == ("ar", "rtl")


def test_the_account_page_refuses_an_unknown_zone_or_language_and_keeps_the_choice(app, factory):
    person = factory.user()
    browser = signed_in(app, person)

    response = browser.post("/account/language", {"lang-locale": "en", "lang-time_zone": "Europe/Atlantis"})
    assert response.status_code == 422
    assert field_error(response, "lang-time_zone") == ("Choose a time zone from the list, such as Europe/London "
                                                       "or Asia/Beirut.")
    assert selected(response, "lang-time_zone") == ["Europe/Atlantis"]
    assert selected(response, "lang-locale") == ["en"]

    response = browser.post("/account/language", {"lang-locale": "klingon", "lang-time_zone": "Asia/Beirut"})
    assert response.status_code == 422
    assert field_error(response, "lang-locale") == "Choose one of the languages in the list."
    assert selected(response, "lang-locale") == ["klingon"]
    assert selected(response, "lang-time_zone") == ["Asia/Beirut"]
    # Nothing changed, and the other forms of the page are as they were.
    assert stored(app, person.email) == (None, None)
    assert field_error(response, "pw-current_password") == ""


# Times in the person's zone -------------------------------------------------------------------------------

def _signed_in_at(app, person, moment: datetime) -> str:
    """Sign in at ``moment`` (UTC) and read the devices page then: the time it says this browser signed in."""
    with time_machine.travel(moment, tick=False):
        browser = signed_in(app, person)
        page = browser.get("/account/devices")
        assert page.status_code == 200
        times = re.findall(r'<dt>Signed in</dt><dd><time datetime="([^"]+)">([^<]+)</time>', html_of(page))
    machine, shown = next((pair for pair in times if pair[0] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
                          (None, None))
    assert shown, f"no sign-in at {moment} on the devices page: {times}"
    return shown


def test_the_same_utc_time_reads_an_hour_apart_across_the_change_of_clocks_in_london(app, factory):
    person = factory.user()
    browser = signed_in(app, person)
    assert redirect_path(browser.post("/account/language", {"lang-locale": "en",
                                                             "lang-time_zone": "Europe/London"})) == "/account"
    # The United Kingdom's clocks went forward at 01:00 UTC on 29 March 2026: 00:30 UTC is 00:30 there, an hour
    # later 01:30 UTC is 02:30.
    assert _signed_in_at(app, person, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == \
        "29 Mar 2026, 00:30 United Kingdom Time"
    assert _signed_in_at(app, person, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == \
        "29 Mar 2026, 02:30 United Kingdom Time"
    # The same time of day in UTC, in winter and in summer.
    assert _signed_in_at(app, person, datetime(2026, 1, 15, 12, 0, tzinfo=UTC)).startswith("15 Jan 2026, 12:00")
    assert _signed_in_at(app, person, datetime(2026, 7, 15, 12, 0, tzinfo=UTC)).startswith("15 Jul 2026, 13:00")


def test_a_page_in_arabic_gives_the_month_in_arabic(app, factory):
    person = factory.user()
    browser = signed_in(app, person)
    assert redirect_path(browser.post("/account/language", {"lang-locale": "ar",
                                                             "lang-time_zone": "Asia/Beirut"})) == "/account"
    # 09:00 UTC on 15 July 2026 is 12:00 in Beirut (summer time, three hours ahead).
    with time_machine.travel(datetime(2026, 7, 15, 9, 0, tzinfo=UTC), tick=False):
        again = Client(app)
        assert again.login(person.email, PASSWORD).status_code == 303
        page = again.get("/account/devices")
    assert page_language(page) == ("ar", "rtl")
    text = text_of(page)
    assert "يوليو" in text, text[:600]  # July
    assert "12:00" in text and "Jul" not in text


def test_an_invitation_asks_for_the_language_and_zone_too(app, factory):
    admin = factory.user("admin")
    with app.app_context():
        invitation = services.invite(db.session.get(User, admin.id), "new.reporter@example.org", Role.CONTRIBUTOR)
        db.session.commit()
        path = f"/invitation/{services.invitation_token(invitation.id)}"
    browser = Client(app)
    page = browser.get(path)
    assert page.status_code == 200
    assert selected(page, "locale") == ["en"] and selected(page, "time_zone") == ["UTC"]

    fields = {"display_name": "New Reporter", "byline_name": "N. Reporter", "password": PASSWORD,
              "confirm": PASSWORD}
    refused = browser.post(path, {**fields, "locale": "ar", "time_zone": "Asia/Nowhere"}, page=path)
    assert refused.status_code == 422
    assert field_error(refused, "time_zone") == "Choose a time zone from the list, such as Europe/London or " \
                                                "Asia/Beirut."
    assert selected(refused, "locale") == ["ar"] and selected(refused, "time_zone") == ["Asia/Nowhere"]

    joined = browser.post(path, {**fields, "locale": "ar", "time_zone": "Asia/Beirut"}, page=path)
    assert redirect_path(joined) == "/dashboard"
    assert stored(app, "new.reporter@example.org") == ("ar", "Asia/Beirut")
    assert page_language(browser.get("/dashboard", headers={"Accept-Language": "en"})) == ("ar", "rtl")

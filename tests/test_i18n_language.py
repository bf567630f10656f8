"""Which language a page speaks: the visitor's browser, the switcher (a plain link), the person's own choice;
and times in the person's time zone, with the zone named."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import html_of, page_language, redirect_path, signed_in
from workflow.config import ConfigurationError, from_environment
from workflow.core import i18n
from workflow.extensions import db


def switcher(response) -> dict[str, str]:
    """The switcher's links on a page: language code → href."""
    links = re.findall(r'<a class="language-switch" href="([^"]+)" lang="([^"]+)"', html_of(response))
    return {code: href.replace("&amp;", "&") for href, code in links}


@pytest.mark.parametrize("asked, expected", [
    ("ar", ("ar", "rtl")),
    ("ar-SY,ar;q=0.9,en;q=0.5", ("ar", "rtl")),
    ("en-GB,en;q=0.9", ("en", "ltr")),
    ("fr-FR,fr;q=0.9", ("en", "ltr")),  # a language the desk does not speak: its default
    ("fr;q=0.9,ar;q=0.4", ("ar", "rtl")),
])
def test_a_visitor_gets_the_language_their_browser_asks_for(client, asked, expected):
    response = client.get("/login", headers={"Accept-Language": asked})
    assert response.status_code == 200
    assert page_language(response) == expected


def test_the_switcher_is_a_link_that_works_without_javascript(client):
    first = client.get("/login", headers={"Accept-Language": "en"})
    assert page_language(first) == ("en", "ltr")
    links = switcher(first)
    assert set(links) == {"ar"}, links
    assert "العربية" in html_of(first)
    switched = client.get(links["ar"])
    assert redirect_path(switched) == "/login"
    again = client.get("/login", headers={"Accept-Language": "en"})  # the choice beats the browser's
    assert page_language(again) == ("ar", "rtl")
    assert set(switcher(again)) == {"en"}
    back = client.get(switcher(again)["en"])
    assert redirect_path(back) == "/login"
    assert page_language(client.get("/login")) == ("en", "ltr")


def test_a_persons_own_language_follows_them_and_the_switcher_changes_one_browser(app, factory):
    from workflow.people.models import User

    person = factory.user()
    with app.app_context():
        db.session.get(User, person.id).locale = "ar"
        db.session.commit()
    browser = signed_in(app, person)
    assert page_language(browser.get("/dashboard", headers={"Accept-Language": "en"})) == ("ar", "rtl")
    assert redirect_path(browser.get("/language/en?next=/dashboard")) == "/dashboard"
    assert page_language(browser.get("/dashboard")) == ("en", "ltr")
    with app.app_context():
        assert db.session.get(User, person.id).locale == "ar", "a GET link changed the account"
    elsewhere = signed_in(app, person)  # another browser: the person's own choice
    assert page_language(elsewhere.get("/dashboard")) == ("ar", "rtl")


@pytest.mark.parametrize("path", ["/language/xx?next=/login", "/language/AR?next=/login",
                                  "/language/ar?next=//evil.example/", "/language/ar?next=https://evil.example/"])
def test_the_switcher_refuses_unknown_languages_and_foreign_pages(client, path):
    response = client.get(path)
    assert response.status_code in (302, 303)
    assert "evil.example" not in response.location
    if "xx" in path or "AR" in path:
        assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_times_are_given_in_the_persons_zone_and_language(app):
    moment = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)  # Beirut is UTC+2 in December
    with app.app_context():
        with i18n.speaking("en", "UTC"):
            assert i18n.format_datetime(moment) == "06 Dec 2026, 14:05 UTC"
        with i18n.speaking("en", "America/New_York"):
            assert i18n.format_datetime(moment) == "06 Dec 2026, 09:05 EST"
        with i18n.speaking("ar", "Asia/Beirut"):
            shown = i18n.format_datetime(moment)
            assert shown.startswith("6 ديسمبر 2026، 16:05 "), shown
            assert "لبنان" in shown  # the zone is named
            assert i18n.format_date(moment) == "6 ديسمبر 2026"


@pytest.mark.parametrize("elapsed, english, arabic", [
    (timedelta(seconds=59), "just now", "الآن"),
    (timedelta(minutes=1, seconds=59), "1 minute ago", "قبل دقيقة واحدة"),
    (timedelta(minutes=90), "1 hour ago", "قبل ساعة واحدة"),  # an hour and a half: not "2 hours ago"
    (timedelta(hours=2, minutes=59), "2 hours ago", "قبل ساعتين"),
    (timedelta(days=6, hours=23), "6 days ago", "قبل 6 أيام"),
    (timedelta(days=13), "1 week ago", "قبل أسبوع واحد"),
    (timedelta(days=59), "1 month ago", "قبل شهر واحد"),
    (timedelta(days=364), "12 months ago", "قبل 12 شهرًا"),
])
def test_how_long_ago_counts_whole_units_never_rounded_up(app, elapsed, english, arabic):
    now = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    with app.app_context():
        with i18n.speaking("en", "UTC"):
            assert i18n.ago(now - elapsed, now=now) == english
        with i18n.speaking("ar", "Asia/Beirut"):
            assert i18n.ago(now - elapsed, now=now) == arabic


def test_a_person_with_a_time_zone_sees_their_times(app, factory):
    from workflow.people.models import User

    person = factory.user()
    with app.app_context():
        db.session.get(User, person.id).time_zone = "America/New_York"
        db.session.commit()
    browser = signed_in(app, person)
    devices = html_of(browser.get("/account/devices"))
    assert re.search(r"\d{2}:\d{2} E[SD]T<", devices), "the device's sign-in time is not in New York's time"
    assert " UTC<" not in devices


@pytest.mark.parametrize("name, value", [("WORKFLOW_DEFAULT_LOCALE", "fr"), ("WORKFLOW_TIME_ZONE", "Mars/Olympus"),
                                         ("WORKFLOW_TIME_ZONE", "../../etc/passwd")])
def test_a_language_or_zone_the_desk_does_not_know_is_refused_at_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        from_environment(str(tmp_path))

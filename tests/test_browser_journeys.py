"""Journeys in a real headless Chromium (Playwright, sync API) against the app served on a real port.

The browser, the server and ``open_page`` come from ``tests/browsers.py``. Screenshots of the important pages
are written to ``test-artifacts/screenshots/`` (git-ignored), for a person to look at.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browsers import PHONE, no_horizontal_scroll, shot, sign_in
from tests.helpers import seed_desk
from workflow.core.models import utcnow
from workflow.extensions import db

pytestmark = pytest.mark.browser


# --- helpers ----------------------------------------------------------------------------------------------------

def badge_text(page, scope: str = ".actions") -> str:
    return page.locator(f"{scope} .badge").first.inner_text().strip()


# --- journeys -----------------------------------------------------------------------------------------------------

def test_home_sign_in_and_register_pages(open_page, app):
    page = open_page()
    page.goto("/")
    assert page.locator("h1").inner_text().strip()
    shot(page, "home", app)
    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url("**/login")
    shot(page, "login", app)

    page.goto("/register")
    page.locator("#email").fill("not an address")
    page.locator("#display_name").fill("Nour Aziz")
    page.locator("main").get_by_role("button", name="Create my account").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    assert page.locator("#display_name").input_value() == "Nour Aziz"
    assert page.locator("#email").input_value() == "not an address"
    # Each error in the summary links to its field.
    first_link = summary.locator("a").first
    target = first_link.get_attribute("href")
    first_link.click()
    assert page.evaluate("document.activeElement && '#' + document.activeElement.id") == target
    shot(page, "register-errors", app)


def test_a_contributor_pitches_a_story_through_the_form(open_page, factory, app):
    seed_desk(factory)
    page = open_page()
    sign_in(page, "rana@example.org")
    assert page.url.endswith("/dashboard")
    assert page.locator("h1").inner_text() == "My stories"
    shot(page, "dashboard", app)

    page.get_by_role("link", name="Pitch a new story").click()
    page.wait_for_url("**/pitch")
    shot(page, "pitch", app)

    # First a pitch with the summary and the sources missing: the errors come back, what was typed stays.
    page.locator("#headline").fill("Fishermen who sail by night")
    page.locator("#angle").fill("The fuel ration was cut again this week.")
    page.locator("#proposed_words").fill("1200")
    page.get_by_role("button", name="Send my pitch").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    assert "Summarise the story" in summary.inner_text()
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    assert page.locator("#headline").input_value() == "Fishermen who sail by night"
    assert page.locator("#angle").input_value() == "The fuel ration was cut again this week."
    assert page.locator("#proposed_words").input_value() == "1200"
    assert page.locator("#summary").get_attribute("aria-invalid") == "true"
    shot(page, "pitch-errors", app)

    # Fix it and send.
    page.locator("#summary").fill("Fishermen go out after the curfew to feed the town.")
    page.locator("#sources").fill("Three crews and the harbour master.")
    page.get_by_role("button", name="Send my pitch").click()
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    assert "Your pitch is with the desk" in page.locator(".flashes").inner_text()
    assert page.locator("h1").inner_text() == "Fishermen who sail by night"
    assert badge_text(page) == "Pitched"
    shot(page, "submission-contributor", app)

    page.get_by_role("link", name="My stories").first.click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("link", name="Fishermen who sail by night").is_visible()


def test_an_editor_filters_the_queue_and_assigns_a_pitch(open_page, factory, app):
    desk = seed_desk(factory)
    page = open_page()
    sign_in(page, "dana@example.org")
    assert page.url.endswith("/queue")
    assert page.locator("table tbody tr").count() == 6
    shot(page, "queue", app)

    # Filter: unassigned pitches that mention bakers.
    page.locator("#q").fill("bakers")
    page.locator("#assignee").select_option("unassigned")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r".*q=bakers.*"))
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert page.locator("#q").input_value() == "bakers"
    shot(page, "queue-filtered", app)
    # The state links in the sidebar keep the filters.
    page.locator(".sidebar").get_by_role("link", name=re.compile("^Pitched")).click()
    page.wait_for_url(re.compile(r".*state=pitched.*"))
    assert "q=bakers" in page.url and page.locator("table tbody tr").count() == 1

    page.get_by_role("link", name="The night bakers of the old city").click()
    page.wait_for_url(f"**/submissions/{desk['bakers'].id}")
    assert badge_text(page) == "Pitched"

    deadline = (utcnow().date() + timedelta(days=14)).isoformat()
    assign = page.locator("form").filter(has=page.get_by_role("button", name="Assign", exact=True))
    assign.locator("#editor_id").select_option(label="Dana Haddad")
    assign.locator("#deadline").fill(deadline)
    assign.locator("#assigned_words").fill("1200")
    assign.locator("#fee").fill("250")
    shot(page, "submission-editor", app)
    assign.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state()
    assert "now assigned" in page.locator(".flashes").inner_text()
    assert badge_text(page) == "Assigned"
    assert "Dana Haddad" in page.locator(".actions").inner_text()
    shot(page, "submission-editor-assigned", app)

    # Back in the queue the story has moved from "Pitched" to "Assigned".
    page.goto("/queue?state=assigned&assignee=me")
    assert page.get_by_role("link", name="The night bakers of the old city").is_visible()


def test_the_conversation_and_the_conflict_page(open_page, factory, app):
    desk = seed_desk(factory)
    page = open_page()
    sign_in(page, "dana@example.org")
    page.goto(f"/submissions/{desk['school'].id}")
    assert page.locator(".tl-note").count() == 1
    shot(page, "submission-conversation-editor", app)

    # Another editor moves the pitch while this page is open: the stale form gets the 409 page.
    page.goto(f"/submissions/{desk['bakers'].id}")
    from workflow.people.models import User
    from workflow.submissions import services
    from workflow.submissions.models import Submission

    with app.app_context():
        jonas = db.session.get(User, desk["other"].id)
        submission = db.session.get(Submission, desk["bakers"].id)
        services.transition(jonas, submission, services.TransitionInput(
            action="decline", seen_version=submission.version, comment="We ran this last month."))
        db.session.commit()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Decline", exact=True))
    form.locator("#comment").fill("Not for us.")
    with page.expect_response(lambda r: "/transition" in r.url) as response:
        form.get_by_role("button", name="Decline", exact=True).click()
    assert response.value.status == 409
    page.wait_for_load_state()
    assert "changed since you opened it" in page.locator("h1").inner_text()
    assert "We ran this last month." in page.locator("main").inner_text()
    shot(page, "conflict", app)

    contributor = open_page()
    sign_in(contributor, "sami@example.org")
    contributor.goto(f"/submissions/{desk['school'].id}")
    assert "Check the pupil numbers" not in contributor.locator("main").inner_text()
    assert "parents' committee" in contributor.locator("main").inner_text()
    shot(contributor, "submission-conversation-contributor", app)


def test_admin_people_page(open_page, factory, app):
    seed_desk(factory)
    factory.user("admin", email="amira@example.org", name="Amira Haddad")
    page = open_page()
    sign_in(page, "amira@example.org")
    page.goto("/admin/people")
    assert page.locator("h1").inner_text() == "People"
    assert page.locator("table tbody tr").count() >= 5
    shot(page, "admin-people", app)


def assert_readable_on_a_phone(page, app, name: str):
    shot(page, f"phone-{name}", app)
    width, viewport = no_horizontal_scroll(page)
    assert width <= viewport, f"{name} scrolls sideways on a phone: {width}px in a {viewport}px viewport"
    # Text is not shrunk to fit: running text and labels at 14px at least, form controls at 16px (below that,
    # phones zoom in on focus).
    sizes = page.evaluate("""() => {
        const px = el => parseFloat(getComputedStyle(el).fontSize);
        const text = [...document.querySelectorAll('main p, main td, main li, main label, main dd, main a')]
            .filter(el => !el.closest('.meta, .hint, .badge, .note-label, th') && el.offsetParent);
        const controls = [...document.querySelectorAll('main input:not([type=checkbox]):not([type=hidden]),'
            + ' main select, main textarea')].filter(el => el.offsetParent);
        return [Math.min(...text.map(px)), Math.min(...controls.map(px), 99)];
    }""")
    assert sizes[0] >= 14 and sizes[1] >= 16, (name, sizes)
    # Nothing inside main pokes out of the viewport, apart from tables inside their scrolling container.
    overflowing = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => !el.closest('.table-scroll') && el.getBoundingClientRect().right > window.innerWidth + 1)
        .map(el => el.tagName + '.' + el.className).slice(0, 5)""")
    assert not overflowing, (name, overflowing)


@pytest.mark.parametrize("who", ["editor", "contributor", "visitor"])
def test_pages_are_readable_on_a_phone(open_page, factory, app, who):
    desk = seed_desk(factory)
    page = open_page(viewport=PHONE)
    if who == "editor":
        sign_in(page, "dana@example.org")
        pages = {"queue": "/queue", "submission": f"/submissions/{desk['school'].id}"}
    elif who == "contributor":
        sign_in(page, "rana@example.org")
        pages = {"dashboard": "/dashboard", "pitch": "/pitch"}
    else:
        pages = {"home": "/", "register": "/register"}
    for name, path in pages.items():
        page.goto(path)
        assert_readable_on_a_phone(page, app, name)
    if who == "editor":
        # The queue is a list of cards on a phone: each row shows its column names.
        page.goto("/queue")
        labels = page.evaluate("""[...document.querySelectorAll('table tbody tr:first-child td')]
            .map(td => getComputedStyle(td, '::before').content)""")
        assert labels[1:] == ['"State"', '"Editor"', '"Deadline"', '"Last activity"'], labels
        assert page.locator("table thead").bounding_box()["height"] <= 1

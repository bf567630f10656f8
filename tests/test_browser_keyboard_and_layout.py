"""The desk without a mouse, without JavaScript, at 200 % zoom and on a 360 px screen, in a real headless Chromium.

- Keyboard only: a contributor signs in and pitches, an editor assigns and publishes, with Tab, Shift+Tab, typing,
  Enter and Space alone (no click, no ``fill``). At every stop of the focus the focused control shows where it is
  (an outline or a ring that stands out from what is behind it) and lies inside the viewport.
- The error summary: after a refused form it has the focus and links to each field in error; Enter on a link
  puts the focus in that field, with its label in sight.
- JavaScript off: the whole journey, from the pitch to the published article, works with plain forms and links.
- 200 % zoom and a 360 px phone: the key pages never scroll sideways, and every heading, label and form control
  fits the width. Screenshots of every page go to ``test-artifacts/screenshots/``.

The fixtures (one Chromium per session, the live server on both databases) come from ``tests/browsers.py``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browsers import LAYOUT_PROBLEMS, article_slug, no_horizontal_scroll, shot, sign_in
from tests.helpers import PASSWORD, seed_desk
from workflow.core.models import utcnow
from workflow.extensions import db

pytestmark = pytest.mark.browser

PHONE_360 = {"viewport": {"width": 360, "height": 740}}
# Zooming a 1280x900 window to 200 % leaves the page 640x450 CSS pixels, each drawn with 2x2 device pixels: the
# layout (media queries, widths, wrapping) is exactly that of a 640x450 viewport with a device scale factor of 2.
ZOOM_200 = {"viewport": {"width": 1280 // 2, "height": 900 // 2}, "device_scale_factor": 2}


# --- focus ----------------------------------------------------------------------------------------------------------

# What the focused element looks like: its outline and box-shadow, the colour behind it (the first ancestor with a
# background), and where it is in the viewport.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    let background = 'rgb(255, 255, 255)';
    for (let up = el.parentElement; up; up = up.parentElement) {
        const colour = getComputedStyle(up).backgroundColor;
        if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { background = colour; break; }
    }
    const text = (el.innerText || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return {name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ' "' + text + '"' : ''),
            outline: [style.outlineStyle, parseFloat(style.outlineWidth) || 0, style.outlineColor],
            shadow: style.boxShadow, background,
            box: [box.left, box.top, box.right, box.bottom],
            firstLine: ['INPUT', 'TEXTAREA'].includes(el.tagName) ? parseFloat(style.borderTopWidth)
                + parseFloat(style.paddingTop) + parseFloat(style.fontSize) : null,
            viewport: [document.documentElement.clientWidth, window.innerHeight]};
}"""


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(float(part) for part in re.findall(r"[\d.]+", colour)[:3])


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS colours."""
    def luminance(colour):
        r, g, b = (c / 255 for c in _rgb(colour))
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def shadow_rings(shadow: str) -> list[tuple[str, float]]:
    """(colour, spread) of each box-shadow, as Chromium computes it: ``rgb(27, 27, 29) 0px 0px 0px 6px, ...``."""
    return [(colour, float(spread)) for colour, spread in
            re.findall(r"(rgba?\([^)]*\))\s+-?[\d.]+px\s+-?[\d.]+px\s+[\d.]+px\s+(-?[\d.]+)px", shadow)]


def assert_visible_focus(page) -> dict:
    """The focused element shows it: an outline of 2px or more, or a ring (a box-shadow spread of 2px or more),
    in a colour that stands out from the background behind it (3:1, WCAG's contrast for non-text); and it is
    inside the viewport. The desk's rule (desk.css, ``:focus-visible``) is a yellow outline with a dark ring
    around it: the yellow shows on dark backgrounds, the ring on light ones."""
    info = page.evaluate(FOCUSED)
    assert info is not None, "the focus left every control (it is on the page itself)"
    name, background = info["name"], info["background"]
    style, width, colour = info["outline"]
    outline = style != "none" and width >= 2 and contrast(colour, background) >= 3
    ring = any(spread >= 2 and contrast(ring_colour, background) >= 3
               for ring_colour, spread in shadow_rings(info["shadow"]))
    assert outline or ring, (f"{name} has the focus but does not show it: outline {info['outline']}, "
                             f"box-shadow {info['shadow']!r}, on a background of {background}")
    # Inside the viewport: all of it, but of a text field only down to its first line (Chromium scrolls a text
    # field only as far as its caret, on the first line: the rest of a tall textarea may be below the fold).
    left, top, right, bottom = info["box"]
    width, height = info["viewport"]
    if info["firstLine"] is not None:
        bottom = min(bottom, top + info["firstLine"])
    assert left >= -1 and right <= width + 1 and top >= -1 and bottom <= height + 1, (
        f"{name} has the focus outside the viewport: {info['box']} in {info['viewport']}")
    return info


def focused_is(page, selector: str) -> bool:
    return page.evaluate("selector => !!document.activeElement && document.activeElement.matches(selector)",
                         selector)


def tab_to(page, selector: str, *, back: bool = False, limit: int = 60) -> list[str]:
    """Press Tab (Shift+Tab with ``back``) until ``selector`` has the focus, checking every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        stops.append(assert_visible_focus(page)["name"])
        if focused_is(page, selector):
            return stops
    raise AssertionError(f"{selector} never got the focus; the focus went through {stops}")


def skip_to_content(page) -> None:
    """The first Tab stop of every page is the skip link; Enter on it moves the focus to <main>."""
    page.keyboard.press("Tab")
    info = assert_visible_focus(page)
    assert focused_is(page, "a.skip-link"), f"the first Tab stop is {info['name']}, not the skip link"
    page.keyboard.press("Enter")
    assert focused_is(page, "main#main"), page.evaluate(FOCUSED)


def press_and_load(page, key: str = "Enter") -> None:
    """Press a key that sends a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def type_date(page, value: date) -> None:
    """Type a date into the focused ``<input type=date>``, its first part (day or month) focused.

    Chromium lays the parts out in its own locale's order (month first under en-US, whatever the page's
    language), so one probe date tells the order; Shift+Tab goes back to the first part and the date is typed.
    """
    page.keyboard.type("01022030")
    probe = page.evaluate("document.activeElement.value")
    order = {"2030-02-01": "dmy", "2030-01-02": "mdy"}.get(probe)
    assert order, f"a date input with an unexpected order of parts (typing 01 02 2030 gave {probe!r})"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    parts = {"d": f"{value.day:02d}", "m": f"{value.month:02d}", "y": f"{value.year:04d}"}
    page.keyboard.type("".join(parts[p] for p in order))
    assert page.evaluate("document.activeElement.value") == value.isoformat()


def keyboard_sign_in(page, email: str, password: str = PASSWORD, lands_on: str | None = None) -> None:
    """Sign in with the keyboard alone; the sign-in must get past /login (or land on ``lands_on``)."""
    page.goto("/login")
    skip_to_content(page)
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(password)
    press_and_load(page)  # Enter in a text field sends its form
    if lands_on is None:
        assert "/login" not in page.url, page.locator("main").inner_text()
    else:
        assert page.url.endswith(lands_on), page.url


def wait_for_summary_focus(page) -> None:
    """desk.js moves the focus to the error summary once the page has loaded."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    top, bottom, height = page.evaluate("""() => { const box = document.getElementById('error-summary')
        .getBoundingClientRect(); return [box.top, box.bottom, window.innerHeight]; }""")
    assert 0 <= top < height, f"the focused error summary is out of sight ({top}..{bottom} in {height})"


def summary_links(page) -> list[str]:
    return page.locator("#error-summary a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def fields_in_error(page) -> list[str]:
    return page.locator("[aria-invalid=true]").evaluate_all("fields => fields.map(f => '#' + f.id)")


def assert_field_in_sight(page, field_id: str) -> None:
    """After following an error summary link: the field has the focus and shows it, and its label (what the
    field is) and its error message (what is wrong) are on the screen with it, not scrolled away above."""
    assert focused_is(page, f"#{field_id}"), page.evaluate(FOCUSED)
    assert_visible_focus(page)
    for selector in (f"label[for={field_id}]", f"#{field_id}-error"):
        top = page.locator(selector).evaluate("el => el.getBoundingClientRect().top")
        assert top >= 0, f"{selector} is scrolled out of sight ({top}px) when #{field_id} gets the focus"


# --- 1. keyboard only -------------------------------------------------------------------------------------------------

def test_a_contributor_pitches_a_story_with_the_keyboard_alone(open_page, factory, app):
    seed_desk(factory)
    page = open_page()
    keyboard_sign_in(page, "rana@example.org")
    assert page.url.endswith("/dashboard")

    # The way to the form: Tab through the header to "Pitch a story".
    tab_to(page, "header a[href='/pitch']")
    press_and_load(page)
    assert page.url.endswith("/pitch")

    skip_to_content(page)
    stops = tab_to(page, "#headline")
    assert len(stops) == 1, f"the first field is not the first stop after the skip link: {stops}"
    page.keyboard.type("Fishermen who sail by night")
    tab_to(page, "#summary")
    page.keyboard.type("Fishermen go out after the curfew.")
    tab_to(page, "#angle")
    page.keyboard.type("The fuel ration was cut again this week.\nThe harbour closes at dusk.")
    tab_to(page, "#sources")
    page.keyboard.type("Three crews and the harbour master.")
    # Back to the summary with Shift+Tab, to add a sentence at its end.
    tab_to(page, "#summary", back=True)
    page.keyboard.press("End")
    page.keyboard.type(" They feed the town.")
    tab_to(page, "#proposed_words")
    page.keyboard.type("1200")
    tab_to(page, "#proposed_deadline")
    filed_by = utcnow().date() + timedelta(days=20)
    type_date(page, filed_by)
    tab_to(page, "#experience")
    page.keyboard.type("Five years at the coast desk of a local weekly.")
    # On past the date's calendar button and the file chooser, to the button; Enter sends.
    tab_to(page, "form.stacked button[type=submit]")
    shot(page, "keyboard-pitch", app)
    press_and_load(page)

    assert re.search(r"/submissions/\d+$", page.url), page.url
    assert "Your pitch is with the desk" in page.locator(".flashes").inner_text()
    assert page.locator("h1").inner_text() == "Fishermen who sail by night"
    from workflow.submissions.models import Submission

    with app.app_context():
        stored = db.session.get(Submission, int(page.url.rsplit("/", 1)[1]))
        assert stored.summary == "Fishermen go out after the curfew. They feed the town."
        angle = stored.angle.replace("\r\n", "\n")  # a browser sends a textarea's line breaks as CRLF
        assert angle == "The fuel ration was cut again this week.\nThe harbour closes at dusk."
        assert stored.sources == "Three crews and the harbour master."
        assert (stored.proposed_words, stored.proposed_deadline) == (1200, filed_by)
        assert stored.experience == "Five years at the coast desk of a local weekly."
        db.session.remove()


def test_a_contributor_signs_out_a_lost_phone_with_the_keyboard_alone(open_page, factory, app):
    """From the account page to "Signed-in devices", and "Sign out every other device", keys only."""
    seed_desk(factory)
    phone = open_page()
    sign_in(phone, "rana@example.org")
    page = open_page()
    keyboard_sign_in(page, "rana@example.org")
    tab_to(page, "header a[href='/account']")
    press_and_load(page)
    skip_to_content(page)
    tab_to(page, "main a[href='/account/devices']")
    press_and_load(page)
    assert page.locator("h1").inner_text() == "Signed-in devices"
    assert page.locator(".device").count() == 2
    skip_to_content(page)
    tab_to(page, "main button.button--danger")
    shot(page, "keyboard-devices", app)
    press_and_load(page)
    assert "1 other device is signed out" in page.locator(".flashes").inner_text()
    assert page.locator(".device").count() == 1 and "This device" in page.locator(".device").inner_text()
    phone.goto("/dashboard")
    assert "/login" in phone.url, "the other browser is still signed in"


def test_a_contributor_sets_up_an_authenticator_app_with_the_keyboard_alone(open_page, factory, app):
    """From the account page to the second step being on, keys only; then a sign-in with the code."""
    import pyotp

    seed_desk(factory)
    page = open_page()
    keyboard_sign_in(page, "rana@example.org")
    tab_to(page, "header a[href='/account']")
    press_and_load(page)
    skip_to_content(page)
    tab_to(page, "main a[href='/account/two-step/app']")
    press_and_load(page)
    assert page.locator("h1").inner_text() == "Set up an authenticator app"
    key = page.locator("code.secret").inner_text().replace(" ", "")  # what a person types into their app
    skip_to_content(page)
    tab_to(page, "#code")
    page.keyboard.type(pyotp.TOTP(key).now())
    shot(page, "keyboard-two-step", app)
    press_and_load(page)  # Enter in the field sends the form
    assert page.locator("h1").inner_text() == "Your recovery codes"
    assert page.locator(".recovery-codes li").count() == 10
    tab_to(page, "main a.button--primary")
    press_and_load(page)
    assert "Set up on" in page.locator("#two-step").inner_text()

    tab_to(page, "header button.link-button", back=True)  # back up to "Sign out" in the header
    press_and_load(page)
    keyboard_sign_in(page, "rana@example.org", lands_on="/login/verify")
    skip_to_content(page)
    tab_to(page, "#code")
    page.keyboard.type(pyotp.TOTP(key).at(utcnow() + timedelta(seconds=30)))  # the app's next code
    press_and_load(page)
    assert page.url.endswith("/dashboard")


def test_proving_it_is_you_and_this_was_not_me_with_the_keyboard_alone(open_page, factory, app):
    """The other new pages, keys only: "Confirm it is you" before the data export, the page that adds a security key
    (up to its button), and "This was not me" from a security email."""
    import time_machine

    from workflow.core import tokens
    from workflow.people.models import User

    seed_desk(factory)
    page = open_page()
    with time_machine.travel(utcnow() - timedelta(minutes=11), tick=True):
        keyboard_sign_in(page, "rana@example.org")  # signed in eleven minutes ago: the proof is stale now
    page.goto("/account/two-step/keys/new")
    assert "/account/confirm" in page.url and page.locator("h1").inner_text() == "Confirm it is you"
    skip_to_content(page)
    tab_to(page, "#proof-password")
    page.keyboard.type(PASSWORD)
    shot(page, "keyboard-confirm", app)
    press_and_load(page)
    assert page.url.endswith("/account/two-step/keys/new")
    skip_to_content(page)
    tab_to(page, "#name")
    page.keyboard.type("Blue key")
    tab_to(page, "main button[data-webauthn]")  # the ceremony itself needs a key (tests/test_auth_security_keys.py)

    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.email == "rana@example.org"))
        token = tokens.make_token(tokens.NOT_ME, {"u": user_id})
    other = open_page()
    other.goto(f"/account/not-me/{token}")
    skip_to_content(other)
    tab_to(other, "main button.button--danger")
    press_and_load(other)
    assert "Your account is signed out everywhere." in other.locator("main").inner_text()
    page.goto("/dashboard")
    assert "/login" in page.url


def test_an_editor_assigns_and_publishes_with_the_keyboard_alone(open_page, factory, app):
    desk = seed_desk(factory)
    page = open_page()
    keyboard_sign_in(page, "dana@example.org")
    assert page.url.endswith("/queue")

    # From the queue to the pitch.
    skip_to_content(page)
    tab_to(page, f"main a[href='/submissions/{desk['bakers'].id}']")
    press_and_load(page)

    # Assign it to Jonas: the editor is chosen by typing in the select, the deadline typed into the date field.
    skip_to_content(page)
    tab_to(page, "#editor_id")
    page.keyboard.type("Jonas")
    assert page.locator("#editor_id").input_value() == str(desk["other"].id)
    tab_to(page, "#deadline")
    deadline = utcnow().date() + timedelta(days=14)
    type_date(page, deadline)
    tab_to(page, "#assigned_words")  # past the date's calendar button, which must show its focus too
    page.keyboard.type("1200")
    tab_to(page, "#fee")
    page.keyboard.type("250")
    tab_to(page, "form:has(input[name=action][value=assign]) button[type=submit]")
    shot(page, "keyboard-assign", app)
    press_and_load(page, "Enter")
    assert "now assigned" in page.locator(".flashes").inner_text()
    status = page.locator(".actions").inner_text()
    assert "Assigned" in status and "Jonas Weber" in status and "1200 words" in status, status
    from workflow.submissions.models import Submission

    with app.app_context():
        stored = db.session.get(Submission, desk["bakers"].id)
        assert (stored.editor_id, stored.deadline, stored.assigned_words) == (desk["other"].id, deadline, 1200)
        db.session.remove()

    # Back to the queue by its link, then to the edited story, and publish it with Space.
    skip_to_content(page)
    tab_to(page, "main a[href='/queue']")
    press_and_load(page)
    skip_to_content(page)
    tab_to(page, f"main a[href='/submissions/{desk['border'].id}']")
    press_and_load(page)
    skip_to_content(page)
    # On through "Publish" and the story's page settings to "Schedule publication" (past the parts and the
    # calendar button of the date-and-time field), then back to "Publish" with Shift+Tab.
    publish = "form:has(input[name=action][value=publish]) button[type=submit]"
    tab_to(page, publish)
    tab_to(page, "#publication form[action$='/schedule'] button[type=submit]")
    tab_to(page, publish, back=True)
    press_and_load(page, "Space")
    assert "now published" in page.locator(".flashes").inner_text()
    assert "Published" in page.locator(".actions .badge").first.inner_text()

    # And on to the public page, still by keyboard.
    slug = article_slug(app, desk["border"].id)
    tab_to(page, f"a[href='/articles/{slug}']")
    press_and_load(page)
    assert page.locator("h1").inner_text() == "The border crossing that opens two hours a day"


# --- 2. the error summary -------------------------------------------------------------------------------------------

def test_the_pitch_form_error_summary_takes_the_focus_and_links_to_each_field(open_page, factory, app):
    factory.user("contributor", email="rana@example.org", name="Rana Field")
    page = open_page()
    sign_in(page, "rana@example.org")
    page.goto("/pitch")
    skip_to_content(page)
    tab_to(page, "#headline")
    page.keyboard.type("Fishermen who sail by night")
    tab_to(page, "form.stacked button[type=submit]")
    press_and_load(page)

    wait_for_summary_focus(page)
    assert "There is a problem" in page.locator("#error-summary").inner_text()
    assert fields_in_error(page) == ["#summary", "#angle", "#sources"]
    assert summary_links(page) == fields_in_error(page)
    # Each link reads as the field's own error message.
    for link in page.locator("#error-summary a").all():
        target = link.get_attribute("href")[1:]
        assert link.inner_text() == page.locator(f"#{target}-error").inner_text().strip()
    shot(page, "keyboard-pitch-errors", app)

    # Enter on each link puts the focus in its field; type there, then back up to the summary for the next.
    answers = {"summary": "Fishermen go out after the curfew.", "angle": "The fuel ration was cut.",
               "sources": "Three crews."}
    for target, answer in answers.items():
        tab_to(page, f"#error-summary a[href='#{target}']", back=target != "summary")
        page.keyboard.press("Enter")
        assert_field_in_sight(page, target)
        page.keyboard.type(answer)
    assert page.locator("#headline").input_value() == "Fishermen who sail by night"
    tab_to(page, "form.stacked button[type=submit]")
    press_and_load(page)
    assert "Your pitch is with the desk" in page.locator(".flashes").inner_text()


def test_the_sign_in_error_summary_takes_the_focus(open_page, factory, app):
    factory.user("contributor", email="rana@example.org", name="Rana Field")
    page = open_page()
    page.goto("/login")
    skip_to_content(page)
    tab_to(page, "#email")
    page.keyboard.type("rana@example.org")
    tab_to(page, "#password")
    page.keyboard.type("not the password at all")
    press_and_load(page)

    # A wrong password is one message for the form (it must not say which of the two is wrong): no field is
    # marked, so the summary links to none, and the next Tab goes straight to the email field.
    wait_for_summary_focus(page)
    assert "do not match an active account" in page.locator("#error-summary").inner_text()
    assert fields_in_error(page) == [] and summary_links(page) == []
    assert page.locator("#email").input_value() == "rana@example.org"
    assert page.locator("#password").input_value() == ""  # a password is never sent back to the browser
    shot(page, "keyboard-sign-in-errors", app)
    stops = tab_to(page, "#email")
    assert len(stops) == 1, stops

    # Sent again without the password: the summary links to the password field.
    press_and_load(page)
    wait_for_summary_focus(page)
    assert fields_in_error(page) == ["#password"] and summary_links(page) == ["#password"]
    tab_to(page, "#error-summary a[href='#password']")
    page.keyboard.press("Enter")
    assert_field_in_sight(page, "password")
    page.keyboard.type(PASSWORD)
    press_and_load(page)
    assert page.url.endswith("/dashboard")


# --- 3. without JavaScript --------------------------------------------------------------------------------------------

def test_the_whole_journey_works_without_javascript(open_page, factory, app):
    factory.user("editor", email="dana@example.org", name="Dana Haddad")
    factory.user("contributor", email="rana@example.org", name="Rana Field", byline="R. Field")
    contributor = open_page(java_script_enabled=False)
    editor = open_page(java_script_enabled=False)
    reader = open_page(java_script_enabled=False)

    sign_in(contributor, "rana@example.org")
    contributor.get_by_role("link", name="Pitch a new story").click()
    contributor.wait_for_url("**/pitch")
    # A refused pitch: the page comes back with the summary and the messages, what was typed kept.
    contributor.locator("#headline").fill("Fishermen who sail by night")
    contributor.locator("#proposed_deadline").fill((utcnow().date() + timedelta(days=20)).isoformat())
    contributor.get_by_role("button", name="Send my pitch").click()
    contributor.wait_for_load_state()
    assert contributor.locator("#error-summary").is_visible()
    assert "Summarise the story" in contributor.locator("#error-summary").inner_text()
    assert contributor.locator("#headline").input_value() == "Fishermen who sail by night"
    # The summary's links work without a script: the browser follows the fragment to the field.
    contributor.locator("#error-summary a[href='#summary']").click()
    assert contributor.evaluate("document.activeElement.id") == "summary"
    shot(contributor, "nojs-pitch-errors", app)
    contributor.locator("#summary").fill("Fishermen go out after the curfew to feed the town.")
    contributor.locator("#angle").fill("The fuel ration was cut again this week.")
    contributor.locator("#sources").fill("Three crews and the harbour master.")
    contributor.get_by_role("button", name="Send my pitch").click()
    contributor.wait_for_url(re.compile(r".*/submissions/\d+$"))
    assert "Your pitch is with the desk" in contributor.locator(".flashes").inner_text()
    story_url = contributor.url

    sign_in(editor, "dana@example.org")
    editor.get_by_role("link", name="Fishermen who sail by night").click()
    editor.wait_for_url(story_url)
    assign = editor.locator("form").filter(has=editor.get_by_role("button", name="Assign", exact=True))
    # First without the deadline: refused, with the reason next to the form.
    assign.get_by_role("button", name="Assign", exact=True).click()
    editor.wait_for_load_state()
    assert editor.locator("#error-summary").is_visible()
    assign = editor.locator("form").filter(has=editor.get_by_role("button", name="Assign", exact=True))
    assign.locator("#editor_id").select_option(label="Dana Haddad")
    assign.locator("#deadline").fill((utcnow().date() + timedelta(days=14)).isoformat())
    assign.get_by_role("button", name="Assign", exact=True).click()
    editor.wait_for_load_state()
    assert "now assigned" in editor.locator(".flashes").inner_text()

    contributor.goto(story_url)
    contributor.get_by_role("link", name="Write the draft").click()
    contributor.wait_for_url("**/draft")
    contributor.locator("#headline").fill("Fishermen who sail by night")
    contributor.locator("#dek").fill("After the curfew the harbour comes alive.")
    contributor.locator("#body").fill("The boats leave at ten.\n\nBy dawn the catch is sold.")
    contributor.get_by_role("button", name="Save revision").click()
    contributor.wait_for_url(re.compile(r".*/submissions/\d+(#draft)?$"))
    assert "Saved as revision 1" in contributor.locator(".flashes").inner_text()

    editor.goto(story_url)
    editor.get_by_role("button", name="Mark edited").click()
    editor.wait_for_load_state()
    assert "now edited" in editor.locator(".flashes").inner_text()
    editor.get_by_role("button", name="Publish", exact=True).click()
    editor.wait_for_load_state()
    assert "now published" in editor.locator(".flashes").inner_text()
    editor.get_by_role("link", name="See the published page").click()
    editor.wait_for_url("**/articles/*")
    article_url = editor.url

    reader.goto("/")
    reader.get_by_role("link", name="Fishermen who sail by night").click()
    reader.wait_for_url(article_url)
    assert reader.locator("h1").inner_text() == "Fishermen who sail by night"
    assert "After the curfew the harbour comes alive." in reader.locator(".article__dek").inner_text()
    assert "By dawn the catch is sold." in reader.locator(".article__body").inner_text()
    assert "R. Field" in reader.locator(".article__meta").inner_text()
    shot(reader, "nojs-article", app)


def test_without_javascript_the_error_summary_still_takes_the_focus(open_page, factory):
    page = open_page(java_script_enabled=False)
    page.goto("/login")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"


# --- 4. 200 % zoom and a 360 px phone -------------------------------------------------------------------------------

# Every heading, label, button and form control of the page (and the masthead's name and links), outside the
# tables and the section bar (which scroll in their own container): what pokes out of the viewport's width or
# sits on its very edge (less than 8px from it), and what holds more text than its box (a long word running out
# of a heading).


def assert_readable(page, app, name: str) -> None:
    shot(page, name, app)
    width, viewport = no_horizontal_scroll(page)
    assert width <= viewport, f"{name} scrolls sideways: {width}px in a {viewport}px viewport"
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert not problems, (name, problems)


@pytest.mark.parametrize("screen", ["phone-360", "zoom-200"])
def test_key_pages_are_readable_at_200_percent_zoom_and_360_px(open_page, factory, app, screen):
    desk = seed_desk(factory)
    # Long words do happen (place names, compound words, addresses): they must wrap, not push the page wide.
    long_one = factory.submission(
        desk["rana"], state="published", editor=desk["editor"],
        headline="Sozialversicherungsfachangestellte in Khmelnytskyi-Oblast keep the pensions paid",
        summary="Clerks of the pension fund drive the payments to the villages: www.pensions-fund.example.org/x.")
    options = PHONE_360 if screen == "phone-360" else ZOOM_200
    pages = {
        None: {"home": "/", "article": f"/articles/{article_slug(app, desk['radio'].id)}",
               "article-long-words": f"/articles/{article_slug(app, long_one.id)}", "login": "/login"},
        "rana@example.org": {"dashboard": "/dashboard", "pitch": "/pitch",
                             "submission-contributor": f"/submissions/{long_one.id}"},
        "dana@example.org": {"queue": "/queue", "submission-editor-pitched": f"/submissions/{desk['bakers'].id}",
                             "submission-editor-edited": f"/submissions/{desk['border'].id}"},
    }
    for who, paths in pages.items():
        page = open_page(**options)
        if who:
            sign_in(page, who)
        for name, path in paths.items():
            page.goto(path)
            assert page.locator("h1").count() == 1, f"{path} has no single h1"
            assert_readable(page, app, f"{screen}-{name}")
    # The error summary and its red fields too.
    page = open_page(**options)
    page.goto("/login")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert_readable(page, app, f"{screen}-login-errors")

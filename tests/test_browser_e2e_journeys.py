"""End-to-end journeys: a real headless Chromium against the whole installation in processes.

The desk runs as in production: gunicorn serving the app on a loopback port (which is also the
``WORKFLOW_BASE_URL``, so the links in the emails lead back to it), a Celery worker with beat, a real Redis as
the broker and for the rate limits, the session's SMTP server (aiosmtpd) receiving every email, and SQLite or a
fresh PostgreSQL database. One installation per database serves the whole module; the journeys run in order on
it, as a newsroom's day would: a contributor registers and pitches, an editor commissions the pitch, the story is
written, edited, revised and published with its photo, a reader subscribes to the newsletter, and two editors
act on the same stale page.

Everything a person does is done in the browser, clicking and typing; only the background (the people the CLI
creates, two other pitches in the queue) is set up beforehand. Full-page screenshots of the key pages go to
``test-artifacts/journeys/<db>-<journey>-<step>.png`` (git-ignored), for a person to look at.

A missing Chromium, PostgreSQL or Redis skips these tests with the reason, except with ``CI=true``.
"""

from __future__ import annotations

import re
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browsers import page_opener
from tests.conftest import REDIS_URL, fresh_postgres_database, missing_service, postgres_available, redis_available
from tests.helpers import MailCatcher, free_port, html_body, plain_body
from tests.processes import Desk, LiveServer, RedisServer
from workflow import ROOT
from workflow.core.models import utcnow

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-artifacts" / "journeys"
PASSWORD = "salt wind over the night harbour"
OUTLET = "Frontline Deeply"

# What the journeys type, and look for again later.
HEADLINE = "Fishermen who sail by night"
SUMMARY = "Fishermen go out after the curfew siren to feed the town, and sell the catch before dawn."
ANGLE = "The fuel ration was cut again this week."
SOURCES = "Three crews, the harbour master and the fish sellers' union."
EXPERIENCE = "Six years reporting from the coast; I speak the dialect of the port."
DRAFT_DEK = "Fishermen sail after the curfew to feed the town."
DRAFT_BODY = ("The boats leave the harbour after the curfew siren.\n\n"
              "By dawn the catch is sold from the backs of cars.")
EDITED_DEK = "After the curfew, a few crews still sail: the town eats what they bring back."
EDITED_BODY = ("The boats slip out of the harbour after the curfew siren.\n\n"
               "By dawn the catch is sold from the backs of cars.")
REVISION_REQUEST = "Please add the harbour master's view of the night sailings."
REVISION_ADDITION = "The harbour master says he looks the other way: the town has to eat."
PHOTO_ALT = "Three fishing boats moored at dawn"
PHOTO_CAPTION = "Boats back in the old harbour at first light."
PHOTO_CREDIT = "Nour Aziz"


# --- the installation ---------------------------------------------------------------------------------------------

@dataclass
class Site:
    """One installation in processes, and what the journeys hand on to each other."""

    db: str
    base_url: str
    desk: Desk
    web: LiveServer
    mail: MailCatcher
    people: dict[str, dict]
    seeded: dict[str, int]
    story: dict = field(default_factory=dict)

    def email(self, who: str) -> str:
        return self.people[who]["email"]

    def name(self, who: str) -> str:
        return self.people[who]["name"]

    def wait_for_email(self, to: str, subject: str):
        """The email to ``to`` whose subject contains ``subject``, once the worker has delivered it."""
        return self.mail.wait_for_subject(to, subject, timeout=45)

    def link_in(self, message, path: str) -> str:
        """The link to ``path`` in an email's plain-text part: an address on this installation."""
        match = re.search(re.escape(self.base_url + path) + r"\S+", plain_body(message))
        assert match, f"no {path} link in: {plain_body(message)}"
        return match.group(0)


@contextmanager
def redis_broker(workdir: Path):
    """The machine's Redis (as the other worker tests use it); else a redis-server of our own."""
    if redis_available():
        yield REDIS_URL
        return
    if not RedisServer.available():
        missing_service(f"Redis is not reachable at {REDIS_URL} and redis-server is not installed")
    server = RedisServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def forget_keys(broker_url: str, queue: str, prefix: str) -> None:
    """Take this run's queue and rate-limit counters out of a Redis that others share."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        keys = [queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}",
                *client.scan_iter(match=f"*{prefix}*", count=1000)]
        client.delete(*keys)
    except redis.exceptions.ConnectionError:
        pass
    finally:
        client.close()


def seed_the_queue(site_web: LiveServer, people: dict) -> dict[str, int]:
    """Two pitches by another contributor, one of them commissioned: the queue of a working day."""
    sami = site_web.browser()
    sami.login(people["sami"]["email"], PASSWORD)
    ids = {}
    for key, headline, summary in (
        ("teachers", "Six teachers keep a school open under shelling",
         "Two hundred pupils and a basement timetable."),
        ("bakers", "The night bakers of the old city",
         "Bakers work through the curfew to keep bread on the shelves."),
    ):
        status, body, location = sami.post("/pitch", {
            "headline": headline, "summary": summary, "angle": "Term starts on Monday.", "sources": "Staff.",
        }, page="/pitch")
        assert status == 303, body
        ids[key] = int(re.search(r"/submissions/(\d+)", location)[1])
    jonas = site_web.browser()
    jonas.login(people["jonas"]["email"], PASSWORD)
    page = f"/submissions/{ids['bakers']}"
    html = jonas.get(page)
    editor_id = re.search(r'<option[^>]*value="(\d+)"[^>]*>Jonas Weber</option>', html)[1]
    status, body, _ = jonas.post(f"{page}/transition", {
        "action": "assign", "version": jonas.version(page), "editor_id": editor_id,
        "deadline": (utcnow().date() + timedelta(days=9)).isoformat(),
    }, page=page)
    assert status == 303, body
    return ids


@pytest.fixture(scope="module", autouse=True)
def patient_checks(browser):
    """The session's Chromium (tests/browsers.py); the machine may be busy, so each check here waits up to 15 s."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=15_000)
    yield
    playwright_expect.set_options(timeout=None)  # Playwright's default again, for the other modules of the session


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, browser, tmp_path_factory, smtp_server):
    """gunicorn + a Celery worker with beat + Redis + the SMTP catcher, on one database, for the module."""
    db = request.param
    workdir = tmp_path_factory.mktemp(f"e2e-{db}")
    with ExitStack() as stack:
        if db == "sqlite":
            database_url = f"sqlite:///{workdir / 'desk.sqlite'}"
        else:
            if not postgres_available():
                missing_service("PostgreSQL is not reachable")
            database_url = stack.enter_context(fresh_postgres_database())
        broker_url = stack.enter_context(redis_broker(workdir))
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        prefix = f"e2e-limits-{uuid.uuid4().hex[:8]}"
        desk = Desk(workdir, database_url, broker_url, smtp_server, base_url=base_url,
                    ratelimit_key_prefix=prefix)
        stack.callback(forget_keys, broker_url, desk.env["WORKFLOW_QUEUE"], prefix)
        stack.callback(desk.stop)  # runs first: every process ends, even when the set-up below fails
        desk.migrate()
        # Addresses of this database's run only: the SMTP catcher is shared by the whole session.
        people = {
            "nour": {"email": f"nour.{db}@example.org", "name": "Nour Aziz", "byline": "N. Aziz"},
            "sami": {"email": f"sami.{db}@example.org", "name": "Sami Khoury", "role": "contributor"},
            "dana": {"email": f"dana.{db}@example.org", "name": "Dana Haddad", "role": "editor"},
            "jonas": {"email": f"jonas.{db}@example.org", "name": "Jonas Weber", "role": "editor"},
            "reader": {"email": f"reader.{db}@example.org"},
        }
        for person in people.values():
            if "role" in person:
                desk.user(person["email"], person["role"], PASSWORD, person["name"])
        web = desk.web(port=port)
        desk.worker()
        seeded = seed_the_queue(web, people)
        yield Site(db, base_url, desk, web, smtp_server, people, seeded)


@pytest.fixture
def open_page(browser, site):
    """``open_page()``: a page in a fresh browser context (a person of their own); all closed after the test."""
    with page_opener(browser, site.base_url) as opener:
        yield opener


# --- helpers ------------------------------------------------------------------------------------------------------

def shot(page, site: Site, journey: int, step: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{site.db}-{journey}-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def press(page, button, status: int = 303) -> None:
    """Press a form's button and check the answer to the POST (a redirect after success, 422, 409...)."""
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        button.click()
    assert response.value.status == status, (response.value.url, response.value.status)
    page.wait_for_load_state()


def sign_in(page, email: str, lands_on: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page, page.get_by_role("main").get_by_role("button", name="Sign in"))
    page.wait_for_url(f"**{lands_on}")


def state_badge(page):
    return page.locator(".actions .badge").first


def flash(page):
    return page.locator(".flashes")


def main(page):
    return page.get_by_role("main")


def transition_form(page, button_label: str):
    """The workflow form of one button on the submission page."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button_label, exact=True))


def status_value(page, term: str):
    """A value of the Status card's list (Editor, Deadline...)."""
    return page.locator(".actions dt", has_text=re.compile(f"^{term}$")).locator("xpath=following-sibling::dd[1]")


def need(site: Site, key: str):
    if key not in site.story:  # run alone, or after a failure: in CI that is a failure, not a skip
        missing_service(f"an earlier journey on {site.db} did not get as far as {key!r}")
    return site.story[key]


def day(days: int):
    return utcnow().date() + timedelta(days=days)


def shown(date) -> str:
    return date.strftime("%d %b %Y")


# --- 1. a new contributor registers, confirms and pitches -------------------------------------------------------

def test_1_a_new_contributor_registers_confirms_and_pitches(site, open_page):
    nour = site.people["nour"]
    page = open_page()
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Become a contributor")
    page.get_by_label("Email address").fill(nour["email"])
    page.get_by_label("Your name").fill(nour["name"])
    page.get_by_label("Byline name").fill(nour["byline"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    discreet = page.get_by_label("Discreet emails")
    expect(discreet).to_be_checked()  # on unless the contributor says otherwise
    discreet.uncheck()  # Nour wants her emails to name the story: the journey reads them
    shot(page, site, 1, "register")
    press(page, main(page).get_by_role("button", name="Create my account"))
    page.wait_for_url("**/register/check-your-inbox")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    shot(page, site, 1, "check-your-inbox")

    # The email reached the SMTP server; its link opens a page that asks (a GET changes nothing), a button confirms.
    message = site.wait_for_email(nour["email"], "Confirm your email address")
    assert f"Dear {nour['name']}," in plain_body(message)
    page.goto(site.link_in(message, "/confirm/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    shot(page, site, 1, "confirm-email")
    press(page, main(page).get_by_role("button", name="Confirm my email address"))
    page.wait_for_url("**/login")
    expect(flash(page)).to_contain_text("Thank you: your email address is confirmed.")

    sign_in(page, nour["email"], lands_on="/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("My stories")
    expect(main(page)).to_contain_text("You have not pitched a story yet.")
    page.get_by_role("link", name="Pitch a new story").click()
    page.wait_for_url("**/pitch")

    # A pitch with two mistakes: no summary, and a length the desk does not take.
    deadline = day(30)
    page.get_by_label("Working headline").fill(HEADLINE)
    page.get_by_label("Why this, why now").fill(ANGLE)
    page.get_by_label("Sources and access").fill(SOURCES)
    page.get_by_label("Proposed length (words)").fill("50")
    page.get_by_label("When could you file?").fill(deadline.isoformat())
    page.get_by_label("Your relevant experience").fill(EXPERIENCE)
    press(page, main(page).get_by_role("button", name="Send my pitch"), status=422)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link", name="Summarise the story in a few sentences.")).to_have_attribute(
        "href", "#summary")
    expect(summary.get_by_role("link", name="Between 100 and 20,000 words.")).to_have_attribute(
        "href", "#proposed_words")
    # The message is next to its field too, and the field says it is invalid and where the message is.
    expect(page.locator("#summary-error")).to_have_text("Summarise the story in a few sentences.")
    expect(page.get_by_label("Summary")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Summary")).to_have_attribute("aria-describedby", re.compile(r"\bsummary-error\b"))
    expect(page.locator("#proposed_words-error")).to_have_text("Between 100 and 20,000 words.")
    expect(page.get_by_label("Proposed length (words)")).to_have_attribute("aria-invalid", "true")
    # Everything else is as it was typed.
    expect(page.get_by_label("Working headline")).to_have_value(HEADLINE)
    expect(page.get_by_label("Why this, why now")).to_have_value(ANGLE)
    expect(page.get_by_label("Sources and access")).to_have_value(SOURCES)
    expect(page.get_by_label("When could you file?")).to_have_value(deadline.isoformat())
    expect(page.get_by_label("Your relevant experience")).to_have_value(EXPERIENCE)
    expect(page.get_by_label("Proposed length (words)")).to_have_value("50")
    shot(page, site, 1, "pitch-with-error")

    # The error's link takes the keyboard to the field; fix the two fields only, and send.
    summary.get_by_role("link", name="Summarise the story in a few sentences.").click()
    expect(page.get_by_label("Summary")).to_be_focused()
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_label("Proposed length (words)").fill("1200")
    press(page, main(page).get_by_role("button", name="Send my pitch"))
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    expect(flash(page)).to_contain_text("Your pitch is with the desk")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(state_badge(page)).to_have_text("Pitched")
    pitch = page.get_by_role("region", name="The pitch")
    for text in (SUMMARY, ANGLE, SOURCES, "1200 words", shown(deadline), EXPERIENCE):
        expect(pitch).to_contain_text(text)
    site.story["submission_id"] = int(re.search(r"/submissions/(\d+)$", page.url)[1])
    shot(page, site, 1, "pitch-sent")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My stories").click()
    page.wait_for_url("**/dashboard")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=HEADLINE))
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("Pitched")
    expect(row).to_contain_text("An editor will read your pitch and answer.")
    shot(page, site, 1, "dashboard-with-pitch")

    site.wait_for_email(nour["email"], f"We received your pitch: {HEADLINE}")
    site.wait_for_email(site.email("dana"), f"New pitch: {HEADLINE}")


# --- 2. an editor finds the pitch in the queue and commissions it -----------------------------------------------

def test_2_an_editor_finds_the_pitch_and_assigns_it(site, open_page):
    submission_id = need(site, "submission_id")
    editor = open_page()
    sign_in(editor, site.email("dana"), lands_on="/queue")
    rows = editor.locator("table tbody tr")
    expect(rows).to_have_count(3)  # our pitch, and the other contributor's pitch and commissioned story
    shot(editor, site, 2, "queue")

    # Filter by state (the sidebar), then search for a word of the headline.
    editor.get_by_role("navigation", name="By state").get_by_role("link", name="Pitched", exact=True).click()
    editor.wait_for_url(re.compile(r".*state=pitched"))
    expect(editor.get_by_role("heading", level=1)).to_contain_text("Queue: pitched")
    expect(rows).to_have_count(2)
    editor.get_by_label("Search headline and summary").fill("night")
    editor.get_by_role("button", name="Apply").click()
    editor.wait_for_url(re.compile(r".*q=night"))
    assert "state=pitched" in editor.url
    # "The night bakers" matches the words too, but it is commissioned already: only our pitch is left.
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_text(HEADLINE)
    expect(rows.first).to_contain_text("Nour Aziz")
    expect(editor.get_by_label("Search headline and summary")).to_have_value("night")
    shot(editor, site, 2, "queue-filtered")

    editor.get_by_role("link", name=HEADLINE).click()
    editor.wait_for_url(f"**/submissions/{submission_id}")
    expect(state_badge(editor)).to_have_text("Pitched")
    deadline = day(14)
    assign = transition_form(editor, "Assign")
    assign.get_by_label("Editor").select_option(label=site.name("dana"))
    assign.get_by_label("Deadline for the draft").fill(deadline.isoformat())
    assign.get_by_label("Commissioned length (words)").fill("1200")
    assign.get_by_label("Fee").fill("250")
    shot(editor, site, 2, "assign")
    press(editor, assign.get_by_role("button", name="Assign", exact=True))
    expect(flash(editor)).to_contain_text("You assigned the story. It is now assigned.")
    expect(state_badge(editor)).to_have_text("Assigned")
    expect(status_value(editor, "Editor")).to_have_text(site.name("dana"))
    expect(status_value(editor, "Deadline")).to_have_text(shown(deadline))
    shot(editor, site, 2, "assigned")

    # The contributor is told by email...
    message = site.wait_for_email(site.email("nour"), f"Your pitch was commissioned: {HEADLINE}")
    body = plain_body(message)
    assert site.name("dana") in body and deadline.isoformat() in body and "250" in body, body

    # ...and sees it on their dashboard and their submission's page.
    contributor = open_page()
    sign_in(contributor, site.email("nour"), lands_on="/dashboard")
    row = contributor.get_by_role("row").filter(has=contributor.get_by_role("link", name=HEADLINE))
    expect(row.locator(".badge")).to_have_text("Assigned")
    expect(row).to_contain_text(f"Write and send your draft by {shown(deadline)}.")
    expect(row).to_contain_text(f"You, with {site.name('dana')}")
    shot(contributor, site, 2, "contributor-dashboard")
    row.get_by_role("link", name=HEADLINE).click()
    contributor.wait_for_url(f"**/submissions/{submission_id}")
    expect(state_badge(contributor)).to_have_text("Assigned")
    expect(status_value(contributor, "Deadline")).to_have_text(shown(deadline))
    expect(contributor.get_by_role("link", name="Write the draft")).to_be_visible()
    shot(contributor, site, 2, "contributor-submission")
    site.story["assigned"] = True


# --- 3. draft, edit, revision, photo, publication, and a reader subscribes -------------------------------------

def test_3_the_story_is_written_edited_revised_published_and_read(site, open_page, tmp_path):
    submission_id = need(site, "submission_id")
    need(site, "assigned")
    detail = f"/submissions/{submission_id}"

    # The contributor writes the first draft: headline and dek start from the pitch.
    contributor = open_page()
    sign_in(contributor, site.email("nour"), lands_on="/dashboard")
    contributor.goto(detail)
    contributor.get_by_role("link", name="Write the draft").click()
    contributor.wait_for_url(f"**{detail}/draft")
    expect(contributor.get_by_role("heading", level=1)).to_have_text("Your draft")
    expect(contributor.get_by_label("Headline")).to_have_value(HEADLINE)
    expect(contributor.get_by_label("Dek")).to_have_value(SUMMARY)
    contributor.get_by_label("Dek").fill(DRAFT_DEK)
    contributor.get_by_label("Body (Markdown)").fill(DRAFT_BODY)
    contributor.get_by_label("Note about this revision (optional)").fill("First go")
    shot(contributor, site, 3, "draft")
    press(contributor, contributor.get_by_role("button", name="Save revision"))
    expect(flash(contributor)).to_contain_text("Saved as revision 1.")
    site.wait_for_email(site.email("dana"), f"New draft from {site.name('nour')}: {HEADLINE}")

    # The editor edits it, marks it edited, then asks for a revision after all.
    editor = open_page()
    sign_in(editor, site.email("dana"), lands_on="/queue")
    editor.goto(detail)
    editor.get_by_role("link", name="Edit the draft").click()
    editor.wait_for_url(f"**{detail}/draft")
    expect(editor.get_by_role("heading", level=1)).to_have_text("Edit the draft")
    expect(editor.get_by_label("Body (Markdown)")).to_have_value(DRAFT_BODY)
    editor.get_by_label("Dek").fill(EDITED_DEK)
    editor.get_by_label("Body (Markdown)").fill(EDITED_BODY)
    editor.get_by_label("Note about this revision (optional)").fill("Tightened the lede")
    shot(editor, site, 3, "editor-edit")
    press(editor, editor.get_by_role("button", name="Save revision"))
    expect(flash(editor)).to_contain_text("Saved as revision 2.")
    press(editor, editor.get_by_role("button", name="Mark edited", exact=True))
    expect(state_badge(editor)).to_have_text("Edited")
    site.wait_for_email(site.email("nour"), f"Your story is edited and ready: {HEADLINE}")
    revise = transition_form(editor, "Needs revision")
    revise.get_by_label("What to revise, sent to the contributor").fill(REVISION_REQUEST)
    press(editor, revise.get_by_role("button", name="Needs revision", exact=True))
    expect(flash(editor)).to_contain_text("You asked for a revision. It is now assigned.")
    expect(state_badge(editor)).to_have_text("Assigned")
    message = site.wait_for_email(site.email("nour"), f"Your editor asks for a revision: {HEADLINE}")
    assert REVISION_REQUEST in plain_body(message)

    # The contributor reads the request, compares the editor's edit with their draft, and revises.
    contributor.goto(detail)
    expect(state_badge(contributor)).to_have_text("Assigned")
    expect(contributor.locator("#conversation .quote", has_text=REVISION_REQUEST)).to_have_count(1)
    shot(contributor, site, 3, "revision-requested")
    contributor.get_by_role("link", name="Compare revisions").click()
    contributor.wait_for_url(f"**{detail}/diff")
    expect(contributor.get_by_role("heading", level=1)).to_have_text("Compare revisions")
    expect(main(contributor)).to_contain_text(
        f"Changes from revision 1 (contributor's draft, {site.name('nour')}) "
        f"to revision 2 (editor's edit, {site.name('dana')}).")
    expect(contributor.locator(".diff-row ins", has_text="slip out of")).to_have_count(1)
    expect(contributor.locator(".diff-row del", has_text="leave")).to_have_count(1)
    expect(contributor.locator(".diff-row ins", has_text="a few crews still sail")).to_have_count(1)
    shot(contributor, site, 3, "diff")
    contributor.get_by_role("link", name=HEADLINE, exact=True).click()  # back (the arrow is hidden from readers)
    contributor.get_by_role("link", name="Revise the draft").click()
    contributor.wait_for_url(f"**{detail}/draft")
    body = contributor.get_by_label("Body (Markdown)")
    expect(body).to_have_value(EDITED_BODY)  # the revision starts from the editor's edit
    body.focus()
    contributor.keyboard.press("Control+End")
    contributor.keyboard.type(f"\n\n{REVISION_ADDITION}")
    contributor.get_by_label("Note about this revision (optional)").fill("Harbour master added")
    press(contributor, contributor.get_by_role("button", name="Save revision"))
    expect(flash(contributor)).to_contain_text("Saved as revision 3.")

    # The editor adds the top photo in the Images panel...
    from PIL import Image as Picture
    from PIL import ImageDraw

    photo = tmp_path / "harbour.jpg"
    picture = Picture.new("RGB", (1200, 800), (70, 120, 170))  # sky
    drawing = ImageDraw.Draw(picture)
    drawing.rectangle((0, 520, 1200, 800), fill=(30, 60, 90))  # sea
    for left in (150, 500, 850):  # three boats
        drawing.polygon([(left, 560), (left + 220, 560), (left + 180, 620), (left + 40, 620)], fill=(190, 60, 40))
        drawing.line([(left + 110, 560), (left + 110, 420)], fill=(240, 240, 230), width=6)
    picture.save(photo, "JPEG", quality=85)
    editor.goto(detail)
    upload = editor.locator("form.image-upload")
    upload.get_by_label("Photo", exact=True).set_input_files(str(photo))
    upload.get_by_label("Description (alt text)").fill(PHOTO_ALT)
    upload.get_by_label("Caption (optional)").fill(PHOTO_CAPTION)
    upload.get_by_label("Credit (optional)").fill(PHOTO_CREDIT)
    press(editor, upload.get_by_role("button", name="Upload the photo"))
    expect(flash(editor)).to_contain_text("Photo added.")
    item = editor.locator(".image-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(PHOTO_CAPTION)
    expect(item).to_contain_text(f"Photo: {PHOTO_CREDIT}")
    expect(item).to_contain_text("1200 × 800 px")

    # ...chooses it as the top image in "The story's page", marks the story edited and publishes it.
    panel = editor.locator("#publication")
    panel.get_by_label("Top image").select_option(label=PHOTO_ALT)
    panel.get_by_label("Tags").fill("Fishing, Curfew")
    press(editor, panel.get_by_role("button", name="Save the page settings"))
    expect(flash(editor)).to_contain_text("The story's page is set.")
    expect(editor.locator("#publication").get_by_label("Top image")).to_have_value(re.compile(r"^\d+$"))
    expect(editor.locator(".image-item__top")).to_have_text("Top image")
    shot(editor, site, 3, "images-and-page")
    press(editor, editor.get_by_role("button", name="Mark edited", exact=True))
    expect(state_badge(editor)).to_have_text("Edited")
    press(editor, editor.get_by_role("button", name="Publish", exact=True))
    expect(flash(editor)).to_contain_text("You published the story. It is now published.")
    expect(state_badge(editor)).to_have_text("Published")
    shot(editor, site, 3, "published-desk")
    site.wait_for_email(site.email("nour"), f"Published: {HEADLINE}")
    article_url = editor.get_by_role("link", name="See the published page").get_attribute("href")
    assert article_url.startswith("/articles/"), article_url
    site.story["article"] = article_url

    # A reader, who never signed in, reads the article: headline, dek, byline, photo with caption and credit.
    reader = open_page()
    reader.goto(article_url)
    article = reader.get_by_role("article")
    expect(article.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(article.locator(".article__dek")).to_have_text(EDITED_DEK)
    expect(article.locator(".article__byline")).to_have_text(site.people["nour"]["byline"])
    figure = article.locator("figure.article__figure")
    expect(figure.get_by_role("img", name=PHOTO_ALT)).to_be_visible()
    expect(figure.locator("figcaption")).to_contain_text(PHOTO_CAPTION)
    expect(figure.locator(".figure__credit")).to_have_text(f"Photo: {PHOTO_CREDIT}")
    reader.wait_for_function("""() => { const img = document.querySelector('figure.article__figure img');
        return img && img.complete && img.naturalWidth > 0; }""")
    body_text = article.locator(".article__body")
    expect(body_text).to_contain_text("The boats slip out of the harbour after the curfew siren.")
    expect(body_text).to_contain_text(REVISION_ADDITION)
    expect(article.get_by_role("list", name="Topics")).to_contain_text("Fishing")
    shot(reader, site, 3, "article")

    # The reader subscribes from the footer; the emailed link asks, the button confirms.
    footer = reader.get_by_role("contentinfo")
    footer.get_by_label("Your email address").fill(site.email("reader"))
    press(reader, footer.get_by_role("button", name="Subscribe"))
    reader.wait_for_url("**/newsletter/check-your-inbox")
    expect(reader.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    shot(reader, site, 3, "newsletter-check-inbox")
    message = site.wait_for_email(site.email("reader"), f"Confirm your subscription to the {OUTLET}")
    reader.goto(site.link_in(message, "/newsletter/confirm/"))
    expect(reader.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    expect(main(reader)).to_contain_text(site.email("reader"))
    shot(reader, site, 3, "newsletter-confirm")
    with reader.expect_response(lambda r: r.request.method == "POST" and "/newsletter/confirm/" in r.url) as answer:
        main(reader).get_by_role("button", name="Confirm my subscription").click()
    assert answer.value.status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    expect(reader.get_by_role("status")).to_have_text(
        f"Thank you. The {OUTLET} newsletter will come to {site.email('reader')} once a week.")
    shot(reader, site, 3, "newsletter-confirmed")


# --- 4. two editors, one stale page -----------------------------------------------------------------------------

def test_4_two_editors_on_one_page_the_second_gets_the_conflict_page(site, open_page):
    submission_id = site.seeded["teachers"]
    detail = f"/submissions/{submission_id}"
    first, second = open_page(), open_page()
    sign_in(first, site.email("dana"), lands_on="/queue")
    sign_in(second, site.email("jonas"), lands_on="/queue")
    for page in (first, second):
        page.goto(detail)
        expect(state_badge(page)).to_have_text("Pitched")

    # The first editor commissions the story for herself.
    deadline = day(10)
    assign = transition_form(first, "Assign")
    assign.get_by_label("Editor").select_option(label=site.name("dana"))
    assign.get_by_label("Deadline for the draft").fill(deadline.isoformat())
    press(first, assign.get_by_role("button", name="Assign", exact=True))
    expect(state_badge(first)).to_have_text("Assigned")

    # The second, from the page opened before, assigns it to himself with another deadline: refused with 409.
    stale = transition_form(second, "Assign")
    stale.get_by_label("Editor").select_option(label=site.name("jonas"))
    stale.get_by_label("Deadline for the draft").fill(day(20).isoformat())
    shot(second, site, 4, "stale-page")
    press(second, stale.get_by_role("button", name="Assign", exact=True), status=409)
    expect(second.get_by_role("heading", level=1)).to_have_text("This submission changed since you opened it")
    expect(main(second)).to_contain_text("Nothing you sent was saved, so nobody's work was overwritten.")
    card = main(second).locator(".card")
    expect(card).to_contain_text(f"It is now Assigned, with {site.name('dana')}.")
    expect(card.get_by_role("listitem")).to_have_count(1)
    expect(card.get_by_role("listitem")).to_contain_text(f"{site.name('dana')} moved it from pitched to assigned")
    shot(second, site, 4, "conflict")

    # Nothing was overwritten: the current version is the first editor's, and only she acted.
    second.get_by_role("link", name="Open the current version").click()
    second.wait_for_url(f"**{detail}")
    expect(state_badge(second)).to_have_text("Assigned")
    expect(status_value(second, "Editor")).to_have_text(site.name("dana"))
    expect(status_value(second, "Deadline")).to_have_text(shown(deadline))
    transitions = second.locator("#conversation li.tl-transition")
    expect(transitions.filter(has_text="moved it from pitched to")).to_have_count(1)
    expect(transitions.filter(has_text=site.name("jonas"))).to_have_count(0)
    # Only one commission was written to the contributor (the refused request wrote nothing), and it names Dana.
    expect(second.locator("#conversation li.tl-email", has_text="Your pitch was commissioned")).to_have_count(1)
    shot(second, site, 4, "current-version")
    message = site.wait_for_email(site.email("sami"), "Your pitch was commissioned: Six teachers")
    assert site.name("dana") in plain_body(message) and deadline.isoformat() in plain_body(message)


# --- 5. a contributor who works in Arabic, from the first click ------------------------------------------------

ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# The months as Arabic-speaking readers of Modern Standard Arabic news read them (CLDR's "ar").
ARABIC_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
                 "نوفمبر", "ديسمبر")
AR_NAME, AR_BYLINE = "هدى الخطيب", "هدى خ."
AR_HEADLINE = "مدرسة الأطفال في غزة تفتح أبوابها من جديد"
AR_SUMMARY = "بعد أشهر من الإغلاق، يعود مئتا طفل إلى صفوف مؤقتة في قبو المدرسة، ويتناوب المعلمون على الحصص."
AR_ANGLE = "بدأ الفصل الدراسي يوم الأحد."
AR_SOURCES = "مديرة المدرسة، وثلاثة معلمين، وأولياء أمور."


def arabic_page(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def submit_form_of(page, field: str, status: int = 303) -> None:
    """Press the submit button of the form holding ``field``, whatever the page's language calls it."""
    press(page, main(page).locator("form", has=page.locator(field)).locator("button[type=submit]").last, status)


def test_5_a_contributor_works_in_arabic_from_the_first_click(site, open_page):
    email = f"huda.{site.db}@example.org"
    page = open_page()  # a browser that asks for English
    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch = page.locator("a.language-switch[lang=ar]")
    expect(switch).to_have_text("العربية")
    switch.click()  # one click, and the desk speaks Arabic
    page.wait_for_url("**/register")
    arabic_page(page)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert ARABIC_LETTERS.search(heading) and not LATIN_WORD.search(heading), heading
    expect(page.locator("#locale")).to_have_value("ar")  # the language the page speaks, until she says otherwise
    page.locator("#time_zone").select_option("Asia/Beirut")
    page.locator("#email").fill(email)
    page.locator("#display_name").fill(AR_NAME)
    page.locator("#byline_name").fill(AR_BYLINE)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#discreet_emails").uncheck()  # she wants her emails to name the story: the journey reads them
    expect(page.locator("#display_name")).to_have_attribute("dir", "auto")
    shot(page, site, 5, "register-ar")
    submit_form_of(page, "#email")
    page.wait_for_url("**/register/check-your-inbox")
    arabic_page(page)

    # The confirmation email, in Arabic over real SMTP: subject, text and an HTML part laid out right to left.
    message = site.mail.wait_for(lambda m: m["To"] == email, timeout=45)[0]
    assert ARABIC_LETTERS.search(message["Subject"]) and not LATIN_WORD.search(message["Subject"]), \
        message["Subject"]
    assert '<html lang="ar" dir="rtl">' in html_body(message)
    assert ARABIC_LETTERS.search(plain_body(message))
    assert AR_NAME in plain_body(message)
    page.goto(site.link_in(message, "/confirm/"))
    arabic_page(page)
    submit_form_of(page, "input[name=csrf_token]")
    page.wait_for_url("**/login")
    arabic_page(page)

    # Signed in, in a browser of her own that asks for English: her own choice wins.
    elsewhere = open_page()
    elsewhere.goto("/login")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    elsewhere.locator("#email").fill(email)
    elsewhere.locator("#password").fill(PASSWORD)
    submit_form_of(elsewhere, "#password")
    elsewhere.wait_for_url("**/dashboard")
    arabic_page(elsewhere)
    shot(elsewhere, site, 5, "dashboard-ar")

    elsewhere.goto("/pitch")
    arabic_page(elsewhere)
    elsewhere.locator("#headline").fill(AR_HEADLINE)
    elsewhere.locator("#summary").fill(AR_SUMMARY)
    elsewhere.locator("#angle").fill(AR_ANGLE)
    elsewhere.locator("#sources").fill(AR_SOURCES)
    elsewhere.locator("#proposed_words").fill("1200")
    submit_form_of(elsewhere, "#headline")
    elsewhere.wait_for_url(re.compile(r".*/submissions/\d+$"))
    arabic_page(elsewhere)
    title = elsewhere.get_by_role("heading", level=1)
    expect(title).to_have_text(AR_HEADLINE)
    expect(title).to_have_attribute("dir", "auto")
    # Dates in Arabic, and times in her own zone, named (Beirut: UTC+2 in winter, UTC+3 in summer).
    now = utcnow()
    body = main(elsewhere).inner_text()
    assert ARABIC_MONTHS[now.month - 1] in body, body[:500]
    assert "توقيت لبنان" in body, body[:800]
    shot(elsewhere, site, 5, "pitch-sent-ar")

    # The email that her pitch was received: Arabic, with the headline she typed.
    received = site.mail.wait_for(lambda m: m["To"] == email and AR_HEADLINE in m["Subject"], timeout=45)[0]
    assert '<html lang="ar" dir="rtl">' in html_body(received)
    assert AR_HEADLINE in plain_body(received)

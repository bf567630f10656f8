"""Headless Chromium for the browser tests (Playwright, sync API), shared by every test file through
``pytest_plugins`` in conftest.py: the browser, the app served on a real port, and pages that fail a test on a
script error or anything the Content-Security-Policy blocks.

The server is werkzeug's ``make_server`` in a background thread, serving the session's ``app`` fixture, so
these tests run on SQLite and on PostgreSQL like every other. One browser is started for the whole session;
each test gets fresh browser contexts (cookies, viewport). Chromium comes from Debian (``/usr/bin/chromium``,
or ``WORKFLOW_TEST_CHROMIUM``); it is never downloaded. Without it these tests are skipped, unless
``CI=true``: then they fail.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import missing_service
from tests.support.forms import PASSWORD
from tests.support.ports import free_port
from workflow import ROOT
from workflow.extensions import db

CHROMIUM = os.environ.get("WORKFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


# --- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing_service(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_service("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a free loopback port, one per database, for the whole session."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-server-{port}", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def base_url(app, live_server, clean_db):
    """The live server's address; links in emails point there during the test."""
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = live_server
    yield live_server
    app.config["BASE_URL"] = saved


@contextmanager
def page_opener(browser, base_url: str):
    """Yields ``open(viewport=DESKTOP, **context_options)``: a page in a fresh browser context (cookies, viewport,
    ``java_script_enabled``, ``device_scale_factor``...) that records script errors and anything the
    Content-Security-Policy blocks on our own pages (a style or script it forbids is a bug). On the way out it
    fails on any of those, and closes every context."""
    contexts = []

    def opener(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=base_url, locale="en-GB", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.js_errors = errors
        return page

    try:
        yield opener
        for context in contexts:
            for page in context.pages:
                assert not page.js_errors, page.js_errors
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def open_page(browser, base_url, app):
    """``open_page(viewport=..., **context_options)``: see :func:`page_opener`."""
    with page_opener(browser, base_url) as opener:
        yield opener


# --- what a person does in the browser -----------------------------------------------------------------------------

def sign_in(page, email: str, password: str = PASSWORD):
    """Sign in through the form, as a person types; fails unless the browser leaves the sign-in page."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.locator("main").inner_text()


def no_horizontal_scroll(page) -> tuple[int, int]:
    """The page's scroll width and the viewport width (tables may scroll inside their own container)."""
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def shot(page, name: str, app) -> Path:
    """A full-page screenshot in ``test-artifacts/screenshots/``, named after the page and the database of this
    run (git-ignored, for a person to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        dialect = db.engine.dialect.name
    path = SCREENSHOTS / f"{name}.png" if dialect == "sqlite" else SCREENSHOTS / f"{dialect}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- what the page tests share ------------------------------------------------------------------------------------

# Where a page's layout fails a person on a narrow screen: a control or heading beyond the edges, touching the top, or
# text that does not fit its box (a list, as strings).
LAYOUT_PROBLEMS = """() => {
    const width = document.documentElement.clientWidth;
    const edge = 8;
    const problems = [];
    const items = document.querySelectorAll('h1, h2, h3, h4, label, .label, legend, button, .button,'
        + ' input:not([type=hidden]), select, textarea, .brand, .site-nav a');
    for (const el of items) {
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height || el.closest('.table-scroll, .section-nav, .visually-hidden')) continue;
        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
            + ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
        if (box.left < edge || box.right > width - edge) {
            problems.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)}px of ${width}px`);
        }
        if (box.top + window.scrollY < edge) {
            problems.push(`${name} touches the top of the page (${Math.round(box.top + window.scrollY)}px)`);
        }
        const inline = getComputedStyle(el).display === 'inline';
        if (!inline && !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1) {
            problems.push(`${name} holds ${el.scrollWidth}px of text in ${el.clientWidth}px`);
        }
    }
    return problems;
}"""


def article_slug(app, submission_id: int) -> str:
    from workflow.submissions.models import Submission

    with app.app_context():
        slug = db.session.get(Submission, submission_id).slug
        db.session.remove()
    return slug

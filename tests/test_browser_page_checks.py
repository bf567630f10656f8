"""Every page, public and behind login, in the states a user reaches, in English and in Arabic, checked by two tools
on every run:

- axe-core (the npm package, injected into the page in Chromium): zero serious or critical violations of
  WCAG 2.x A/AA and axe's best practices;
- the Nu HTML Checker (the npm package ``vnu-jar``, run on Java): zero errors in the HTML the server sent.

The pages come from the demo data (``workflow.demo``): every HTML route of the URL map as each person who may
see it (a test fails when a new route is not audited), every state of a submission as its contributor and as
the desk, and the states a user reaches by acting: forms refused with their messages, the "changed since you
opened it" page, the rate-limit page, empty lists, error pages, links from emails. Both tools' findings for
each page are written under ``test-artifacts/page-checks/`` (git-ignored), beside the HTML the checker read. In
each language every page also opens with its ``<html lang dir>`` and never scrolls sideways at 360 px, and the
main pages are photographed at 360 and 1280 px under ``test-artifacts/screens/<language>/``.

The checkers are installed by ``make test`` (``npm ci`` in ``tests/a11y``). Without them, Java or Chromium
these tests are skipped with the reason, except when ``CI=true``: then they fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from tests.browsers import DESKTOP
from tests.conftest import missing_service
from tests.helpers import second_step_code
from workflow import ROOT
from workflow.extensions import db, limiter

pytestmark = pytest.mark.browser

CHECKERS = ROOT / "tests" / "a11y" / "node_modules"
AXE = CHECKERS / "axe-core" / "axe.min.js"
VNU = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
REPORTS = ROOT / "test-artifacts" / "page-checks"
SCREENSHOTS = ROOT / "test-artifacts" / "screens"
NARROW = {"width": 360, "height": 740}
# Every page is checked in each language the desk speaks, as a browser asking for it would get it.
BROWSER_LOCALES = {"en": "en-GB", "ar": "ar"}
LANGUAGE_TAGS = {"en": '<html lang="en" dir="ltr">', "ar": '<html lang="ar" dir="rtl">'}
# The pages photographed at 360 and 1280 px in each language (under test-artifacts/screens/), to be looked at.
MAIN_PAGES = {"home", "article", "section", "search results", "guidelines", "sign in", "register",
              "contributor dashboard", "contributor pitch form", "contributor account", "contributor notifications",
              "contributor's assigned submission", "contributor draft form", "contributor revision diff",
              "editor queue", "editor's view of a pitched submission", "editor desk metrics", "admin people",
              "page not found", "register refused"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")

# Routes that answer with something other than an HTML page: the checkers have nothing to read there.
NOT_HTML = {"static", "articles.feed", "articles.section_feed", "articles.sitemap", "articles.robots",
            "media.image", "privacy.export", "submissions.attachment", "health.healthz", "health.readyz",
            "health.metrics", "language.switch"}

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
}"""


def submit(page, field: str) -> None:
    """Press the submit button of the form that holds ``field`` (whatever the page's language calls it)."""
    page.locator("main form", has=page.locator(field)).locator("button[type=submit]").first.click()


@pytest.fixture(params=sorted(BROWSER_LOCALES))
def language(request):
    return request.param


# --- the checkers -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def checkers():
    if not AXE.exists() or not VNU.exists():
        missing_service("the page checkers are not installed (tests/a11y/node_modules: `make test` runs npm ci "
                        "there; it needs Node.js and npm)")
    java = shutil.which("java")
    if java is None:
        missing_service("Java is not installed (apt-get install default-jre-headless), so the Nu HTML checker "
                        "cannot run")
    return {"axe": AXE.read_text(), "java": java}


def nu_errors(java: str, files: list[Path]) -> dict[Path, list[str]]:
    """The Nu HTML Checker's errors for each file, in one run of the checker."""
    result = subprocess.run([java, "-Xss8m", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
                             "--exit-zero-always", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found: dict[Path, list[str]] = {path: [] for path in files}
    for message in json.loads(result.stdout)["messages"]:
        path = Path(message["url"].removeprefix("file:"))
        where = f"line {message.get('lastLine', '?')}"
        found.setdefault(path, []).append(f"{where}: {message['message']}  [{message.get('extract', '').strip()}]")
    return found


@dataclass
class Audit:
    """The pages seen so far: each page's HTML as the server sent it, and what axe found in the browser."""

    folder: Path
    axe: str
    language: str
    endpoints: set[str] = field(default_factory=set)
    pages: list[tuple[str, str, Path]] = field(default_factory=list)  # (name, url, saved html)
    axe_findings: dict[str, list[dict]] = field(default_factory=dict)
    layout: list[str] = field(default_factory=list)  # pages that speak the wrong language or scroll sideways

    def check(self, page, name: str, app, status: int | None = None) -> None:
        """Check the page the browser shows now (after a navigation or a form's submission)."""
        page.wait_for_load_state()
        document = page.last_document
        assert document is not None, f"{name}: no document was loaded"
        assert status is None or document.status == status, f"{name}: {document.status}, expected {status}"
        html = document.text()
        path = self.folder / f"{len(self.pages):03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"
        path.write_text(html)
        self.pages.append((name, page.url, path))
        self.endpoints.add(endpoint_of(app, page.url))
        expected = LANGUAGE_TAGS[self.language]
        if expected not in html:
            self.layout.append(f"{name} ({page.url}) does not open with {expected}")
        page.add_script_tag(content=self.axe)
        self.axe_findings[name] = page.evaluate(RUN_AXE, AXE_TAGS)
        self.phone_width(page, name)

    def phone_width(self, page, name: str) -> None:
        """At 360 px the page never scrolls sideways; the main pages are photographed at 360 and 1280 px."""
        shots = SCREENSHOTS / self.language
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if name in MAIN_PAGES:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{slug}-1280.png"), full_page=True)
        page.set_viewport_size(NARROW)
        try:
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if wider > 0:
                self.layout.append(f"{name} ({page.url}) scrolls sideways by {wider} px at 360 px")
            if name in MAIN_PAGES:
                page.screenshot(path=str(shots / f"{slug}-360.png"), full_page=True)
        finally:
            page.set_viewport_size(DESKTOP)

    def visit(self, page, name: str, url: str, app, status: int = 200) -> None:
        page.goto(url)
        self.check(page, name, app, status)

    def report(self, java: str) -> list[str]:
        """Every serious or critical axe violation and every Nu error, one line per finding; writes the
        findings of each page beside its HTML."""
        problems = list(self.layout)
        nu = nu_errors(java, [path for _, _, path in self.pages])
        summary = []
        for name, url, path in self.pages:
            violations = self.axe_findings[name]
            failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
            for violation in failing:
                problems.append(f"axe {violation['impact']} on {name} ({url}): {violation['id']}: "
                                f"{violation['help']}: {violation['nodes']}")
            for error in nu[path]:
                problems.append(f"Nu error on {name} ({url}): {error}")
            summary.append({"page": name, "url": url, "html": path.name, "axe": violations, "nu": nu[path]})
        (self.folder / "findings.json").write_text(json.dumps(summary, indent=1))
        return problems


def endpoint_of(app, url: str) -> str:
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0]
    try:
        return app.url_map.bind("desk.test").match(path, method="GET")[0]
    except Exception:  # a 404 page, or a route that takes POST only (a refused form answered in place)
        try:
            return app.url_map.bind("desk.test").match(path, method="POST")[0]
        except Exception:
            return "(no route)"


# --- people and the demo data -------------------------------------------------------------------------------------

@pytest.fixture
def demo(app, clean_db):
    """The demo's people and stories, with the ids the pages need."""
    from workflow.demo.seed import DEMO_PASSWORD, load_demo
    from workflow.people.models import User
    from workflow.submissions.models import Revision, Submission

    with app.app_context():
        load_demo(progress=False)
        db.session.commit()
        people = {user.email: user for user in db.session.scalars(sa.select(User))}
        by_state = {}
        for submission in db.session.scalars(sa.select(Submission).order_by(Submission.id)):
            by_state.setdefault(submission.state.value, submission)
        # The walk below opens a story of every state: the demo must have one of each, or a page goes unchecked.
        assert set(by_state) == {"pitched", "assigned", "edited", "published", "declined", "withdrawn"}, by_state
        revised = db.session.execute(
            sa.select(Revision.submission_id, sa.func.max(Revision.number)).group_by(Revision.submission_id)
            .having(sa.func.count() >= 2).order_by(Revision.submission_id).limit(1)).one()
        published = by_state["published"]
        data = {
            "password": DEMO_PASSWORD,
            "ids": {email: user.id for email, user in people.items()},
            "public_id": published.contributor.public_id,
            "states": {state: (s.id, s.contributor.email) for state, s in by_state.items()},
            "published_slug": published.slug,
            "revised": (revised[0], revised[1],
                        db.session.get(Submission, revised[0]).contributor.email),
        }
        db.session.expunge_all()
    return data


@pytest.fixture
def browse(browser, live_server, app, demo, language):
    """``browse(who)``: a page in a context of its own, signed in as ``who`` (an email) or anonymous (None).
    Contexts bypass the Content-Security-Policy: axe is injected as an inline script."""
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = live_server
    contexts, pages = [], {}

    def opener(who: str | None = None, fresh: bool = False):
        if who in pages and not fresh:
            return pages[who]
        context = browser.new_context(viewport=DESKTOP, base_url=live_server, locale=BROWSER_LOCALES[language],
                                      bypass_csp=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.last_document = None

        def remember(response):
            if response.request.resource_type == "document" and response.frame == page.main_frame:
                page.last_document = response

        page.on("response", remember)
        if who is not None:
            page.goto("/login")
            page.locator("#email").fill(who)
            page.locator("#password").fill(demo["password"])
            submit(page, "#password")
            page.wait_for_load_state()
            if page.url.endswith("/login/verify"):  # the demo's editors and admins have an authenticator app
                page.locator("#code").fill(second_step_code(app, who))
                submit(page, "#code")
                page.wait_for_load_state()
            assert "/login" not in page.url, f"{who} could not sign in"
        if not fresh:
            pages[who] = page
        return page

    yield opener
    app.config["BASE_URL"] = saved
    for context in contexts:
        context.close()


# --- the walk -----------------------------------------------------------------------------------------------------

ADMIN, EDITOR = "admin@example.org", "editor@example.org"
CONTRIBUTOR = "reporter@example.org"


def test_every_page_passes_axe_and_the_nu_html_checker(app, demo, browse, checkers, language):
    from workflow.articles.models import Section
    from workflow.auth import services as accounts
    from workflow.core import tokens as tokens_module
    from workflow.newsletter import services as newsletter
    from workflow.newsletter.models import Subscriber
    from workflow.notifications import links
    from workflow.notifications.models import Notification
    from workflow.people.models import Role, User

    with app.app_context():
        dialect = db.engine.dialect.name
    folder = REPORTS / language / dialect
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    audit = Audit(folder, checkers["axe"], language)
    ids, states = demo["ids"], demo["states"]

    # Links from emails, with tokens made as the emails make them.
    with app.app_context():
        admin = db.session.get(User, ids[ADMIN])
        invitation = accounts.invite(admin, "new.editor@example.org", Role.EDITOR)
        reader = Subscriber(email="reader@example.org")
        db.session.add(reader)
        newcomer = accounts.create_user("newcomer@example.org", demo["password"], "Nadia New", "Nadia New",
                                        role=Role.CONTRIBUTOR, confirmed=True)
        db.session.commit()
        contributor = db.session.get(User, ids[CONTRIBUTOR])
        tokens = {
            "confirm": accounts.confirmation_token(contributor.id, contributor.email),
            "reset": accounts.reset_token(contributor),
            "not_me": tokens_module.make_token(tokens_module.NOT_ME, {"u": contributor.id}),
            "sign_in_link": accounts.sign_in_link_token(contributor.id, False, ""),
            "invitation": accounts.invitation_token(invitation.id),
            "unsubscribe": links.unsubscribe_token(contributor.id, "submission.message"),
            "newsletter_confirm": newsletter.confirmation_token(reader.id, reader.email),
            "newsletter_unsubscribe": newsletter.unsubscribe_token(reader.id, reader.email),
        }
        section_id = db.session.scalar(sa.select(Section.id).order_by(Section.id).limit(1))
        section_slug = db.session.get(Section, section_id).slug
        tag_slug = db.session.scalar(sa.text("SELECT slug FROM tags ORDER BY id LIMIT 1"))
        delivery = db.session.scalar(sa.select(Notification.id).order_by(Notification.id).limit(1))
        newcomer_id = newcomer.id
        # A story taken down after publication: its page answers 410 Gone.
        from workflow.submissions import services as workflow
        from workflow.submissions.models import Submission

        taken_down = db.session.scalars(sa.select(Submission).where(Submission.state == "published")
                                        .order_by(Submission.id.desc()).limit(1)).one()
        gone_slug = taken_down.slug
        workflow.transition(admin, taken_down, workflow.TransitionInput(
            action="unpublish", seen_version=taken_down.version, comment="A source asked us to."))
        db.session.commit()

    # The public site, as a reader.
    reader_page = browse(None)
    public = [("home", "/"), ("article", f"/articles/{demo['published_slug']}"),
              ("contributor page", f"/contributors/{demo['public_id']}"), ("section", f"/sections/{section_slug}"),
              ("tag", f"/tags/{tag_slug}"), ("search results", "/search?q=bread"),
              ("search without results", "/search?q=zebra+crossing"), ("search form", "/search"),
              ("guidelines", "/guidelines"), ("newsletter", "/newsletter"),
              ("newsletter check inbox", "/newsletter/check-your-inbox"), ("sign in", "/login"),
              ("register", "/register"), ("register check inbox", "/register/check-your-inbox"),
              ("forgot password", "/password/forgot"),
              ("confirm email", f"/confirm/{tokens['confirm']}"),
              ("reset password", f"/password/reset/{tokens['reset']}"),
              ("this was not me", f"/account/not-me/{tokens['not_me']}"),
              ("finish signing in by the emailed link", f"/login/link/{tokens['sign_in_link']}"),
              ("accept invitation", f"/invitation/{tokens['invitation']}"),
              ("unsubscribe from a kind of email", f"/unsubscribe/{tokens['unsubscribe']}"),
              ("newsletter confirm", f"/newsletter/confirm/{tokens['newsletter_confirm']}"),
              ("newsletter unsubscribe", f"/newsletter/unsubscribe/{tokens['newsletter_unsubscribe']}")]
    for name, url in public:
        audit.visit(reader_page, name, url, app)
    for name, url, status in [("page not found", "/no-such-page", 404),
                              ("expired or broken link", "/password/reset/not-a-token", 400),
                              ("newsletter link not valid", "/newsletter/confirm/not-a-token", 404),
                              ("story taken down", f"/articles/{gone_slug}", 410),
                              ("sign in needed", "/queue", 200)]:  # the sign-in page, after a redirect
        audit.visit(reader_page, name, url, app, status)

    # Forms refused, as a reader: each message next to its field, with the summary on top.
    reader_page.goto("/login")
    reader_page.locator("#email").fill(CONTRIBUTOR)
    reader_page.locator("#password").fill("not the password at all")
    submit(reader_page, "#password")
    audit.check(reader_page, "sign in refused", app, status=422)
    reader_page.goto("/register")
    reader_page.locator("main form").last.locator("button[type=submit]").click()
    audit.check(reader_page, "register refused", app, status=422)
    reader_page.goto("/password/forgot")
    reader_page.locator("main form").last.locator("button[type=submit]").click()
    audit.check(reader_page, "forgot password refused", app, status=422)
    reader_page.goto("/newsletter")
    signup = reader_page.locator("main form").first
    signup.evaluate("form => { form.noValidate = true; }")  # the server's answer, not the browser's check
    signup.locator("input[type=email]").fill("not an address")
    signup.locator("button[type=submit]").click()
    audit.check(reader_page, "newsletter signup refused", app, status=422)

    # A contributor: their own pages, and each of their stories in each state.
    mine = browse(CONTRIBUTOR)
    for name, url in [("dashboard", "/dashboard"), ("pitch form", "/pitch"), ("account", "/account"),
                      ("notifications", "/notifications"), ("notification settings", "/account/notifications"),
                      ("signed-in devices", "/account/devices"), ("confirm it is you", "/account/confirm"),
                      ("add a security key", "/account/two-step/keys/new")]:
        audit.visit(mine, f"contributor {name}", url, app)
    mine.goto("/pitch")
    mine.locator("main form").last.locator("button[type=submit]").last.click()
    audit.check(mine, "contributor pitch refused", app, status=422)
    mine.goto("/account")
    password_form = mine.locator("form", has=mine.locator("input[name=pw-current_password]"))
    password_form.locator("input[name=pw-password]").fill("short")
    password_form.locator("button[type=submit]").click()
    audit.check(mine, "contributor password change refused", app, status=422)
    for state, (submission_id, owner) in states.items():
        audit.visit(browse(owner), f"contributor's {state} submission", f"/submissions/{submission_id}", app)
    assigned_id, assigned_owner = states["assigned"]
    audit.visit(browse(assigned_owner), "contributor draft form", f"/submissions/{assigned_id}/draft", app)
    revised_id, last, revised_owner = demo["revised"]
    audit.visit(browse(revised_owner), "contributor revision diff", f"/submissions/{revised_id}/diff", app)
    audit.visit(browse(revised_owner), "contributor revision", f"/submissions/{revised_id}/revisions/{last}", app)
    owner_page = browse(assigned_owner)
    owner_page.goto(f"/submissions/{assigned_id}")
    message_form = owner_page.locator("form", has=owner_page.locator("textarea[name=body]")).first
    message_form.locator("button[type=submit]").click()
    audit.check(owner_page, "contributor empty message refused", app, status=422)
    newcomer_page = browse("newcomer@example.org")
    audit.visit(newcomer_page, "new contributor's empty dashboard", "/dashboard", app)
    audit.visit(newcomer_page, "no notifications yet", "/notifications", app)
    audit.visit(mine, "the desk is not for contributors", "/queue", app, 403)
    # The contributor sets up an authenticator app: the page with the QR code, a wrong code, then the codes.
    audit.visit(mine, "set up an authenticator app", "/account/two-step/app", app)
    mine.locator("#code").fill("000000")
    mine.locator("main form button[type=submit]").click()
    audit.check(mine, "set up an authenticator app, wrong code", app, status=422)
    key = mine.locator("code.secret").inner_text().replace(" ", "")
    mine.locator("#code").fill(pyotp.TOTP(key).now())
    mine.locator("main form button[type=submit]").click()
    audit.check(mine, "recovery codes", app, status=200)
    audit.visit(mine, "contributor account with two-step sign-in", "/account", app)

    # The desk.
    desk = browse(EDITOR)
    for name, url in [("queue", "/queue"), ("queue filtered", "/queue?state=pitched&q=bread"),
                      ("queue without results", "/queue?q=zebra+crossing"), ("dashboard", "/dashboard"),
                      ("email templates", "/admin/emails"), ("email template", "/admin/emails/submission.assigned"),
                      ("email template reset", "/admin/emails/submission.assigned/reset"),
                      ("newsletter admin", "/admin/newsletter"), ("account", "/account"),
                      ("desk metrics", "/desk/metrics"), ("desk metrics for a year", "/desk/metrics?weeks=52")]:
        audit.visit(desk, f"editor {name}", url, app)
    audit.visit(desk, "desk metrics for a period not offered", "/desk/metrics?weeks=7", app, 400)
    for state, (submission_id, _) in states.items():
        audit.visit(desk, f"editor's view of a {state} submission", f"/submissions/{submission_id}", app)
    audit.visit(desk, "editor revision diff", f"/submissions/{revised_id}/diff", app)
    audit.visit(desk, "editor revision", f"/submissions/{revised_id}/revisions/{last}", app)
    audit.visit(desk, "editor draft form", f"/submissions/{assigned_id}/draft", app)

    pitched_id, _ = states["pitched"]
    desk.goto(f"/submissions/{pitched_id}")
    assign = desk.locator("form", has=desk.locator("input[name=deadline]")).first
    assign.locator("input[name=deadline]").fill("")
    assign.locator("button[type=submit]").first.click()
    audit.check(desk, "editor assign refused", app, status=422)
    # The "changed since you opened it" page: another editor assigns the pitch while this one has it open.
    other_desk = browse("editor2@example.org")
    desk.goto(f"/submissions/{pitched_id}")
    other_desk.goto(f"/submissions/{pitched_id}")
    for editor_page in (other_desk, desk):
        assign = editor_page.locator("form", has=editor_page.locator("input[name=deadline]")).first
        assign.locator("input[name=deadline]").fill("2031-05-01")
        assign.locator("button[type=submit]").first.click()
        editor_page.wait_for_load_state()
    audit.check(desk, "changed since you opened it", app, status=409)

    # Admin pages.
    admin_page = browse(ADMIN)
    for name, url in [("people", "/admin/people"), ("person", f"/admin/people/{newcomer_id}"),
                      ("deliveries", "/admin/deliveries"), ("delivery", f"/admin/deliveries/{delivery}"),
                      ("sections", "/admin/sections"), ("section", f"/admin/sections/{section_id}"),
                      ("delete section", f"/admin/sections/{section_id}/delete"), ("action log", "/admin/log"),
                      ("guidelines editor", "/admin/pages/guidelines")]:
        audit.visit(admin_page, f"admin {name}", url, app)
    admin_page.goto("/admin/sections")
    admin_page.locator("main form").last.locator("button[type=submit]").click()
    audit.check(admin_page, "admin section refused", app, status=422)

    audit.visit(admin_page, "person with a second step", f"/admin/people/{demo['ids'][EDITOR]}", app)

    # The second step of a sign-in: a code, refused once, then taken.
    second = browse(None, fresh=True)
    second.goto("/login")
    second.locator("#email").fill("editor2@example.org")
    second.locator("#password").fill(demo["password"])
    submit(second, "#password")
    audit.check(second, "second step", app)
    second.locator("#code").fill("000000")
    submit(second, "#code")
    audit.check(second, "second step refused", app, status=422)
    # An editor with no second step, as the production policy has it: set one up before the desk.
    with app.app_context():
        accounts.create_user("new.editor.two@example.org", demo["password"], "Nour New", role=Role.EDITOR,
                             confirmed=True)
        db.session.commit()
    saved_policy = app.config["REQUIRE_SECOND_FACTOR"]
    app.config["REQUIRE_SECOND_FACTOR"] = "staff"
    try:
        enrolling = browse(None, fresh=True)
        enrolling.goto("/login")
        enrolling.locator("#email").fill("new.editor.two@example.org")
        enrolling.locator("#password").fill(demo["password"])
        submit(enrolling, "#password")
        audit.check(enrolling, "set up an authenticator app at sign-in", app)
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = saved_policy

    # Too many tries: the rate-limit page. The count starts from nothing: the walk's earlier refused sign-ins came
    # from the same address, and as they leave the minute's window one by one the eleventh try would be let through.
    with app.app_context():
        limiter.reset()
    limited = browse(None, fresh=True)
    for _ in range(11):
        limited.goto("/login")
        limited.locator("#email").fill("someone@example.org")
        limited.locator("#password").fill("wrong password, again and again")
        submit(limited, "#password")
        limited.wait_for_load_state()
    audit.check(limited, "too many tries", app, status=429)

    html_routes = {rule.endpoint for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.endpoint not in NOT_HTML}
    assert html_routes - audit.endpoints == set(), "an HTML route no page check visits"

    problems = audit.report(checkers["java"])
    print(f"page checks in {language} on {dialect}: {len(audit.pages)} pages, {len(html_routes)} routes, "
          f"{len(problems)} problems; findings in {folder}")
    assert not problems, "\n".join(problems)

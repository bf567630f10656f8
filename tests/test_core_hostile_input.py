"""No URL, query value or form field answers 500, whatever is typed or pasted into it.

The rules are read from ``app.url_map``, so a new route is walked without anyone adding it here. Three walks, on
SQLite and on PostgreSQL, as an anonymous visitor, a contributor, an editor and an admin:

1. every argument of every rule (ids, slugs, tokens, events, keys) is replaced by each hostile value in turn;
2. every query parameter a GET view reads (found in the view's source, see ``query_parameters``) gets each
   hostile value, on the page with its real arguments;
3. every field of every form the pages show (parsed from the page, posted with the page's CSRF token) gets each
   hostile value, the other fields keeping what the page gave them.

Every answer below 500 passes (a 404 for an id that cannot exist, a 400 or a form's 422 for text that cannot be
read); the failures are collected and listed together: route, value, role, status and what was raised.
"""

from __future__ import annotations

import inspect
import re
import time
from collections import Counter

import pytest
from flask import got_request_exception, request

from tests.helpers import forms_on, path_of, url_of

HOSTILE = {
    "NUL": "a\x00b",
    "huge integer": "99999999999999999999999",
    "INTEGER max + 1": "2147483648",
    "BIGINT max + 1": "9223372036854775808",
    "negative": "-1",
    "zero": "0",
    "earliest date": "0001-01-01T00:00:00+14:00|1",
    "latest date": "9999-12-31T23:59:59-14:00|1",
    "superscript two": "\u00b2",
    "Arabic-Indic three": "\u0663",
    "CR/LF": "a\r\nSet-Cookie: x=1",
    "10 000 characters": "x" * 10_000,
    "sNaN": "sNaN",
    "1e999": "1e999",
}

ROLES = {"anonymous": "anonymous", "contributor": "contributor_a", "editor": "editor", "admin": "admin"}

# Query parameters a view reads through a helper rather than ``request.args`` in its own body.
READ_BY_HELPER = {
    "safe_next(": ("next",),
    "QueueFilters.from_args(": ("state", "assignee", "sort", "overdue", "late", "q"),
}
_ARGS_READ = re.compile(r"request\.(?:args|values)\.get\(\s*[\"'](\w+)[\"']")

# Forms whose success would end the walk's own sessions or accounts: their fields are walked like any other's
# elsewhere (these hold no field but the CSRF token, or a password), and their URLs in walk 1.
ENDS_THE_WALK = {"auth.logout", "auth.delete_account", "auth.end_other_sessions", "auth.end_session",
                 "admin.disable", "admin.end_sessions", "admin.reset_second_factor", "second_factor.remove_app"}


def _source_with_helpers(function) -> str:
    """A view's source, and that of the functions of its own module that it calls (at any depth)."""
    module = inspect.getmodule(function)
    sources, queue, seen = [], [function], set()
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        source = inspect.getsource(current)
        sources.append(source)
        for name in re.findall(r"(?<![\w.])(\w+)\(", source):
            called = getattr(module, name, None)
            if inspect.isfunction(called) and inspect.getmodule(called) is module:
                queue.append(inspect.unwrap(called))
    return "\n".join(sources)


def query_parameters(app) -> dict[str, tuple[str, ...]]:
    """The query parameters each endpoint reads, found in its view's source (and its module's helpers)."""
    found = {}
    for rule in app.url_map.iter_rules():
        source = _source_with_helpers(inspect.unwrap(app.view_functions[rule.endpoint]))
        names = set(_ARGS_READ.findall(source))
        for call, read in READ_BY_HELPER.items():
            if call in source:
                names.update(read)
        if names:
            found[rule.endpoint] = tuple(sorted(names))
    return found


class Walk:
    """Sends requests, keeps the count by status class and every failure (5xx or an exception)."""

    def __init__(self, app, clients):
        self.app = app
        self.clients = clients
        self.tokens = {role: clients[key].csrf_token() for role, key in ROLES.items()}
        self.statuses: Counter[str] = Counter()
        self.failures: list[str] = []
        self.raised: list[BaseException] = []
        self.endpoints_hit: set[str] = set()

    def _record_exception(self, sender, exception, **extra):
        self.raised.append(exception)

    def send(self, role: str, method: str, path: str, *, endpoint: str, value: str, where: str,
             query: dict | None = None, data: dict | None = None, multipart: bool = False) -> None:
        http = self.clients[ROLES[role]].http
        self.raised.clear()
        try:
            if method == "GET":
                response = http.get(path, query_string=query)
                status = response.status_code
            else:
                form = {"csrf_token": self.tokens[role], **(data or {})}
                response = http.post(path, query_string=query, data=form,
                                     content_type="multipart/form-data" if multipart else None)
                status = response.status_code
        except Exception as error:  # the error page itself failed: the server would answer a bare 500
            status, self.raised = "raised", [*self.raised, error]
        self.endpoints_hit.add(endpoint)
        self.statuses[f"{str(status)[0]}xx" if status != "raised" else "raised"] += 1
        if status == "raised" or status >= 500:
            what = "; ".join(f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
                             for e in self.raised)
            self.failures.append(f"{status} {method} {endpoint} {where} = {value} as {role}: {what}")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


@pytest.fixture
def walk(app, one_of_everything, factory, monkeypatch):
    from workflow.extensions import limiter

    values, slugs, clients = one_of_everything
    # A pitch too, whose page holds the forms a story has before it is commissioned (the editor, the fee).
    values["pitch_id"] = factory.submission(factory.user(), "pitched").id
    monkeypatch.setattr(limiter, "enabled", False)  # thousands of requests a minute: no person sends that many
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # a 500 answers the error page, as in production
    for role, key in ROLES.items():
        if role != "anonymous":
            page = clients[key].get("/account")
            assert page.status_code == 200 and clients[key].user_email in page.get_data(as_text=True), role
    walk = Walk(app, clients)
    got_request_exception.connect(walk._record_exception, app)
    yield walk, values, slugs
    got_request_exception.disconnect(walk._record_exception, app)


def test_no_hostile_value_anywhere_answers_500(app, walk, capsys):
    walk, values, slugs = walk
    started = time.monotonic()
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint in ENDS_THE_WALK, rule.rule))

    # 2. query parameters, on each GET page with its real arguments
    parameters = query_parameters(app)
    assert {("articles.index", "after"), ("articles.search", "q"), ("submissions.desk_metrics", "weeks"),
            ("submissions.queue", "state"), ("admin.deliveries", "q"), ("notifications.inbox", "before"),
            ("auth.login", "next"), ("articles.section", "after"), ("articles.tag", "before"),
            ("articles.contributor", "after")} <= {(e, n) for e, names in parameters.items() for n in names}, parameters
    query_walked = set()
    for rule in rules:
        if rule.endpoint not in parameters or "GET" not in rule.methods or rule.endpoint in ENDS_THE_WALK:
            continue
        path = url_of(app, rule, values, slugs)
        for name in parameters[rule.endpoint]:
            for label, value in HOSTILE.items():
                for role in ROLES:
                    walk.send(role, "GET", path, endpoint=rule.endpoint, value=label, where=f"?{name}=",
                              query={name: value})
            query_walked.add((rule.endpoint, name))

    # 3. the fields of every form on every page a role can open
    seen_forms = {}
    adapter = app.url_map.bind("desk.test")
    pages = [url_of(app, rule, values, slugs) for rule in rules
             if "GET" in rule.methods and rule.endpoint not in ("static", "health.metrics")]
    pages.append(f"/submissions/{values['pitch_id']}")
    for role, key in ROLES.items():
        for path in pages:
            page = walk.clients[key].get(path)
            if page.status_code != 200 or "html" not in page.mimetype:
                continue
            for form in forms_on(page.get_data(as_text=True), path):
                if form.method != "post":
                    continue
                endpoint = adapter.match(form.action.split("?")[0], method="POST")[0]
                fields = tuple(name for name in form.names if name != "csrf_token")
                if endpoint in ENDS_THE_WALK or not fields:
                    continue
                seen_forms.setdefault((endpoint, fields, role), form)
    for (endpoint, fields, role), form in seen_forms.items():
        for name in fields:
            for label, value in HOSTILE.items():
                walk.send(role, "POST", form.action, endpoint=endpoint, value=label, where=f"field {name}",
                          data=form.data(**{name: value}), multipart="multipart" in form.enctype)
        for name in parameters.get(endpoint, ()):  # what the form's address carries (?next=)
            for label, value in HOSTILE.items():
                walk.send(role, "POST", form.action.split("?")[0], endpoint=endpoint, value=label,
                          where=f"?{name}=", query={name: value}, data=form.data(),
                          multipart="multipart" in form.enctype)
            query_walked.add((endpoint, name))
    forms_walked = {endpoint for endpoint, _, _ in seen_forms}

    # 1. every argument of every rule (the rules whose success would end a session come last)
    path_walked = set()
    for rule in rules:
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        for name in rule.arguments:
            for label, value in HOSTILE.items():
                for role in ROLES:
                    walk.send(role, method, path_of(rule, values, slugs, **{name: value}), endpoint=rule.endpoint,
                              value=label, where=f"<{name}>")
            path_walked.add(rule.endpoint)

    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\n[{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}] {len(path_walked)} routes by their "
              f"arguments, {len(query_walked)} query parameters on {len(parameters)} pages, {len(seen_forms)} forms "
              f"({len(forms_walked)} endpoints), {len(HOSTILE)} hostile values, {len(ROLES)} roles: "
              f"{walk.requests} requests in {seconds:.0f} s, {dict(sorted(walk.statuses.items()))}")

    # The walk covered the map: every rule with an argument, every page's parameters, the forms that matter.
    with_arguments = {rule.endpoint for rule in app.url_map.iter_rules() if rule.arguments} - {"static"}
    assert path_walked == with_arguments
    get_parameters = {(rule.endpoint, n) for rule in app.url_map.iter_rules() if "GET" in rule.methods
                      for n in parameters.get(rule.endpoint, ())}
    assert get_parameters <= query_walked
    assert {"auth.register", "auth.login", "auth.change_email", "newsletter.signup", "admin.invite",
            "submissions.transition", "submissions.save_view", "submissions.pitch", "submissions.draft",
            "admin.sections", "editorial.page"} <= forms_walked, sorted(forms_walked)
    assert len(forms_walked) >= 20, sorted(forms_walked)
    assert not walk.failures, f"{len(walk.failures)} answers of 500:\n" + "\n".join(walk.failures)
    for role, key in ROLES.items():  # the walk was made as the people it says
        if role != "anonymous":
            page = walk.clients[key].get("/account")
            assert page.status_code == 200 and walk.clients[key].user_email in page.get_data(as_text=True), role


def test_the_browser_is_not_mistaken_for_anonymous(app, one_of_everything):
    """The walk's roles see different pages (a check that the sign-ins the walk relies on are real)."""
    _, _, clients = one_of_everything
    assert clients["anonymous"].get("/queue").status_code == 302
    assert clients["contributor_a"].get("/queue").status_code == 403
    assert clients["editor"].get("/queue").status_code == 200
    assert clients["editor"].get("/admin/people").status_code == 403
    assert clients["admin"].get("/admin/people").status_code == 200



# Each route that reads a signed link, and the kind of link it reads.
TOKEN_ROUTES = {
    "auth.confirm": "CONFIRM", "auth.confirm_post": "CONFIRM",
    "auth.sign_in_link": "SIGN_IN_LINK", "auth.sign_in_link_post": "SIGN_IN_LINK",
    "auth.reset_password": "RESET", "auth.not_me": "NOT_ME", "auth.not_me_post": "NOT_ME",
    "auth.accept_invitation": "INVITE", "notifications.unsubscribe": "UNSUBSCRIBE",
    "newsletter.confirm": "NEWSLETTER_CONFIRM", "newsletter.confirm_post": "NEWSLETTER_CONFIRM",
    "newsletter.unsubscribe": "NEWSLETTER_UNSUBSCRIBE",
}
# Signed with the desk's own key and the right purpose, but not what a link of that kind holds.
WRONG_PAYLOADS = [[1, "a"], 7, "u", None, {}, {"u": [1], "i": [1], "s": [1]},
                  {"u": 10**30, "i": 10**30, "s": 10**30, "e": "a@example.org", "p": "x", "r": True, "n": ""},
                  {"u": "1", "i": "1", "s": "1", "e": 5, "p": 5, "r": "yes", "n": 5},
                  {"u": True, "i": True, "s": True, "e": ["a"]}]


def test_a_signed_link_holding_the_wrong_payload_is_an_invalid_link(app, client):
    from flask import url_for

    from workflow.core import tokens

    rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert {rule.endpoint for rule in rules} == set(TOKEN_ROUTES), "a new kind of signed link: add it here"
    failures = []
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        for payload in WRONG_PAYLOADS:
            with app.test_request_context():
                token = tokens.make_token(getattr(tokens, TOKEN_ROUTES[rule.endpoint]), payload)
                path = url_for(rule.endpoint, token=token)
            response = client.get(path) if method == "GET" else client.post(path, {}, page="/login")
            if response.status_code >= 500 or response.status_code == 200 and "not valid" not in \
                    response.get_data(as_text=True):
                failures.append(f"{method} {rule.endpoint} {payload!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_error_page_never_fails_after_a_failed_statement(another_app, factory):
    """A query that fails inside the request's transaction (on PostgreSQL the transaction is then aborted) still
    answers the desk's own error page, with the signed-in person's menu, not a bare 500 of the server's."""
    import sqlalchemy as sa
    from flask_login import login_required

    from tests.helpers import Client
    from workflow.extensions import db

    broken_app = another_app({"PROPAGATE_EXCEPTIONS": False})

    @broken_app.route("/broken", methods=["GET", "POST"])
    @login_required
    def broken():
        db.session.execute(sa.text("SELECT 1"))  # the transaction has begun
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    person = factory.user("editor")
    browser = Client(broken_app)
    assert browser.login(person.email).status_code == 303
    for response in (browser.get("/broken"), browser.post("/broken", {})):
        page = response.get_data(as_text=True)
        assert response.status_code == 500, response.request.method
        assert "Something went wrong on our side" in page
        assert person.display_name in page and "Notifications" in page  # the desk's layout, after the failure
    assert browser.get("/account").status_code == 200  # and the next request is served as usual


def test_the_plain_error_page_when_even_the_error_page_fails_speaks_the_reader_s_language(another_app):
    """The last resort, when the desk's own error page cannot be drawn either, is still in the reader's language
    and direction."""
    from tests.helpers import Client, in_arabic

    broken_app = another_app({"PROPAGATE_EXCEPTIONS": False})

    @broken_app.route("/broken")
    def broken():
        raise RuntimeError("the page fails")

    @broken_app.context_processor
    def the_layout_fails_too():
        if request.path == "/broken":
            raise RuntimeError("and so does the error page")
        return {}

    reader = Client(broken_app)
    response = reader.get("/broken")
    assert response.status_code == 500
    assert '<html lang="en" dir="ltr">' in response.get_data(as_text=True)
    assert "Go to the front page" in response.get_data(as_text=True)
    page = in_arabic(reader).get("/broken").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "حدث خطأ من جهتنا" in page  # Something went wrong on our side
    assert "Go to the front page" not in page


NON_ASCII_ADDRESS = "jos\u00e9@example.org"


def test_every_form_that_takes_an_address_to_mail_refuses_one_outside_ascii(app, factory, make_client,
                                                                              monkeypatch):
    from workflow.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    admin, person = factory.user("admin"), factory.user()
    visitor, signed_in, desk = make_client(), make_client(), make_client()
    assert signed_in.login(person.email).status_code == 303 and desk.login(admin.email).status_code == 303
    answers = {
        "register": visitor.post("/register", {"email": NON_ASCII_ADDRESS, "display_name": "Jo", "byline_name": "Jo",
                                               "password": "a long pass phrase 7", "confirm": "a long pass phrase 7"},
                                 page="/register"),
        "newsletter": visitor.post("/newsletter", {"email": NON_ASCII_ADDRESS}, csrf=False),
        "email change": signed_in.post("/account/email", {"em-email": NON_ASCII_ADDRESS,
                                                          "em-password": "correct horse battery staple"},
                                       page="/account"),
        "invitation": desk.post("/admin/invitations", {"email": NON_ASCII_ADDRESS, "role": "editor"},
                                page="/admin/people"),
    }
    for form, response in answers.items():
        assert response.status_code in (200, 400, 422) or response.status_code == 303, (form, response.status_code)
        page = response.get_data(as_text=True) if response.status_code != 303 else \
            (signed_in if form == "email change" else desk).get(response.location).get_data(as_text=True)
        assert "letters outside A to Z" in page, form
    with app.app_context():
        import sqlalchemy as sa

        from workflow.auth.models import Invitation
        from workflow.extensions import db
        from workflow.newsletter.models import Subscriber
        from workflow.people.models import User

        for column in (User.email, User.pending_email, Invitation.email, Subscriber.email):
            assert db.session.scalar(sa.select(sa.func.count()).where(column == NON_ASCII_ADDRESS)) == 0, column


def test_an_email_that_cannot_be_composed_or_encoded_fails_for_good_at_once(app, factory, caplog):
    """An account made before addresses were checked: its email is kept as failed, with the reason, at the first
    attempt (no later attempt could send it), and no log line names the address."""
    import sqlalchemy as sa

    from workflow.core.transaction import discard_after_commit
    from workflow.extensions import db
    from workflow.notifications import delivery
    from workflow.notifications.models import DeliveryStatus, Notification
    from workflow.notifications.services import notify
    from workflow.people.models import User

    person = factory.user(email=NON_ASCII_ADDRESS)
    with app.app_context():  # never handed to the test run's worker: this test delivers it itself
        ids = [notify("account.password_changed", db.session.get(User, person.id)).id]
        discard_after_commit(db.session())
        db.session.commit()
        for notification_id in ids:
            delivery.deliver(notification_id)
        db.session.remove()
        rows = db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids))).all()
        for row in rows:  # the test's mail server, like many, does not offer SMTPUTF8
            assert row.status is DeliveryStatus.FAILED and row.attempts == 1 and row.last_error, \
                (row.status, row.attempts, row.last_error)
        db.session.remove()
    assert "failed for good" in caplog.text and NON_ASCII_ADDRESS not in caplog.text

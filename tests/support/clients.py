"""Browsers on the test client: forms with their CSRF token, signing in (and checking it worked), workflow buttons."""

from __future__ import annotations

import re

from tests.support.forms import PASSWORD
from tests.support.pages import redirect_path, text_of

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')
GENERIC_SIGN_IN_ERROR = "That email address and password do not match an active account."
# Where a person lands once signed in: the queue for the desk, the dashboard for contributors.
HOMES = {"/queue", "/dashboard"}


class Client:
    """Flask's test client used like a browser: forms carry the CSRF token of the page they came from."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.user_email: str | None = None

    def get(self, path: str, **kwargs):
        return self.http.get(path, **kwargs)

    def csrf_token(self, page: str | None = None) -> str:
        if page is None:
            page = "/account" if self.user_email else "/login"
        response = self.http.get(page)
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no form with a CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, page: str | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token(page)
        return self.http.post(path, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD, remember: bool = False):
        """Post the sign-in form; the response, whatever it is (see ``signed_in`` for a sign-in that must work)."""
        response = self.post("/login", {"email": email, "password": password, "remember": "y" if remember else ""})
        if response.status_code == 303:
            self.user_email = email
        return response

    def logout(self):
        response = self.post("/logout")
        self.user_email = None
        return response


def in_arabic(client: Client, back: str = "/") -> Client:
    """What a person does to read the desk in Arabic: follow the switcher's link (it leads back to ``back``)."""
    response = client.get(f"/language/ar?next={back}")
    assert response.status_code in (302, 303) and redirect_path(response) == back, response.status_code
    return client


def signed_in(app, person, password: str = PASSWORD, *, remember: bool = False) -> Client:
    """A browser signed in as ``person`` (a factory's person, or an email address) through the real sign-in form.

    Fails unless the sign-in worked: the form sends the person home (the queue or the dashboard), and their
    account page opens and names them."""
    email = person if isinstance(person, str) else person.email
    client = Client(app)
    response = client.login(email, password, remember=remember)
    assert response.status_code == 303, f"{email} could not sign in: {response.status_code} {text_of(response)[:300]}"
    assert redirect_path(response) in HOMES, f"{email} was sent to {response.location}, not home"
    account = client.get("/account")
    assert account.status_code == 200, f"{email}: the account page answers {account.status_code} after signing in"
    assert f"{email} · " in text_of(account), f"the account page does not name {email}"
    return client


def can_sign_in(app, email: str, password: str = PASSWORD) -> bool:
    """Whether the sign-in form takes this email and password (refused with the form again, or signed in)."""
    response = Client(app).login(email, password)
    assert response.status_code in (303, 422), response.status_code
    return response.status_code == 303


def still_signed_in(client: Client, page: str = "/account") -> bool:
    """Whether the browser is signed in: ``page`` opens, or it is sent to sign in (anything else fails)."""
    response = client.get(page)
    if response.status_code == 200:
        return True
    assert redirect_path(response) == "/login", response.status_code
    return False


def cookie_copy(app, client: Client, *names: str) -> Client:
    """Another browser holding copies of ``client``'s cookies (all of them, or the ones named): a copied cookie."""
    copy = Client(app)
    for cookie in client.http._cookies.values():
        if not names or cookie.key in names:
            copy.http.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return copy


def page_version(client: Client, path: str) -> str:
    """The submission version a page's workflow forms carry (what the person saw)."""
    return VERSION_RE.search(client.get(path).get_data(as_text=True)).group(1)


def act(client: Client, submission_id: int, action: str, version: int | None = None, **fields):
    """Press a workflow button the way the page does: with the version the page was rendered with."""
    page = f"/submissions/{submission_id}"
    data = {"action": action, "version": str(version or page_version(client, page)), **fields}
    return client.post(f"{page}/transition", data, page=page)


def url_of(app, rule, values: dict, slugs: dict) -> str:
    """The URL of a rule of the URL map, its arguments filled from ``values`` (``slug`` from ``slugs``, by
    endpoint)."""
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{name: slugs[rule.endpoint] if name == "slug" else values[name]
                                         for name in rule.arguments})

"""Security keys and passkeys (WebAuthn) end to end, in headless Chromium with the DevTools protocol's virtual
authenticator: register a key under a name, sign out, sign in with it; register a second one on another
authenticator and remove the first; an assertion whose origin is not the desk's is refused.

The relying party's id is the host of ``WORKFLOW_BASE_URL``; WebAuthn takes no IP address, so the live server is
reached as ``localhost`` here.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.browsers import page_opener
from tests.helpers import PASSWORD
from workflow.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_at_localhost(app, live_server, clean_db):
    address = live_server.replace("127.0.0.1", "localhost")
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = address
    yield address
    app.config["BASE_URL"] = saved


@pytest.fixture
def open_page(browser, desk_at_localhost):
    with page_opener(browser, desk_at_localhost) as opener:
        yield opener


def authenticator(page) -> tuple[object, str]:
    """A virtual USB security key plugged into this page's browser: (the DevTools session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def sign_in_with_password(page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def add_key(page, name: str) -> None:
    page.goto("/account/two-step/keys/new")
    page.locator("#name").fill(name)
    page.get_by_role("button", name="Add the key").click()


def sign_out(page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.url.endswith("/login")


def test_a_key_is_registered_under_a_name_and_signs_in(open_page, factory, app):
    person = factory.user("contributor", email="keyholder@example.org")
    page = open_page()
    cdp, first = authenticator(page)
    sign_in_with_password(page, person.email)
    assert page.url.endswith("/dashboard")

    add_key(page, "Blue key on my keyring")
    codes = page.locator("#key-codes")
    codes.wait_for(state="visible")
    assert codes.locator("li").count() == 10, "the first factor brings its recovery codes, shown once"
    assert "The key “Blue key on my keyring” is added." in page.locator("#key-status").inner_text()
    codes.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_load_state()
    assert "Blue key on my keyring" in page.locator("#two-step").inner_text()

    sign_out(page)
    sign_in_with_password(page, person.email)
    assert page.url.endswith("/login/verify")
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url("**/dashboard")

    # A second key, on another authenticator (the first one is unplugged); then the first is removed.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    add_key(page, "Laptop passkey")
    page.wait_for_url("**/account*")
    section = page.locator("#two-step")
    assert "Blue key on my keyring" in section.inner_text() and "Laptop passkey" in section.inner_text()
    section.locator("li", has_text="Blue key on my keyring").get_by_role("button", name="Remove").click()
    page.wait_for_load_state()
    assert "The security key “Blue key on my keyring” is removed." in page.locator(".flashes").inner_text()
    assert "Blue key on my keyring" not in page.locator("#two-step").inner_text()

    sign_out(page)
    sign_in_with_password(page, person.email)
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url("**/dashboard")
    from workflow.auth.models import SecurityKey

    with app.app_context():
        import sqlalchemy as sa

        names = db.session.scalars(sa.select(SecurityKey.name)).all()
        assert names == ["Laptop passkey"]


def test_an_assertion_for_another_origin_is_refused(open_page, factory, app):
    person = factory.user("contributor", email="phished@example.org")
    page = open_page()
    authenticator(page)
    sign_in_with_password(page, person.email)
    add_key(page, "My key")
    page.locator("#key-codes").wait_for(state="visible")
    sign_out_from = page.locator("header").get_by_role("button", name="Sign out")
    sign_out_from.click()
    page.wait_for_load_state()

    def as_if_made_elsewhere(route):
        body = json.loads(route.request.post_data)
        client_data = json.loads(base64.urlsafe_b64decode(body["response"]["clientDataJSON"] + "=="))
        client_data["origin"] = "https://desk.example.net"  # a copy of the desk on another site
        body["response"]["clientDataJSON"] = base64.urlsafe_b64encode(
            json.dumps(client_data).encode()).decode().rstrip("=")
        route.continue_(post_data=json.dumps(body))

    page.route("**/login/verify/key", as_if_made_elsewhere)
    sign_in_with_password(page, person.email)
    page.get_by_role("button", name="Use my security key").click()
    status = page.locator("#key-status")
    status.get_by_text("could not be checked").wait_for()
    assert page.url.endswith("/login/verify")
    page.goto("/dashboard")
    assert "/login" in page.url, "signed in with an assertion made for another origin"

    page.unroute("**/login/verify/key")  # the same key, this site's own answer: in
    sign_in_with_password(page, person.email)
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url("**/dashboard")

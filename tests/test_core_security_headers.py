"""The headers that protect every response, read from real responses: the Content-Security-Policy (no inline
script anywhere), no framing, no MIME sniffing, the referrer policy, HSTS over HTTPS, and the cookies' flags."""

from __future__ import annotations

import pytest

from tests.helpers import Client, page_version, publish, signed_in
from workflow.extensions import db
from workflow.submissions.models import Submission


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def _assert_protected(response, where: str) -> None:
    policy = _policy(response)
    assert policy, f"no Content-Security-Policy on {where}"
    assert policy["script-src"] == "'self'", where  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'", where
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'", where
    assert "unsafe-inline" not in policy["style-src"], where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["X-Frame-Options"] == "DENY", where
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", where
    assert "Strict-Transport-Security" not in response.headers, where  # the tests' site is plain http


@pytest.fixture
def site(app, factory, make_client):
    """A published story, an editor signed in, a stale form for a 409."""
    slug, editor = publish(app, factory)
    desk = signed_in(app, editor)
    with app.app_context():
        story = db.session.scalar(db.select(Submission).where(Submission.slug == slug))
    return slug, story.id, desk


def test_every_kind_of_response_carries_the_headers(app, site):
    slug, story_id, desk = site
    reader = Client(app)
    responses = {
        "home": reader.get("/"),
        "article": reader.get(f"/articles/{slug}"),
        "article 304": reader.get(f"/articles/{slug}",
                                  headers={"If-None-Match": reader.get(f"/articles/{slug}").headers["ETag"]}),
        "feed": reader.get("/feed.atom"),
        "sitemap": reader.get("/sitemap.xml"),
        "search": reader.get("/search?q=bread"),
        "guidelines": reader.get("/guidelines"),
        "newsletter": reader.get("/newsletter"),
        "sign in": reader.get("/login"),
        "not found": reader.get("/articles/no-such-story"),
        "sign-in redirect": reader.get("/queue"),
        "static file": reader.get("/static/desk.css"),
        "queue": desk.get("/queue"),
        "submission": desk.get(f"/submissions/{story_id}"),
        "form error (422)": desk.post(f"/submissions/{story_id}/messages", {"body": ""},
                                      page=f"/submissions/{story_id}"),
        "redirect (303)": desk.post(f"/submissions/{story_id}/messages", {"body": "Thanks."},
                                    page=f"/submissions/{story_id}"),
        "forbidden (403)": desk.get("/admin/people"),
    }
    stale = page_version(desk, f"/submissions/{story_id}")
    desk.post(f"/submissions/{story_id}/page", {"version": stale, "tags": "first"}, page=f"/submissions/{story_id}")
    responses["conflict (409)"] = desk.post(f"/submissions/{story_id}/page", {"version": stale, "tags": "x"},
                                            page=f"/submissions/{story_id}")
    expected = {"article 304": 304, "not found": 404, "sign-in redirect": 302, "form error (422)": 422,
                "redirect (303)": 303, "forbidden (403)": 403, "conflict (409)": 409}
    for where, response in responses.items():
        assert response.status_code == expected.get(where, 200), where
        _assert_protected(response, where)


def test_only_the_email_preview_may_style_inline_and_never_script(app, factory, make_client):
    editor = factory.user("editor")
    client = signed_in(app, editor)
    preview = client.get("/admin/emails/submission.assigned")
    assert preview.status_code == 200
    policy = _policy(preview)
    assert policy["style-src"] == "'self' 'unsafe-inline'"  # the email's own HTML, in a sandboxed frame
    assert policy["script-src"] == "'self'" and "unsafe" not in policy["script-src"]
    assert "unsafe-inline" not in _policy(client.get("/admin/emails"))["style-src"]


def test_hsts_is_sent_when_the_site_is_served_over_https(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://news.example")
    response = Client(app).get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_cookies_are_http_only_same_site_and_secure_outside_the_quick_start(app, factory, monkeypatch):
    person = factory.user()
    response = Client(app).login(person.email, remember=True)
    cookies = _cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]  # the quick start runs on plain http

    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    cookies = _cookies(Client(app).login(person.email, remember=True))
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]
    assert app.login_manager.session_protection == "strong"


def test_production_sets_secure_cookies(monkeypatch, tmp_path):
    from workflow.config import from_environment

    monkeypatch.setenv("WORKFLOW_ENV", "production")
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"

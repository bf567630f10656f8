"""Every form, driven by Hypothesis with arbitrary text: unicode of every kind, control characters, the empty
string and very long values. Nothing may answer 500; a refusal is a 422 whose messages stand next to the
fields (an error summary that links to them)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import page_version, signed_in

# Any text a person could paste: every category but lone surrogates (which no browser can send), with NUL and
# the other control characters; empty; or huge.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.just(""),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3).map(lambda s: s * 5_000),
)

# Derandomized: every run tries the same examples, so a red build is reproducible (run with
# HYPOTHESIS_PROFILE-free settings locally and more examples to search further).
FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(response, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code)
    if response.status_code == 422:
        html = response.get_data(as_text=True)
        assert 'class="error-summary"' in html or 'class="error-message"' in html, where
        for target in re.findall(r'<li><a href="#([^"]+)">', html):  # each summary link leads to its field
            assert f'id="{target}"' in html, (where, target)


@pytest.fixture
def every_role_signed_in(app, factory, monkeypatch):
    """A contributor with a commissioned story, an editor and an admin, signed in; no rate limits (the fuzzer
    posts far faster than any person)."""
    from workflow.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    editor, admin, reporter = factory.user("editor"), factory.user("admin"), factory.user()
    story = factory.submission(reporter, "assigned", editor=editor, with_draft=True)
    # Each signed in as themselves (``signed_in`` checks it), or every fuzzed form below proves nothing.
    clients = {role: signed_in(app, person)
               for role, person in (("contributor", reporter), ("editor", editor), ("admin", admin))}
    return clients, story


@FUZZ
@example(headline="\x00", summary="\x00\x01\x1f", sources="𝕏" * 20_000, words="1e999", deadline="2026-02-30")
@example(headline="", summary="", sources="", words="", deadline="")
@given(headline=TEXT, summary=TEXT, sources=TEXT, words=TEXT, deadline=TEXT)
def test_the_pitch_form(every_role_signed_in, headline, summary, sources, words, deadline):
    clients, _ = every_role_signed_in
    response = clients["contributor"].post("/pitch", {
        "headline": headline, "summary": summary, "angle": summary, "sources": sources, "proposed_words": words,
        "proposed_deadline": deadline, "experience": sources}, page="/pitch")
    _check(response, "pitch")


@FUZZ
@example(headline="\x00", dek="\x00", body="\x00" + "word " * 30_000, note="\x00")
@given(headline=TEXT, dek=TEXT, body=TEXT, note=TEXT)
def test_the_draft_form(every_role_signed_in, headline, dek, body, note):
    clients, story = every_role_signed_in
    path = f"/submissions/{story.id}/draft"
    response = clients["contributor"].post(path, {"version": page_version(clients["contributor"], path),
                                                  "headline": headline, "dek": dek, "body": body, "note": note},
                                           page=path)
    _check(response, "draft")


@FUZZ
@example(body="\x00", comment="\x00 reason", deadline="\x00", fee="\x00")
@given(body=TEXT, comment=TEXT, deadline=TEXT, fee=TEXT)
def test_messages_and_transitions(every_role_signed_in, body, comment, deadline, fee):
    clients, story = every_role_signed_in
    path = f"/submissions/{story.id}"
    _check(clients["editor"].post(f"{path}/messages", {"body": body}, page=path), "message")
    _check(clients["editor"].post(f"{path}/transition", {
        "action": "decline", "version": page_version(clients["editor"], path), "comment": comment}, page=path),
        "decline")
    _check(clients["editor"].post(f"{path}/page", {
        "version": page_version(clients["editor"], path), "tags": comment, "seo_description": body,
        "section_id": fee, "top_image_id": deadline}, page=path), "page settings")


@FUZZ
@example(email="a\x00@example.org", password="\x00" * 12, name="\u202e\x00")
@example(email="x" * 20_000 + "@example.org", password="é" * 20_000, name="")
@given(email=TEXT, password=TEXT, name=TEXT)
def test_the_account_forms(every_role_signed_in, app, email, password, name):
    from tests.helpers import Client

    visitor = Client(app)
    _check(visitor.post("/register", {"email": email, "display_name": name, "byline_name": name,
                                      "password": password, "confirm": password}, page="/register"), "register")
    _check(visitor.post("/login", {"email": email, "password": password}, page="/login"), "login")
    _check(visitor.post("/password/forgot", {"email": email}, page="/password/forgot"), "forgot")
    _check(visitor.post("/newsletter", {"email": email}, csrf=False), "newsletter")
    clients, _ = every_role_signed_in
    _check(clients["contributor"].post("/account/profile", {"display_name": name, "byline_name": name,
                                                            "public_bio": password}, page="/account"), "profile")
    _check(clients["contributor"].get(f"/search?q={email[:500]}"), "search")


@FUZZ
@example(name="\x00", description="\x00", position="99999999999999999999", title="\x00", body="\x00")
@given(name=TEXT, description=TEXT, position=TEXT, title=TEXT, body=TEXT)
def test_the_admin_forms(every_role_signed_in, name, description, position, title, body):
    clients, _ = every_role_signed_in
    admin = clients["admin"]
    _check(admin.post("/admin/sections", {"name": name, "description": description, "position": position},
                      page="/admin/sections"), "section")
    _check(admin.post("/admin/pages/guidelines", {"title": title, "body": body}, page="/admin/pages/guidelines"),
           "guidelines")
    _check(admin.post("/admin/invitations", {"email": name, "role": position}, page="/admin/people"), "invite")

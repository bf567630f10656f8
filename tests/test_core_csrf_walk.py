"""Walks the app's URL map: no GET changes anything, and no POST is taken without the form's CSRF token (except
the three that are meant to be posted from outside, each protected otherwise).

The rules are read from ``app.url_map``, so a new route is walked without anyone adding it here; its arguments
are filled with the ids of real objects (a story with a draft, an attachment, a photo, a message, a saved view,
an invitation, a section, a notification).
"""

from __future__ import annotations

import io

from tests.helpers import fingerprint, png_bytes, url_of

# Posted by mail clients or from cached public pages, without a session: each is protected another way.
CSRF_EXEMPT = {
    "notifications.unsubscribe": "a signed per-person link (RFC 8058 one-click)",
    "newsletter.unsubscribe": "a signed per-subscriber link (RFC 8058 one-click)",
    "newsletter.signup": "the request's Origin is checked; double opt-in makes a forged signup harmless",
}


def test_no_get_changes_anything_for_anyone(app, one_of_everything):
    values, slugs, clients = one_of_everything
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    assert len(rules) > 40
    walked = 0
    for role, client in clients.items():
        for rule in rules:
            url = url_of(app, rule, values, slugs)
            before = fingerprint(app)
            response = client.get(url)
            assert response.status_code < 500, (role, url, response.status_code)
            assert fingerprint(app) == before, f"GET {url} as {role} changed the database"
            walked += 1
    assert walked == len(rules) * len(clients)


def test_no_post_is_taken_without_the_form_s_csrf_token(app, one_of_everything):
    values, slugs, clients = one_of_everything
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    exempt = set()
    for rule in rules:
        if rule.endpoint in CSRF_EXEMPT:
            exempt.add(rule.endpoint)
            continue
        url = url_of(app, rule, values, slugs)
        for role in ("anonymous", "admin", "contributor_a"):
            before = fingerprint(app)
            response = clients[role].post(url, {"body": "x", "email": "someone@example.org", "action": "assign",
                                                "comment": "x", "version": "1"}, csrf=False)
            assert response.status_code == 400, (role, url, response.status_code)
            assert "came from another site" in response.get_data(as_text=True), url
            assert fingerprint(app) == before, f"POST {url} without a token as {role} changed the database"
    assert exempt == set(CSRF_EXEMPT)  # a new exemption must be argued for here


def test_the_exempt_posts_are_protected_otherwise(app, one_of_everything):
    values, slugs, clients = one_of_everything
    before = fingerprint(app)
    assert clients["anonymous"].post("/unsubscribe/forged", {}, csrf=False).status_code == 404
    assert clients["anonymous"].post("/newsletter/unsubscribe/forged", {}, csrf=False).status_code == 404
    response = clients["anonymous"].post("/newsletter", {"email": "forged@example.org"}, csrf=False,
                                         headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert fingerprint(app) == before


def test_a_photo_upload_without_the_token_is_refused_too(app, one_of_everything):
    values, _, clients = one_of_everything
    before = fingerprint(app)
    response = clients["admin"].post(f"/submissions/{values['submission_id']}/images",
                                     {"upload-image": (io.BytesIO(png_bytes()), "x.png"), "upload-alt": "x"},
                                     csrf=False, content_type="multipart/form-data")
    assert response.status_code == 400 and fingerprint(app) == before

"""The authorization matrix: every GET route of the app's URL map, for each of anonymous, contributor A (who
owns the story and its files), contributor B, an editor and an admin, with the ids of A's real objects. The
answer of every cell is written down below; the test fails on any cell that differs, and on any page that
shows someone A's private reporting (the pitch's sources, the draft, a message, an internal note, a file's
name, A's email address) who may not see it.

POST routes are checked for the people who may not act: nothing in the database changes.
"""

from __future__ import annotations

from tests.helpers import fingerprint, url_of

ROLES = ("anonymous", "contributor_a", "contributor_b", "editor", "admin")

# Classes of routes: the answer each role gets.
PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {"anonymous": 302, "contributor_a": 200, "contributor_b": 200, "editor": 200, "admin": 200}
A_AND_DESK = {"anonymous": 302, "contributor_a": 200, "contributor_b": 404, "editor": 200, "admin": 200}
DESK = {"anonymous": 302, "contributor_a": 403, "contributor_b": 403, "editor": 200, "admin": 200}
ADMIN = {"anonymous": 302, "contributor_a": 403, "contributor_b": 403, "editor": 403, "admin": 200}
SIGNED_OUT_ONLY = {"anonymous": 200, "contributor_a": 302, "contributor_b": 302, "editor": 302, "admin": 302}
# A link from an email with a token that is not valid: a page that says so, the same for everyone.
BAD_TOKEN_400 = dict.fromkeys(ROLES, 400)
BAD_TOKEN_404 = dict.fromkeys(ROLES, 404)

EXPECTED: dict[str, dict[str, int]] = {
    "static": PUBLIC,
    "submissions.index": SIGNED_OUT_ONLY,
    "articles.article": PUBLIC, "articles.contributor": PUBLIC, "articles.feed": PUBLIC,
    "articles.section": PUBLIC, "articles.section_feed": PUBLIC, "articles.tag": PUBLIC,
    "articles.search": PUBLIC, "articles.sitemap": PUBLIC, "articles.robots": PUBLIC,
    "pages.guidelines": PUBLIC,
    "newsletter.signup_page": PUBLIC, "newsletter.check_inbox": PUBLIC,
    "newsletter.confirm": BAD_TOKEN_404, "newsletter.unsubscribe": BAD_TOKEN_404,
    "notifications.unsubscribe": BAD_TOKEN_404,
    "auth.login": SIGNED_OUT_ONLY, "auth.register": SIGNED_OUT_ONLY, "auth.check_inbox": PUBLIC,
    "auth.forgot_password": PUBLIC, "auth.reset_password": BAD_TOKEN_400, "auth.confirm": BAD_TOKEN_400,
    "auth.accept_invitation": BAD_TOKEN_400,
    "auth.account": SIGNED_IN, "privacy.export": SIGNED_IN,
    "notifications.inbox": SIGNED_IN, "notifications.preferences": SIGNED_IN,
    "submissions.dashboard": SIGNED_IN, "submissions.pitch": SIGNED_IN,
    "submissions.detail": A_AND_DESK, "submissions.diff": A_AND_DESK, "submissions.revision": A_AND_DESK,
    "submissions.attachment": A_AND_DESK, "submissions.draft": A_AND_DESK,
    "media.image": {**A_AND_DESK, "anonymous": 404},  # not published yet: readers get nothing
    "submissions.queue": DESK, "admin.email_templates": DESK, "admin.email_template": DESK,
    "admin.reset_email_template": DESK, "newsletter.admin": DESK,
    "admin.people": ADMIN, "admin.person": ADMIN, "admin.deliveries": ADMIN, "admin.delivery": ADMIN,
    "admin.sections": ADMIN, "admin.section": ADMIN, "admin.delete_section": ADMIN, "admin.action_log": ADMIN,
    "pages.edit": ADMIN,
}


# What only A and the desk may read; never on a page another contributor or a reader gets.
SECRETS = ("Secret headline of A", "the mayor's driver", "Private message to A", "A's source is risky",
           "a-secret-notes.pdf", "reporter.a@example.org")
# The internal note is the desk's alone: not even A sees it.
DESK_ONLY = ("A's source is risky",)


def test_every_get_route_answers_each_role_as_written_and_leaks_nothing(app, one_of_everything):
    values, slugs, clients = one_of_everything
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    assert {rule.endpoint for rule in rules} == set(EXPECTED), "a route without its row in the matrix"
    differences, cells = [], 0
    for rule in rules:
        url = url_of(app, rule, values, slugs)
        for role in ROLES:
            response = clients[role].get(url)
            cells += 1
            expected = EXPECTED[rule.endpoint][role]
            if response.status_code != expected:
                differences.append(f"{role:14} GET {url}: {response.status_code}, expected {expected}")
            body = response.get_data().decode("utf-8", "replace")  # a zip or a photo is searched as bytes
            forbidden = SECRETS if role in ("anonymous", "contributor_b") else \
                DESK_ONLY if role == "contributor_a" else ()
            for secret in forbidden:
                if secret in body:
                    differences.append(f"{role:14} GET {url} shows “{secret}”")
    assert not differences, "\n".join(differences)
    assert cells == len(rules) * len(ROLES)


def test_no_one_outside_may_change_a_s_story_or_the_desk_s_things(app, one_of_everything):
    """Every POST route, as anonymous and as contributor B, with the page's CSRF token: nothing changes."""
    values, slugs, clients = one_of_everything
    exempt = {"newsletter.signup", "newsletter.unsubscribe", "notifications.unsubscribe", "auth.login",
              "auth.register", "auth.forgot_password", "auth.resend_confirmation", "auth.logout",
              "auth.reset_password", "auth.confirm_post", "auth.accept_invitation", "newsletter.confirm_post",
              # B's own account and B's own pitch: B may change those.
              "auth.change_email", "auth.change_password", "auth.update_profile", "auth.delete_account",
              "notifications.preferences", "notifications.mark_all_read", "submissions.pitch"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in exempt:
            continue
        url = url_of(app, rule, values, slugs)
        for role in ("anonymous", "contributor_b"):
            before = fingerprint(app)
            token_page = "/login" if role == "anonymous" else "/account"
            response = clients[role].post(url, {"body": "x", "action": "assign", "version": "1", "comment": "x",
                                                "name": "x", "role": "admin", "email": "x@example.org",
                                                "title": "x", "tags": "x"}, page=token_page)
            assert response.status_code in (302, 303, 403, 404), (role, url, response.status_code)
            assert fingerprint(app) == before, f"POST {url} as {role} changed the database"
            checked += 1
    assert checked > 40

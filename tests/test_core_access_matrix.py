"""The authorization matrix: every GET route of the app's URL map, for each of anonymous, contributor A (who
owns the story and its files), contributor B, an editor and an admin, with the ids of A's real objects. The
answer of every cell is written down below; the test fails on any cell that differs, and on any page that
shows someone A's private reporting (the pitch's sources, the draft, a message, an internal note, a file's
name, A's email address) who may not see it.

The POST side is a second written-down table: every POST route × the same five roles, each posting a valid form
(what goes through for someone who may act) with its session's CSRF token; a cell is the status the role gets and
whether the database changed. Each role runs in a test of its own, on fresh data, so that what one role did (a
story withdrawn, a section deleted, an account closed) never decides what the next one sees.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.helpers import PASSWORD, Client, fingerprint, finish_reset_requests, prepare_images, url_of
from workflow.extensions import db

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
# The second step of a sign-in: without a password given first, back to the sign-in page, for everyone.
NO_SIGN_IN_UNDER_WAY = dict.fromkeys(ROLES, 303)
BAD_TOKEN_404 = dict.fromkeys(ROLES, 404)

EXPECTED: dict[str, dict[str, int]] = {
    "static": PUBLIC,
    "articles.index": SIGNED_OUT_ONLY,
    "articles.article": PUBLIC, "articles.contributor": PUBLIC, "articles.feed": PUBLIC,
    "articles.section": PUBLIC, "articles.section_feed": PUBLIC, "articles.tag": PUBLIC,
    "articles.search": PUBLIC, "articles.sitemap": PUBLIC, "articles.robots": PUBLIC,
    "pages.guidelines": PUBLIC,
    # For load balancers and Prometheus: nothing personal in them (/metrics takes a token where one is set).
    "health.healthz": PUBLIC, "health.readyz": PUBLIC, "health.metrics": PUBLIC,
    "newsletter.signup_page": PUBLIC, "newsletter.check_inbox": PUBLIC,
    "newsletter.confirm": BAD_TOKEN_404, "newsletter.unsubscribe": BAD_TOKEN_404,
    "notifications.unsubscribe": BAD_TOKEN_404,
    "auth.login": SIGNED_OUT_ONLY, "auth.register": SIGNED_OUT_ONLY, "auth.check_inbox": PUBLIC,
    "auth.forgot_password": PUBLIC, "auth.reset_password": BAD_TOKEN_400, "auth.confirm": BAD_TOKEN_400,
    "auth.accept_invitation": BAD_TOKEN_400, "auth.not_me": BAD_TOKEN_400, "auth.sign_in_link": BAD_TOKEN_400,
    "auth.account": SIGNED_IN, "auth.devices": SIGNED_IN, "privacy.export": SIGNED_IN,
    "second_factor.verify": NO_SIGN_IN_UNDER_WAY, "second_factor.enrol": NO_SIGN_IN_UNDER_WAY,
    "second_factor.set_up_app": SIGNED_IN, "auth.confirm_identity": SIGNED_IN, "second_factor.new_key": SIGNED_IN,
    "notifications.inbox": SIGNED_IN, "notifications.preferences": SIGNED_IN,
    "submissions.dashboard": SIGNED_IN, "submissions.pitch": SIGNED_IN,
    "submissions.detail": A_AND_DESK, "submissions.diff": A_AND_DESK, "submissions.revision": A_AND_DESK,
    "submissions.attachment": A_AND_DESK, "submissions.draft": A_AND_DESK,
    "media.image": {**A_AND_DESK, "anonymous": 404},  # not published yet: readers get nothing
    "submissions.queue": DESK, "admin.email_templates": DESK, "admin.email_template": DESK,
    "admin.reset_email_template": DESK, "newsletter.admin": DESK,
    "submissions.desk_metrics": DESK,
    "admin.people": ADMIN, "admin.person": ADMIN, "admin.deliveries": ADMIN, "admin.delivery": ADMIN,
    "admin.sections": ADMIN, "admin.section": ADMIN, "admin.delete_section": ADMIN, "admin.action_log": ADMIN,
    "pages.edit": ADMIN,
    # The language switcher: a link that sets the language and goes back to the page, for everyone.
    "language.switch": dict.fromkeys(ROLES, 302),
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


# --- POST ---------------------------------------------------------------------------------------------------------
# Every role posts a VALID form to every POST route (what goes through for someone who may act: a real transition
# with the current version, a message, a section's name, a role change for B, a link's real token), with the CSRF
# token of its session. A cell is the status the role gets, and whether the database changed.

CHANGES, SAME = "changes", "same"
Cell = tuple[int, str]


def _row(anonymous: Cell, contributor_a: Cell, contributor_b: Cell, editor: Cell, admin: Cell) -> dict[str, Cell]:
    return dict(zip(ROLES, (anonymous, contributor_a, contributor_b, editor, admin), strict=True))


SIGN_IN_FIRST = (302, SAME)  # anonymous: sent to the sign-in page
# Forms on public pages: anyone, signed in or not.
ANYONE = _row(*[(303, CHANGES)] * 5)
ANYONE_SHOWN = _row(*[(200, CHANGES)] * 5)  # answered with a page rather than a redirect
# A link from an email: its signed token lets whoever holds it act, signed in as anyone or not at all.
BY_LINK, BY_LINK_SHOWN = ANYONE, ANYONE_SHOWN
SIGNED_OUT_FORM = _row((303, CHANGES), *[(302, SAME)] * 4)  # the signed-in are sent home
OWN_ACCOUNT = _row(SIGN_IN_FIRST, *[(303, CHANGES)] * 4)  # each signed-in person's own account
A_AND_DESK_ACT = _row(SIGN_IN_FIRST, (303, CHANGES), (404, SAME), (303, CHANGES), (303, CHANGES))  # A's story
DESK_ACTS = _row(SIGN_IN_FIRST, (403, SAME), (403, SAME), (303, CHANGES), (303, CHANGES))
ADMIN_ACTS = _row(SIGN_IN_FIRST, (403, SAME), (403, SAME), (403, SAME), (303, CHANGES))

# Posted top to bottom, each role in a test of its own with fresh data: a row that uses up something (the photo, the
# section, the customised wording) or ends the session comes after the rows that need it.
EXPECTED_POST: dict[str, dict[str, Cell]] = {
    "newsletter.signup": ANYONE, "auth.forgot_password": ANYONE_SHOWN, "auth.register": SIGNED_OUT_FORM,
    "auth.confirm_post": BY_LINK, "newsletter.confirm_post": BY_LINK_SHOWN, "newsletter.unsubscribe": BY_LINK_SHOWN,
    "notifications.unsubscribe": BY_LINK_SHOWN,
    "auth.not_me_post": BY_LINK_SHOWN,  # "This was not me" for C: C's sessions end, a reset link is emailed
    "auth.update_profile": OWN_ACCOUNT, "auth.change_email": OWN_ACCOUNT, "notifications.preferences": OWN_ACCOUNT,
    "auth.change_language": OWN_ACCOUNT,
    # Sessions: A's phone is A's alone to end; each person's "every other device" ends their own phone.
    "auth.end_session": _row(SIGN_IN_FIRST, (303, CHANGES), (404, SAME), (404, SAME), (404, SAME)),
    "auth.end_other_sessions": OWN_ACCOUNT,
    "auth.confirm_identity": OWN_ACCOUNT,  # the password again: the session's proof is renewed
    "second_factor.not_now": OWN_ACCOUNT,  # the dashboard's offer of a second step, closed
    # Each person sets up an app (the code read off the page), makes new recovery codes, then removes the app.
    "second_factor.set_up_app": {**OWN_ACCOUNT, **dict.fromkeys(ROLES[1:], (200, CHANGES))},
    "second_factor.new_recovery_codes": {**OWN_ACCOUNT, **dict.fromkeys(ROLES[1:], (200, CHANGES))},
    "second_factor.remove_app": OWN_ACCOUNT,
    # A security key (in software, answering as a browser would): options, the key itself, then removed.
    "second_factor.key_registration_options": _row(SIGN_IN_FIRST, *[(200, SAME)] * 4),
    "second_factor.register_key": {**OWN_ACCOUNT, **dict.fromkeys(ROLES[1:], (200, CHANGES))},
    "second_factor.remove_key": OWN_ACCOUNT,
    # Signing in with a key, with no password given first: refused, nothing happens.
    "second_factor.key_sign_in_options": _row(*[(401, SAME)] * 5),
    "second_factor.key_sign_in": _row(*[(401, SAME)] * 5),
    # Without a password given first: back to the sign-in page, nothing happens.
    "second_factor.verify": _row(*[(303, SAME)] * 5), "second_factor.enrol": _row(*[(303, SAME)] * 5),
    "auth.resend_confirmation": _row(SIGN_IN_FIRST, *[(303, SAME)] * 4),  # everyone here is confirmed already
    # A's notification: only A has it to mark; for anyone else the same answer, and nothing happens.
    "notifications.mark_read": _row(SIGN_IN_FIRST, (303, CHANGES), (303, SAME), (303, SAME), (303, SAME)),
    "notifications.mark_all_read": {**OWN_ACCOUNT, "admin": (303, SAME)},  # the admin has nothing unread
    "submissions.pitch": OWN_ACCOUNT,  # the pitch form is open to everyone signed in, the desk too
    # A's story, assigned, with a draft and a photo: A and the desk.
    "submissions.post_message": A_AND_DESK_ACT, "submissions.draft": A_AND_DESK_ACT,
    "media.upload": A_AND_DESK_ACT, "media.edit": A_AND_DESK_ACT, "media.delete": A_AND_DESK_ACT,
    "submissions.transition": A_AND_DESK_ACT,  # A withdraws it; the desk marks it edited
    # Marked edited on the row above, the story can be scheduled; then the schedule is cancelled.
    "editorial.page": DESK_ACTS, "editorial.schedule": DESK_ACTS, "editorial.unschedule": DESK_ACTS,
    # The desk's own things.
    "submissions.save_view": DESK_ACTS,
    "submissions.delete_view": {**DESK_ACTS, "admin": (404, SAME)},  # the editor's view: not the admin's to delete
    # A workflow email's wording (not an account email's, which is the admins' alone): saved, then reset.
    "admin.email_template": DESK_ACTS, "admin.reset_email_template": DESK_ACTS,
    # B made an editor; A disabled, then enabled again; A's failed email sent again.
    "admin.invite": ADMIN_ACTS, "admin.revoke_invitation": ADMIN_ACTS, "admin.change_role": ADMIN_ACTS,
    "admin.end_sessions": ADMIN_ACTS,  # A signed out everywhere
    "admin.reset_second_factor": ADMIN_ACTS,  # C lost their phone
    "admin.disable": ADMIN_ACTS, "admin.enable": ADMIN_ACTS, "admin.retry_delivery": ADMIN_ACTS,
    "admin.sections": ADMIN_ACTS, "admin.section": ADMIN_ACTS, "admin.delete_section": ADMIN_ACTS,
    "pages.edit": ADMIN_ACTS,
    # The session: from a second browser of the same person, so that the first one goes on.
    "auth.login": SIGNED_OUT_FORM,  # anonymous signs in as B (the time of B's last sign-in is written)
    "auth.logout": _row((303, SAME), *[(303, CHANGES)] * 4),  # the session's row is deleted
    "auth.reset_password": BY_LINK, "auth.accept_invitation": BY_LINK,
    "auth.sign_in_link_post": BY_LINK,  # C's emailed link while under attack: that browser goes on to C's code
    "auth.change_password": OWN_ACCOUNT,
    # Last: A and B close their accounts; the desk's accounts are closed by an admin, not by themselves.
    "privacy.delete_account": _row(SIGN_IN_FIRST, (303, CHANGES), (303, CHANGES), (422, SAME), (422, SAME)),
}
POST_ROUTES = 62
POST_CELLS = POST_ROUTES * len(ROLES)  # 62 POST routes × 5 roles = 310 cells

# Rows posted from a second browser of the role (signed in as the same person): they end or switch the session.
SECOND_BROWSER = {"auth.login", "auth.logout", "auth.reset_password", "auth.accept_invitation",
                  "auth.sign_in_link_post"}
# What anonymous and contributor B may change at all: public forms, links from emails, and their own account.
OUTSIDERS_MAY = {"newsletter.signup", "newsletter.unsubscribe", "notifications.unsubscribe", "auth.login",
                 "auth.register", "auth.forgot_password", "auth.resend_confirmation", "auth.logout",
                 "auth.reset_password", "auth.confirm_post", "auth.accept_invitation", "newsletter.confirm_post",
                 "auth.change_email", "auth.change_password", "auth.update_profile", "auth.change_language",
                 "privacy.delete_account",
                 "notifications.preferences", "notifications.mark_all_read", "submissions.pitch",
                 "auth.end_other_sessions", "second_factor.set_up_app", "second_factor.new_recovery_codes",
                 "second_factor.remove_app", "second_factor.verify", "second_factor.enrol",
                 "auth.confirm_identity", "auth.not_me_post", "auth.sign_in_link_post", "second_factor.not_now",
                 "second_factor.key_registration_options", "second_factor.register_key", "second_factor.remove_key",
                 "second_factor.key_sign_in_options", "second_factor.key_sign_in"}
NEW_PASSWORD = "a brand new passphrase for the desk"
JSON_ROUTES = {"second_factor.key_registration_options", "second_factor.register_key",
               "second_factor.key_sign_in_options", "second_factor.key_sign_in"}


class Scene:
    """What the valid forms need besides the fixture's URL values: the ids of A's story and photo, the version of
    the story as it is now, real tokens of emailed links, and a second browser for each role."""

    def __init__(self, app, values, clients, role):
        import pyotp
        import sqlalchemy as sa

        from workflow.auth import second_factor
        from workflow.auth import services as accounts
        from workflow.auth.models import UserSession
        from workflow.core import tokens
        from workflow.core.models import utcnow
        from workflow.newsletter import services as newsletter
        from workflow.newsletter.models import Subscriber
        from workflow.notifications import links, wording
        from workflow.notifications.events import EVENTS
        from workflow.notifications.models import DeliveryStatus, Notification
        from workflow.people.models import Role, User

        self.app, self.role, self.values = app, role, values
        self.client = clients[role]
        self.emails = {name: client.user_email for name, client in clients.items()}
        self.events = [name for name, spec in EVENTS.items() if spec.has_choice]
        # A's phone (A's alone to end), and a phone of this role's person (ended by "every other device").
        with app.app_context():
            newest = db.session.scalar(sa.select(sa.func.max(UserSession.id)))
        assert Client(app).login(self.emails["contributor_a"]).status_code == 303
        if role != "anonymous":
            self.second_browser()
        with app.app_context():
            a_phone = db.session.scalar(sa.select(sa.func.min(UserSession.id)).where(
                UserSession.user_id == values["user_id"], UserSession.id > newest))
            # C has just registered and not confirmed yet: C's confirmation and reset links, posted by each role.
            newcomer = accounts.create_user("newcomer.c@example.org", PASSWORD, "Newcomer C")
            second_factor.enrol_with_secret(newcomer, pyotp.random_base32())  # C's phone, lost: the admin resets
            admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
            joiner = accounts.invite(admin, "joiner@example.org", Role.CONTRIBUTOR)
            pending = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == "reader@example.org"))
            subscribed = Subscriber(email="subscribed@example.org", confirmed_at=utcnow())
            db.session.add(subscribed)
            db.session.flush()
            # A's notification, whose email failed for good: the admin's retry has something to retry.
            db.session.get(Notification, values["notification_id"]).status = DeliveryStatus.FAILED
            b_id = db.session.scalar(sa.select(User.id).where(User.email == "reporter.b@example.org"))
            self.route_values = {
                "auth.end_session": {"session_id": a_phone},
                "admin.change_role": {"user_id": b_id},
                "admin.reset_second_factor": {"user_id": newcomer.id},
                "auth.confirm_post": {"token": accounts.confirmation_token(newcomer.id, newcomer.email)},
                "auth.reset_password": {"token": accounts.reset_token(newcomer)},
                "auth.not_me_post": {"token": tokens.make_token(tokens.NOT_ME, {"u": newcomer.id})},
                "auth.sign_in_link_post": {"token": accounts.sign_in_link_token(newcomer.id, False, "")},
                "auth.accept_invitation": {"token": accounts.invitation_token(joiner.id)},
                "newsletter.confirm_post": {"token": newsletter.confirmation_token(pending.id, pending.email)},
                "newsletter.unsubscribe": {"token": newsletter.unsubscribe_token(subscribed.id, subscribed.email)},
                # A's one-click link from an email about a story (not the kind A's preferences row changes)
                "notifications.unsubscribe": {"token": links.unsubscribe_token(values["user_id"],
                                                                                       "submission.assigned")},
            }
            current = wording.wording_for(values["event"])
            self.wording = {"subject": "Commissioned at last: {{ headline }}", **current.blocks}
            db.session.commit()

    def enrolment_code(self) -> str:
        """The code an app shows once it has the key the set-up page shows this role (nothing, signed out)."""
        import pyotp

        page = self.client.get("/account/two-step/app").get_data(as_text=True)
        key = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', page)
        return pyotp.TOTP(key.group(1).replace(" ", "")).now() if key else "000000"

    def key_registration(self) -> dict:
        """What a browser posts once a key answered the options this role gets (a key in software)."""
        from tests.helpers import SoftKey

        if self.role == "anonymous":
            return {}
        options = self.client.http.post("/account/two-step/keys/options",
                                        headers={"X-CSRFToken": self.client.csrf_token("/account")})
        if options.status_code != 200:
            return {}
        return {"name": "Blue key", "credential": SoftKey().create(options.json)}

    def url(self, rule) -> str:
        values = {**self.values, **self.route_values.get(rule.endpoint, {})}
        if rule.endpoint == "second_factor.remove_key":  # the key this role's person has just added
            import sqlalchemy as sa

            from workflow.auth.models import SecurityKey
            from workflow.people.models import User

            with self.app.app_context():
                values["key_id"] = db.session.scalar(
                    sa.select(sa.func.max(SecurityKey.id)).join(User, User.id == SecurityKey.user_id)
                    .where(User.email == (self.emails[self.role] or "nobody"))) or 1
                db.session.remove()
        return url_of(self.app, rule, values, {"pages.edit": "guidelines"})

    def version(self) -> str:
        """The version of A's story now (earlier rows move it on)."""
        from workflow.submissions.models import Submission

        with self.app.app_context():
            version = db.session.get(Submission, self.values["submission_id"]).version
            db.session.remove()
        return str(version)

    @property
    def staff(self) -> bool:
        return self.role in ("editor", "admin")

    def second_browser(self) -> Client:
        browser = Client(self.app)
        if self.role != "anonymous":
            assert browser.login(self.emails[self.role]).status_code == 303
        return browser


def _in_a_week() -> str:
    from workflow.core.models import utcnow

    return (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")


def _photo_upload() -> dict:
    from PIL import Image as Picture

    buffer = io.BytesIO()
    Picture.new("RGB", (640, 360), (20, 40, 60)).save(buffer, "JPEG")
    buffer.seek(0)
    return {"upload-image": (buffer, "harbour.jpg"), "upload-alt": "Cranes at the harbour at dawn",
            "upload-caption": "The night shift ends.", "upload-credit": "A. Reporter"}


# The valid form of each route: what someone who may act sends.
FORMS: dict[str, Callable[[Scene], dict]] = {
    "newsletter.signup": lambda s: {"email": "new.reader@example.org"},
    "auth.forgot_password": lambda s: {"email": "reporter.a@example.org"},
    "auth.register": lambda s: {"email": "newcomer.d@example.org", "display_name": "Newcomer D",
                                "byline_name": "N. D.", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "auth.confirm_post": lambda s: {},
    "newsletter.confirm_post": lambda s: {},
    "newsletter.unsubscribe": lambda s: {},
    "notifications.unsubscribe": lambda s: {},
    "auth.update_profile": lambda s: {"display_name": "A new name", "byline_name": "A new byline",
                                      "public_bio": "I write about ports."},
    "auth.change_email": lambda s: {"em-email": f"new.{s.role}@example.org", "em-password": PASSWORD},
    "auth.change_language": lambda s: {"lang-locale": "en", "lang-time_zone": "Europe/London"},
    "notifications.preferences": lambda s: {**{f"event_{name.replace('.', '__')}": "immediately"
                                               for name in s.events}, "event_submission__message": "never"},
    "auth.resend_confirmation": lambda s: {},
    "auth.end_session": lambda s: {},
    "second_factor.set_up_app": lambda s: {"code": s.enrolment_code()},
    "auth.confirm_identity": lambda s: {"proof-password": PASSWORD},
    "auth.not_me_post": lambda s: {},
    "second_factor.not_now": lambda s: {},
    "second_factor.key_registration_options": lambda s: {},
    "second_factor.register_key": lambda s: s.key_registration(),
    "second_factor.remove_key": lambda s: {},
    "second_factor.key_sign_in_options": lambda s: {},
    "second_factor.key_sign_in": lambda s: {},
    "auth.sign_in_link_post": lambda s: {},
    "second_factor.new_recovery_codes": lambda s: {},
    "second_factor.remove_app": lambda s: {},
    "second_factor.verify": lambda s: {"code": "123456"},
    "second_factor.enrol": lambda s: {"code": "123456"},
    "admin.reset_second_factor": lambda s: {},
    "auth.end_other_sessions": lambda s: {},
    "admin.end_sessions": lambda s: {},
    "notifications.mark_read": lambda s: {},
    "notifications.mark_all_read": lambda s: {},
    "submissions.pitch": lambda s: {"headline": "Night ferries", "summary": "The last ferry and who takes it.",
                                    "angle": "The timetable changes next month.", "sources": "The crews.",
                                    "proposed_words": "1200"},
    "submissions.post_message": lambda s: {"body": "The mayor's office answered at last."},
    "submissions.draft": lambda s: {"version": s.version(), "headline": "Secret headline of A", "dek": "A new dek.",
                                    "body": "A new first paragraph.\n\nAnd a second.", "note": "Tightened"},
    "media.upload": lambda s: _photo_upload(),
    "media.edit": lambda s: {f"image{s.values['image_id']}-{name}": text for name, text in (
        ("alt", "The mayor's car at the town hall"), ("caption", "Parked at noon."), ("credit", "A. Reporter"))},
    "media.delete": lambda s: {},
    "submissions.transition": lambda s: {"action": "mark_edited", "version": s.version()} if s.staff else
                                        {"action": "withdraw", "version": s.version(), "comment": "I cannot go on."},
    "editorial.page": lambda s: {"version": s.version(), "section_id": str(s.values["section_id"]),
                                 "tags": "Ports, Night shifts", "top_image_id": "",
                                 "seo_description": "Who works the harbour at night."},
    "editorial.schedule": lambda s: {"version": s.version(), "publish_at": _in_a_week()},
    "editorial.unschedule": lambda s: {"version": s.version()},
    "submissions.save_view": lambda s: {"name": "Edited stories", "query": "state=edited"},
    "submissions.delete_view": lambda s: {},
    "admin.email_template": lambda s: {**s.wording, "action": "save"},
    "admin.reset_email_template": lambda s: {},
    "admin.invite": lambda s: {"email": "new.editor@example.org", "role": "editor"},
    "admin.revoke_invitation": lambda s: {},
    "admin.change_role": lambda s: {"role": "editor"},
    "admin.disable": lambda s: {},
    "admin.enable": lambda s: {},
    "admin.retry_delivery": lambda s: {},
    "admin.sections": lambda s: {"name": "Analysis", "description": "Longer reads.", "position": "20"},
    "admin.section": lambda s: {"name": "Local news", "description": "What happens here.", "position": "5"},
    "admin.delete_section": lambda s: {},
    "pages.edit": lambda s: {"title": "Guidelines for contributors", "body": "## How to pitch\n\nWrite to us."},
    "auth.login": lambda s: {"email": s.emails[s.role] or "reporter.b@example.org", "password": PASSWORD},
    "auth.logout": lambda s: {},
    "auth.reset_password": lambda s: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "auth.accept_invitation": lambda s: {"display_name": "Joiner", "byline_name": "J. Oiner",
                                         "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "auth.change_password": lambda s: {"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD,
                                       "pw-confirm": NEW_PASSWORD},
    # the password that the row above set
    "privacy.delete_account": lambda s: {"del-password": NEW_PASSWORD, "del-understood": "y"},
}


def test_the_post_table_has_a_form_for_every_row_and_keeps_outsiders_out():
    """The written-down table itself: a valid form per row, and for anonymous and contributor B nothing changes
    outside their own account, public forms and emailed links (they are refused or sent away)."""
    assert set(FORMS) == set(EXPECTED_POST)
    assert len(EXPECTED_POST) == POST_ROUTES and all(set(row) == set(ROLES) for row in EXPECTED_POST.values())
    assert sum(len(row) for row in EXPECTED_POST.values()) == POST_CELLS == 310
    for endpoint, row in EXPECTED_POST.items():
        for role in ("anonymous", "contributor_b"):
            if endpoint not in OUTSIDERS_MAY:
                assert row[role][1] == SAME and row[role][0] in (302, 303, 403, 404), (endpoint, role, row[role])


@pytest.mark.parametrize("role", ROLES)
def test_every_post_route_answers_each_role_as_written(app, one_of_everything, role):
    """Every POST route, a valid form, the session's CSRF token: the status and whether the database changed."""
    values, _, clients = one_of_everything
    scene = Scene(app, values, clients, role)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert set(rules) == set(EXPECTED_POST), "a POST route without its row in the matrix"
    differences, cells = [], 0
    for endpoint, row in EXPECTED_POST.items():
        url = scene.url(rules[endpoint])
        client = scene.second_browser() if endpoint in SECOND_BROWSER else clients[role]
        form = FORMS[endpoint](scene)
        multipart = {"content_type": "multipart/form-data"} if endpoint == "media.upload" else {}
        before = fingerprint(app)
        if endpoint in JSON_ROUTES:  # posted by /static/webauthn.js: JSON, the token in a header
            token = client.csrf_token("/account" if client.user_email else "/login")
            response = client.http.post(url, json=form, headers={"X-CSRFToken": token})
        else:
            response = client.post(url, form, **multipart)
        cell = (response.status_code, SAME if fingerprint(app) == before else CHANGES)
        # What this row handed to a worker (a reset request, a photo to prepare) is done before the next row is
        # measured, whether the test run's worker or this process does it.
        finish_reset_requests(app)
        prepare_images(app)
        cells += 1
        if cell != row[role]:
            differences.append(f"{role:14} POST {url} ({endpoint}): {cell}, expected {row[role]}")
    assert not differences, "\n".join(differences)
    assert cells == len(rules) == POST_ROUTES  # × 5 roles, one test each: POST_CELLS cells

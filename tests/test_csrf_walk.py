"""Walks the app's URL map: no GET changes anything, and no POST is taken without the form's CSRF token (except
the three that are meant to be posted from outside, each protected otherwise).

The rules are read from ``app.url_map``, so a new route is walked without anyone adding it here; its arguments
are filled with the ids of real objects (a story with a draft, an attachment, a photo, a message, a saved view,
an invitation, a section, a notification).
"""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from tests.helpers import Client, png_bytes
from workflow.extensions import db

# Posted by mail clients or from cached public pages, without a session: each is protected another way.
CSRF_EXEMPT = {
    "notifications.unsubscribe": "a signed per-person link (RFC 8058 one-click)",
    "newsletter.unsubscribe": "a signed per-subscriber link (RFC 8058 one-click)",
    "newsletter.signup": "the request's Origin is checked; double opt-in makes a forged signup harmless",
}


# The Celery worker of the test session goes on delivering the emails the fixture's actions wrote, meanwhile:
# what it writes (the delivery columns of the outbox, and its ledger) is left out; what requests write is not.
DELIVERY_COLUMNS = {"status", "attempts", "queued_at", "attempts_at_retry", "next_attempt_at", "locked_until",
                    "sent_at", "last_error", "server_reply"}
WORKER_TABLES = {"delivery_attempts"}


def fingerprint(app) -> str:
    """A hash of every row of every table: equal before and after means no request changed anything."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in WORKER_TABLES:
                continue
            columns = [c for c in table.columns if not (table.name == "notifications" and c.name in DELIVERY_COLUMNS)]
            order = list(table.primary_key.columns) or columns
            for row in db.session.execute(sa.select(*columns).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
        db.session.remove()
    return digest.hexdigest()


@pytest.fixture
def world(app, factory, make_client):
    """One of everything a URL can name, and a signed-in client for each role."""
    from tests.test_articles import _publish
    from workflow.articles import images
    from workflow.articles.models import Section, Tag
    from workflow.auth import services as accounts
    from workflow.auth.models import Role, User
    from workflow.newsletter.models import Subscriber
    from workflow.notifications.models import Notification
    from workflow.submissions import services
    from workflow.submissions.models import Attachment, Submission

    slug, editor = _publish(app, factory)
    admin, reporter = factory.user("admin"), factory.user()
    story = factory.submission(reporter, "assigned", editor=editor, with_draft=True)
    factory.message(editor, story, "How is it going?")
    with app.app_context():
        submission = db.session.get(Submission, story.id)
        author = db.session.get(User, reporter.id)
        services.check_attachments([("notes.pdf", b"%PDF-1.4 notes")])
        from workflow.core import storage

        stored = storage.store(b"%PDF-1.4 notes", "application/pdf")
        attachment = Attachment(submission_id=story.id, uploaded_by_id=reporter.id, filename="notes.pdf",
                                content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                storage_key=stored.key)
        db.session.add(attachment)
        from PIL import Image as Picture

        buffer = io.BytesIO()
        Picture.new("RGB", (640, 360), (120, 80, 60)).save(buffer, "JPEG")
        photo = images.add_image(author, submission, "photo.jpg", buffer.getvalue(), alt="A street")
        section = Section(slug="news", name="News")
        tag = Tag(slug="ports", name="Ports")
        db.session.add_all([section, tag])
        view = services.save_view(db.session.get(User, editor.id), "Mine", "assignee=mine")
        invitation = accounts.invite(db.session.get(User, admin.id), "invitee@example.org", Role.EDITOR)
        db.session.add(Subscriber(email="reader@example.org"))
        db.session.commit()
        notification = db.session.scalar(sa.select(Notification.id).where(Notification.recipient_id == reporter.id)
                                         .limit(1))
        published = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        values = {
            "submission_id": story.id, "attachment_id": attachment.id, "image_id": photo.id, "key": photo.key,
            "width": photo.widths[0], "number": 1, "notification_id": notification, "view_id": view.id,
            "invitation_id": invitation.id, "user_id": reporter.id, "section_id": section.id,
            "event": "submission.assigned", "public_id": published.contributor.public_id, "filename": "desk.css",
            "token": "not-a-real-token",
        }
    slugs = {"articles.article": slug, "articles.section": "news", "articles.section_feed": "news",
             "articles.tag": "ports", "pages.edit": "guidelines"}
    clients = {"anonymous": Client(app)}
    for role, person in (("contributor", reporter), ("editor", editor), ("admin", admin)):
        clients[role] = make_client()
        clients[role].login(person.email)
    return values, slugs, clients


def url_of(app, rule, values: dict, slugs: dict) -> str:
    arguments = {name: slugs[rule.endpoint] if name == "slug" else values[name] for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def test_no_get_changes_anything_for_anyone(app, world):
    values, slugs, clients = world
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


def test_no_post_is_taken_without_the_form_s_csrf_token(app, world):
    values, slugs, clients = world
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    exempt = set()
    for rule in rules:
        if rule.endpoint in CSRF_EXEMPT:
            exempt.add(rule.endpoint)
            continue
        url = url_of(app, rule, values, slugs)
        for role in ("anonymous", "admin", "contributor"):
            before = fingerprint(app)
            response = clients[role].post(url, {"body": "x", "email": "someone@example.org", "action": "assign",
                                                "comment": "x", "version": "1"}, csrf=False)
            assert response.status_code == 400, (role, url, response.status_code)
            assert "came from another site" in response.get_data(as_text=True), url
            assert fingerprint(app) == before, f"POST {url} without a token as {role} changed the database"
    assert exempt == set(CSRF_EXEMPT)  # a new exemption must be argued for here


def test_the_exempt_posts_are_protected_otherwise(app, world):
    values, slugs, clients = world
    before = fingerprint(app)
    assert clients["anonymous"].post("/unsubscribe/forged", {}, csrf=False).status_code == 404
    assert clients["anonymous"].post("/newsletter/unsubscribe/forged", {}, csrf=False).status_code == 404
    response = clients["anonymous"].post("/newsletter", {"email": "forged@example.org"}, csrf=False,
                                         headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert fingerprint(app) == before


def test_a_photo_upload_without_the_token_is_refused_too(app, world):
    values, _, clients = world
    before = fingerprint(app)
    response = clients["admin"].post(f"/submissions/{values['submission_id']}/images",
                                     {"upload-image": (io.BytesIO(png_bytes()), "x.png"), "upload-alt": "x"},
                                     csrf=False, content_type="multipart/form-data")
    assert response.status_code == 400 and fingerprint(app) == before

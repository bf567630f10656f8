"""The editor's side of the article page: section, tags, SEO description, top image, scheduled publication,
and the guidelines page that admins write."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.helpers import Client, page_version, publish, signed_in, text_of
from workflow.articles import editorial
from workflow.articles.models import Image, ImageStatus, Section, Tag
from workflow.core.models import clock_set_to, utcnow
from workflow.extensions import db
from workflow.notifications.models import Notification
from workflow.submissions.models import AuditEntry, Submission


@pytest.fixture
def edited_story(app, factory, make_client):
    """An editor signed in, a contributor, and an edited story of theirs with a draft."""
    editor = factory.user("editor")
    reporter = factory.user(byline="L. Ostrova")
    story = factory.submission(reporter, "edited", editor=editor, headline="The ferry that still runs")
    client = signed_in(app, editor)
    return editor, reporter, story, client


def _section(app, name="Analysis", slug="analysis", position=1) -> int:
    with app.app_context():
        section = Section(name=name, slug=slug, position=position)
        db.session.add(section)
        db.session.commit()
        return section.id


def _image(app, story, **fields) -> int:
    with app.app_context():
        image = Image(key=f"k{story.id}{len(fields)}{time.monotonic_ns()}", submission_id=story.id,
                      content_type="image/jpeg", width=1600, height=900, widths=[480, 800, 1600], sha256="0" * 64,
                      status=ImageStatus.READY,
                      **fields)
        db.session.add(image)
        db.session.commit()
        return image.id


def _page(client, story, **fields):
    path = f"/submissions/{story.id}"
    data = {"version": page_version(client, path), "section_id": "", "tags": "", "top_image_id": "",
            "seo_description": "", **fields}
    return client.post(f"/submissions/{story.id}/page", data, page=path)


def _stored(app, story) -> Submission:
    with app.app_context():
        submission = db.session.get(Submission, story.id)
        db.session.expunge(submission)
        return submission


# --- the page settings -------------------------------------------------------------------------------------

def test_the_editor_sets_section_tags_image_and_description_and_the_article_shows_them(app, edited_story):
    editor, reporter, story, client = edited_story
    section_id = _section(app)
    image_id = _image(app, story, alt="The ferry at dawn", caption="The last crossing.", credit="L. Ostrova")
    response = _page(client, story, section_id=str(section_id), tags="Kherson, river transport, Kherson",
                     top_image_id=str(image_id), seo_description="How a river ferry keeps a cut-off town fed.")
    assert response.status_code == 303
    detail = client.get(f"/submissions/{story.id}")
    assert "set how the story's page looks" in text_of(detail)  # the audit trail says it

    client.post(f"/submissions/{story.id}/transition",
                {"action": "publish", "version": page_version(client, f"/submissions/{story.id}")},
                page=f"/submissions/{story.id}")
    slug = _stored(app, story).slug
    html = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    assert '<a href="/sections/analysis">Analysis</a>' in html
    assert re.search(r'<a href="/tags/kherson">Kherson</a>.*<a href="/tags/river-transport">river transport</a>',
                     html, re.S)
    assert html.count("/tags/kherson") == 1  # typed twice, kept once
    assert '<meta name="description" content="How a river ferry keeps a cut-off town fed.">' in html
    assert 'property="og:description" content="How a river ferry keeps a cut-off town fed."' in html
    with app.app_context():
        assert db.session.get(Submission, story.id).top_image_id == image_id


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(app, edited_story):
    _, _, story, client = edited_story
    too_many = ", ".join(f"place {n}" for n in range(12))
    response = _page(client, story, tags=too_many, seo_description="Kept as typed")
    assert response.status_code == 422
    page = text_of(response)
    assert "At most 10 tags; you gave 12." in page
    html = response.get_data(as_text=True)
    assert "place 11" in html and "Kept as typed" in html
    response = _page(client, story, seo_description="x" * 301)
    assert response.status_code == 422 and "At most 300 characters." in text_of(response)


def test_the_top_image_must_be_one_of_the_story_s_own(app, edited_story, factory):
    editor, _, story, client = edited_story
    other = factory.submission(factory.user(), "assigned", editor=editor)
    foreign = _image(app, other, alt="Someone else's photo")
    response = _page(client, story, top_image_id=str(foreign))
    assert response.status_code == 422
    assert "Choose one of this story's images." in text_of(response)
    assert _stored(app, story).top_image_id is None


def test_only_the_desk_sets_the_page_and_a_stale_form_gets_the_conflict_page(app, edited_story, make_client):
    editor, reporter, story, client = edited_story
    contributor = signed_in(app, reporter)
    assert "The story's page" not in text_of(contributor.get(f"/submissions/{story.id}"))
    response = contributor.post(f"/submissions/{story.id}/page", {"version": "1", "tags": "x"},
                                page=f"/submissions/{story.id}")
    assert response.status_code == 403

    stale = page_version(client, f"/submissions/{story.id}")
    assert _page(client, story, tags="first").status_code == 303
    response = client.post(f"/submissions/{story.id}/page",
                           {"version": stale, "tags": "second", "section_id": "", "top_image_id": ""},
                           page=f"/submissions/{story.id}")
    assert response.status_code == 409
    assert "changed since you opened it" in text_of(response)
    with app.app_context():
        assert [t.name for t in db.session.get(Submission, story.id).tags] == ["first"]


def test_tags_are_shared_between_stories_by_their_slug(app, edited_story, factory):
    editor, _, story, client = edited_story
    other = factory.submission(factory.user(), "edited", editor=editor)
    _page(client, story, tags="Energy grid")
    _page(client, other, tags="energy GRID, Winter")
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Tag.slug))) == ["energy-grid", "winter"]


def test_changing_the_page_of_a_published_story_changes_its_etag(app, edited_story):
    editor, _, story, client = edited_story
    client.post(f"/submissions/{story.id}/transition",
                {"action": "publish", "version": page_version(client, f"/submissions/{story.id}")},
                page=f"/submissions/{story.id}")
    slug = _stored(app, story).slug
    reader = Client(app)
    etag = reader.get(f"/articles/{slug}").headers["ETag"]
    _page(client, story, tags="Ports")
    response = reader.get(f"/articles/{slug}", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Ports" in text_of(response)


# --- scheduled publication -----------------------------------------------------------------------------------

def _schedule(client, story, at: str):
    path = f"/submissions/{story.id}"
    return client.post(f"/submissions/{story.id}/schedule", {"version": page_version(client, path),
                                                             "publish_at": at}, page=path)


def test_a_scheduled_story_is_published_once_at_its_time(app, edited_story):
    editor, reporter, story, client = edited_story
    at = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = _schedule(client, story, at.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 303
    detail = text_of(client.get(f"/submissions/{story.id}"))
    assert f"To be published on {at.strftime('%d %b %Y at %H:%M')} UTC" in detail
    assert f"scheduled publication for {at.strftime('%d %b %Y, %H:%M')} UTC" in detail

    with app.app_context():
        with clock_set_to(at - timedelta(minutes=1)):
            assert editorial.publish_due() == []
        assert db.session.get(Submission, story.id).state.value == "edited"
        with clock_set_to(at + timedelta(seconds=30)):
            assert editorial.publish_due() == [story.id]
            assert editorial.publish_due() == []  # beat again: nothing is due any more
        db.session.expire_all()
        published = db.session.get(Submission, story.id)
        assert published.state.value == "published" and published.scheduled_at is None
        assert published.published_at >= at
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.submission_id == story.id,
                                                                 AuditEntry.action == "publish")).all()
        assert len(entries) == 1 and entries[0].actor_id == editor.id
        told = db.session.scalars(sa.select(Notification).where(Notification.submission_id == story.id,
                                                                Notification.event == "submission.published"))
        assert [n.email for n in told] == [reporter.email]
    assert Client(app).get(f"/articles/{published.slug}").status_code == 200


def test_two_runs_racing_publish_the_story_once(app, edited_story):
    """Two beats read the story as due at the same moment: one publishes, the other loses the version check."""
    _, _, story, client = edited_story
    at = utcnow() + timedelta(hours=2)
    _schedule(client, story, at.strftime("%Y-%m-%dT%H:%M"))
    with app.app_context(), clock_set_to(at + timedelta(minutes=1)):
        stale = db.session.get(Submission, story.id)
        version = stale.version
        with app.app_context():  # the other run, in its own session, gets there first
            assert editorial.publish_due() == [story.id]
        from workflow.core.errors import Conflict
        from workflow.people.models import User
        from workflow.submissions import services

        with pytest.raises(Conflict):
            services.transition(db.session.get(User, stale.editor_id), stale, services.TransitionInput(
                action="publish", seen_version=version))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.submission_id == story.id, AuditEntry.action == "publish")) == 1


def test_a_schedule_in_the_past_or_on_a_story_not_edited_is_refused(app, edited_story, factory):
    editor, _, story, client = edited_story
    response = _schedule(client, story, (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 422
    assert "Choose a time at least a few minutes from now, or publish now." in text_of(response)
    response = _schedule(client, story, "next tuesday")
    assert response.status_code == 422 and "Enter a date and a time, like 2026-12-01 09:00." in text_of(response)
    assigned = factory.submission(factory.user(), "assigned", editor=editor)
    assert "Publish later" not in text_of(client.get(f"/submissions/{assigned.id}"))
    response = _schedule(client, assigned, (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 422 and "Only an edited story can be scheduled." in text_of(response)


def test_sending_the_story_back_or_cancelling_drops_the_schedule(app, edited_story):
    editor, _, story, client = edited_story
    at = utcnow() + timedelta(days=1)
    _schedule(client, story, at.strftime("%Y-%m-%dT%H:%M"))
    path = f"/submissions/{story.id}"
    response = client.post(f"{path}/schedule/cancel", {"version": page_version(client, path)}, page=path)
    assert response.status_code == 303
    assert _stored(app, story).scheduled_at is None
    assert "cancelled the scheduled publication" in text_of(client.get(path))

    _schedule(client, story, at.strftime("%Y-%m-%dT%H:%M"))
    client.post(f"{path}/transition", {"action": "request_revision", "version": page_version(client, path),
                                       "comment": "One more source, please."}, page=path)
    assert _stored(app, story).scheduled_at is None
    with app.app_context(), clock_set_to(at + timedelta(minutes=5)):
        assert editorial.publish_due() == []


def test_a_schedule_by_someone_who_can_no_longer_publish_waits_for_an_editor(app, edited_story, caplog):
    editor, _, story, client = edited_story
    at = utcnow() + timedelta(days=1)
    _schedule(client, story, at.strftime("%Y-%m-%dT%H:%M"))
    with app.app_context():
        from workflow.people.models import Role, User

        db.session.get(User, editor.id).role = Role.CONTRIBUTOR
        db.session.commit()
        with clock_set_to(at + timedelta(minutes=1)):
            assert editorial.publish_due() == []
        assert db.session.get(Submission, story.id).state.value == "edited"
    assert f"submission {story.id} is due for publication but its scheduler" in caplog.text


def test_the_cli_publishes_what_is_due(app, edited_story):
    _, _, story, client = edited_story
    _schedule(client, story, (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    with app.app_context():
        db.session.get(Submission, story.id).scheduled_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["articles", "publish-scheduled"])
    assert result.exit_code == 0 and "Published 1 scheduled story." in result.output
    assert _stored(app, story).state.value == "published"


def test_beat_publishes_scheduled_stories_every_minute(app):
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["publish-scheduled"]
    assert entry["task"] == "articles.publish_scheduled" and entry["schedule"] == 60
    assert "articles.publish_scheduled" in celery.tasks


@pytest.mark.worker
def test_the_worker_publishes_a_due_story_and_the_contributor_is_emailed(app, edited_story, worker, mailbox):
    from workflow.articles.tasks import publish_scheduled

    _, reporter, story, client = edited_story
    _schedule(client, story, (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    with app.app_context():
        db.session.get(Submission, story.id).scheduled_at = utcnow() - timedelta(seconds=5)
        db.session.commit()
        publish_scheduled.delay()
    [message] = mailbox.wait_for(lambda m: m["To"] == reporter.email
                                 and m["Subject"] == "Published: The ferry that still runs", timeout=30)
    assert _stored(app, story).state.value == "published"


# --- the guidelines ----------------------------------------------------------------------------------------

def test_the_guidelines_are_public_and_every_article_links_to_them_and_to_the_pitch_form(app, factory):
    response = Client(app).get("/guidelines")
    assert response.status_code == 200
    page = text_of(response)
    assert "Guidelines for contributors" in page and "How to pitch" in page
    assert 'href="/pitch"' in response.get_data(as_text=True)
    slug, _ = publish(app, factory)
    article = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    call = article[article.index('class="contributor-call article__call"'):]
    assert "Have a story idea?" in call and 'href="/guidelines"' in call and 'href="/pitch"' in call


def test_an_admin_edits_the_guidelines_and_nobody_else_can(app, factory, make_client):
    admin, editor = factory.user("admin"), factory.user("editor")
    as_editor = signed_in(app, editor)
    assert as_editor.get("/admin/pages/guidelines").status_code == 403
    assert Client(app).get("/admin/pages/guidelines").status_code == 302  # to sign in
    as_admin = signed_in(app, admin)
    form = as_admin.get("/admin/pages/guidelines")
    assert form.status_code == 200 and "How to pitch" in form.get_data(as_text=True)  # the default, to edit

    response = as_admin.post("/admin/pages/guidelines", {"title": "", "body": "Kept text"},
                             page="/admin/pages/guidelines")
    assert response.status_code == 422
    assert "Give the page a title." in text_of(response) and "Kept text" in response.get_data(as_text=True)
    assert as_admin.get("/admin/pages/nope").status_code == 404

    body = "## What we pay\n\nWe pay on publication.\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    response = as_admin.post("/admin/pages/guidelines", {"title": "Write for us", "body": body},
                             page="/admin/pages/guidelines")
    assert response.status_code == 303
    public = Client(app).get("/guidelines")
    html = public.get_data(as_text=True)
    assert '<h2 dir="auto">What we pay</h2>' in html and "We pay on publication." in html
    assert "<script>alert" not in html and 'href="javascript:' not in html
    assert "<h1" in html and "Write for us" in text_of(public)
    assert Client(app).get("/guidelines", headers={"If-None-Match": public.headers["ETag"]}).status_code == 304


# --- the outlet's face -------------------------------------------------------------------------------------

def test_public_pages_wear_the_outlet_s_header_and_the_desk_its_own(app, factory, make_client):
    _section(app, "Frontlines", "frontlines")
    slug, editor = publish(app, factory)
    reader = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    assert "site-header--public" in reader and "Contributor desk" not in reader
    assert '<a href="/sections/frontlines" dir="auto">Frontlines</a>' in reader
    client = signed_in(app, editor)
    desk_page = client.get("/queue").get_data(as_text=True)
    assert "site-header--public" not in desk_page and "Contributor desk" in desk_page
    assert "Your desk" in client.get(f"/articles/{slug}").get_data(as_text=True)

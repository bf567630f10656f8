"""What the editor decides about a story's page beyond its text: section, tags, SEO description, top image, and
when it goes out (now, or at a scheduled time that beat keeps).

Each change is checked against the version the editor saw (a stale page gets 409, never a silent overwrite),
touches the submission (so its version and the article page's ETag move) and is written to the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm.exc import StaleDataError

from workflow.articles.models import Image, ImageStatus, Section, Tag
from workflow.core.errors import Conflict, DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.core.transaction import unit_of_work
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions import services
from workflow.submissions.models import AuditEntry, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

MAX_TAGS = 10
TAG_LENGTH = 80
# States in which the page's settings mean something: commissioned, edited, or already out.
EDITABLE_STATES = (State.ASSIGNED, State.EDITED, State.PUBLISHED)
# A schedule closer than this is "now": publish instead.
SCHEDULE_MARGIN = timedelta(minutes=2)


@dataclass
class PageSettings:
    section_id: int | None
    tags: str  # as typed: names separated by commas
    seo_description: str
    top_image_id: int | None


def tag_names(text: str) -> list[str]:
    """The tags typed as "Kharkiv, drones, Kharkiv": each once (by slug), trimmed, in the order typed."""
    names, seen = [], set()
    for raw in text.split(","):
        name = " ".join(raw.split())
        slug = slugify(name, max_length=TAG_LENGTH)
        if not slug or slug in seen:
            continue
        if len(name) > TAG_LENGTH:
            raise DomainError(f"“{name[:30]}…” is too long for a tag: at most {TAG_LENGTH} characters.",
                              field="tags")
        seen.add(slug)
        names.append(name)
    if len(names) > MAX_TAGS:
        raise DomainError(f"At most {MAX_TAGS} tags; you gave {len(names)}.", field="tags")
    return names


def tags_for(names: list[str]) -> list[Tag]:
    """The Tag rows for these names, creating the new ones. Two editors creating one tag at once: the unique
    slug keeps one, and the loser reads it."""
    slugs = [slugify(name, max_length=TAG_LENGTH) for name in names]
    existing = {tag.slug: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.slug.in_(slugs)))}
    tags = []
    for name, slug in zip(names, slugs):
        tag = existing.get(slug)
        if tag is None:
            try:
                with db.session.begin_nested():
                    tag = Tag(slug=slug, name=name)
                    db.session.add(tag)
            except sa.exc.IntegrityError:
                tag = db.session.scalar(sa.select(Tag).where(Tag.slug == slug))
        tags.append(tag)
    return tags


def _check(actor: User, submission: Submission, seen_version: int) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only editors set how a story is published.")
    if seen_version != submission.version:
        raise Conflict("This submission changed since you opened it.", current=submission,
                       seen_version=seen_version)


def _save(actor: User, submission: Submission, action: str, what: str, comment: str, seen_version: int) -> None:
    """Flush the change as one UPDATE guarded by the version, and write it to the audit trail."""
    services.touch(submission, actor, f"{actor.display_name} {what}")
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict("This submission changed while you were saving.",
                       current=db.session.get(Submission, submission.id), seen_version=seen_version) from exc
    db.session.add(AuditEntry(submission_id=submission.id, actor_id=actor.id, action=action,
                              from_state=submission.state, to_state=submission.state, comment=comment,
                              version=submission.version))
    db.session.flush()


def update_page(actor: User, submission: Submission, settings: PageSettings, seen_version: int) -> None:
    """Set the section, tags, SEO description and top image of the story's page."""
    _check(actor, submission, seen_version)
    if submission.state not in EDITABLE_STATES:
        raise DomainError("The page of a story is set once it is commissioned.")
    if settings.section_id is not None and db.session.get(Section, settings.section_id) is None:
        raise DomainError("That section no longer exists; choose another.", field="section_id")
    if settings.top_image_id is not None:
        image = db.session.get(Image, settings.top_image_id)
        if image is None or image.submission_id != submission.id:
            raise DomainError("Choose one of this story's images.", field="top_image_id")
        if image.status is ImageStatus.FAILED and image.id != submission.top_image_id:
            raise DomainError("That photo could not be prepared for the page: choose another, or upload it again.",
                              field="top_image_id")
    tags = tags_for(tag_names(settings.tags))
    with db.session.no_autoflush:
        submission.section_id = settings.section_id
        submission.seo_description = settings.seo_description.strip() or None
        submission.top_image_id = settings.top_image_id
        submission.tags = tags
    _save(actor, submission, "page_settings", "set how the story's page looks", "", seen_version)
    log.info("user %s set the page of submission %s (section %s, %s tags, image %s)", actor.id, submission.id,
             settings.section_id, len(tags), settings.top_image_id)


def schedule(actor: User, submission: Submission, at: datetime, seen_version: int) -> None:
    """Publish the edited story at ``at`` (UTC): beat publishes it then, once (see :func:`publish_due`)."""
    _check(actor, submission, seen_version)
    if submission.state is not State.EDITED:
        raise DomainError("Only an edited story can be scheduled.")
    if at <= utcnow() + SCHEDULE_MARGIN:
        raise DomainError("Choose a time at least a few minutes from now, or publish now.", field="publish_at")
    submission.scheduled_at = at
    submission.scheduled_by_id = actor.id
    when = at.strftime("%d %b %Y, %H:%M UTC")
    _save(actor, submission, "schedule", f"scheduled publication for {when}", when, seen_version)
    log.info("user %s scheduled submission %s for %s", actor.id, submission.id, at.isoformat())


def unschedule(actor: User, submission: Submission, seen_version: int) -> None:
    _check(actor, submission, seen_version)
    if submission.scheduled_at is None:
        raise DomainError("This story is not scheduled.")
    submission.scheduled_at = None
    submission.scheduled_by_id = None
    _save(actor, submission, "unschedule", "cancelled the scheduled publication", "", seen_version)
    log.info("user %s cancelled the schedule of submission %s", actor.id, submission.id)


def due(now: datetime | None = None) -> list[int]:
    """Ids of the edited stories whose scheduled time has come."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Submission.id).where(Submission.scheduled_at <= now, Submission.state == State.EDITED)
        .order_by(Submission.scheduled_at, Submission.id)))


def publish_due(now: datetime | None = None) -> list[int]:
    """Publish every story whose time has come, each in its own transaction, as the editor who scheduled it.

    Each is published once: the publish transition clears the schedule in the same guarded UPDATE, so a second
    run (or two beats racing) finds nothing due or loses the version check and moves on.
    """
    published = []
    for submission_id in due(now):
        try:
            with unit_of_work():  # each story in its own transaction
                submission = db.session.get(Submission, submission_id)
                if submission is None or submission.state is not State.EDITED or submission.scheduled_at is None:
                    continue
                actor = submission.scheduled_by
                if actor is None or not actor.is_staff or not actor.is_active:
                    log.error("submission %s is due for publication but its scheduler (user %s) can no longer "
                              "publish; left for an editor", submission.id, submission.scheduled_by_id)
                    continue
                services.transition(actor, submission, services.TransitionInput(
                    action="publish", seen_version=submission.version,
                    comment="Published at the scheduled time."))
        except Conflict:
            log.info("submission %s changed while beat was publishing it; skipped", submission_id)
        except (DomainError, PermissionDenied) as error:
            log.error("scheduled publication of submission %s refused: %s", submission_id, error.message)
        else:
            published.append(submission_id)
            log.info("published submission %s at its scheduled time", submission_id)
    return published

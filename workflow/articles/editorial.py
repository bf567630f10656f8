"""What the editor decides about a story's page beyond its text: section, tags, SEO description, top image, the
language it is written in and its translation, and when it goes out (now, or at a scheduled time that beat keeps).

Each change is checked against the version the editor saw (a stale page gets 409, never a silent overwrite),
touches the submission (so its version and the article page's ETag move) and is written to the audit trail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from workflow.articles.models import Image, ImageStatus, PreviousSlug, Section, StoryLanguage, Tag
from workflow.core.errors import Conflict, DomainError, PermissionDenied
from workflow.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, stored_moment
from workflow.core.models import utcnow
from workflow.core.slugs import slug as slug_of
from workflow.core.transaction import unit_of_work
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions import activity, services
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
    language: str | None = None  # a code of LANGUAGES; None: the language the text is written in
    translation: str = ""  # the address (or slug) of the published story in the other language; "" for none


# Letters of the Arabic script: the Arabic block, its supplements and its presentation forms.
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# What is not prose: addresses and the photos' keys in the Markdown (Latin letters that say nothing of the text).
_NOT_PROSE = re.compile(r"\]\([^)]*\)|https?://\S+|image:\S+")


def guess_language(text: str | None) -> str:
    """"ar" when most of the letters of ``text`` are Arabic, else "en" (also for a text with no letters).

    Only the two languages the desk speaks, so the script is enough: an English quote in an Arabic story, or a
    name in Latin letters, does not turn it.
    """
    prose = _NOT_PROSE.sub(" ", text or "")
    letters = [char for char in prose if char.isalpha()]
    if not letters:
        return DEFAULT_LANGUAGE
    arabic = sum(1 for char in letters if _ARABIC_LETTER.match(char))
    return "ar" if arabic * 2 > len(letters) else "en"


@dataclass(frozen=True)
class StoryLanguageView:
    """A story's language as its page and its settings show it, with its translation's."""

    code: str  # the language it is shown in: the editor's choice, or the one its text is written in
    chosen: str | None  # the editor's choice; None when guessed from the text
    translation: Submission | None = None  # the story named as its translation (published or not)
    translation_code: str | None = None  # the language of that story

    @property
    def direction(self) -> str:
        return LANGUAGES[self.code].direction

    @property
    def name(self) -> str:
        """The language's name in the reader's language."""
        return language_name(self.code)

    @property
    def published_translation(self) -> Submission | None:
        """The translation, only while it is published: the page links to nothing else."""
        story = self.translation
        return story if story is not None and story.state is State.PUBLISHED and story.slug else None

    @property
    def translation_direction(self) -> str:
        return LANGUAGES[self.translation_code].direction if self.translation_code else "ltr"

    @property
    def translation_native_name(self) -> str:
        """The translation's language named in that language: a reader who cannot read this page finds theirs."""
        return LANGUAGES[self.translation_code].name if self.translation_code else ""


def language_name(code: str) -> str:
    """The name of a language the desk speaks, in the reader's language ("Arabic", "العربية")."""
    return {"en": _("English"), "ar": _("Arabic")}.get(code, code)


def _text_of(submission: Submission) -> str:
    """The text readers get (or, before publication, the latest draft): what the language is guessed from."""
    if submission.published_body is not None or submission.published_headline is not None:
        parts = [submission.published_headline, submission.published_dek, submission.published_body]
    else:
        revision = services.latest_revision(submission)
        parts = [revision.headline, revision.dek, revision.body] if revision else [submission.headline,
                                                                                  submission.summary]
    return "\n".join(part or "" for part in parts)


def _setting(submission_id: int) -> StoryLanguage | None:
    return db.session.get(StoryLanguage, submission_id)


def language_of(submission: Submission) -> StoryLanguageView:
    """The story's language, and its translation with that story's language: one query, whether or not either
    has a row."""
    partner = aliased(Submission)
    partner_setting = aliased(StoryLanguage)
    row = db.session.execute(
        sa.select(StoryLanguage.language, partner, partner_setting.language)
        .select_from(StoryLanguage)
        .outerjoin(partner, partner.id == StoryLanguage.translation_id)
        .outerjoin(partner_setting, partner_setting.submission_id == partner.id)
        .where(StoryLanguage.submission_id == submission.id)).first()
    chosen, translation, translation_chosen = row if row is not None else (None, None, None)
    chosen = chosen if chosen in LANGUAGES else None
    translation_code = None
    if translation is not None:
        translation_code = (translation_chosen if translation_chosen in LANGUAGES
                            else guess_language(_text_of(translation)))
    return StoryLanguageView(chosen or guess_language(_text_of(submission)), chosen, translation, translation_code)


def languages_of(stories: Iterable[Submission]) -> dict[int, str]:
    """The language of each story (by id), over one query: for lists and feeds whose text is loaded."""
    stories = list(stories)
    chosen = dict(db.session.execute(
        sa.select(StoryLanguage.submission_id, StoryLanguage.language)
        .where(StoryLanguage.submission_id.in_([story.id for story in stories]))).all()) if stories else {}
    return {story.id: (chosen.get(story.id) if chosen.get(story.id) in LANGUAGES
                       else guess_language(_text_of(story))) for story in stories}


def _published_by_address(address: str) -> Submission | None:
    """The story a slug or an address of the site names (``https://…/articles/<slug>``, ``/articles/<slug>``),
    following an old slug to its story. An Arabic address may come percent-encoded (as browsers copy it) or not."""
    slug = unquote(address.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    if not slug:
        return None
    story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
    if story is None:
        moved = db.session.get(PreviousSlug, slug)
        story = db.session.get(Submission, moved.submission_id) if moved is not None else None
    return story


def _translation_for(submission: Submission, language: str, address: str) -> Submission | None:
    """The story ``address`` names as the translation of ``submission`` (written in ``language``), or refuse."""
    if not address.strip():
        return None
    story = _published_by_address(address)
    if story is None or story.state is not State.PUBLISHED:
        raise DomainError(_("There is no published story at that address: give the address of the published "
                            "story in the other language."), field="translation")
    if story.id == submission.id:
        raise DomainError(_("A story cannot be its own translation: give the address of the story in the other "
                            "language."), field="translation")
    if language_of(story).code == language:
        raise DomainError(_("That story is in %(language)s too: its translation must be in the other language.",
                            language=language_name(language)), field="translation")
    return story


def _pair(actor: User, submission: Submission, setting: StoryLanguage, translation: Submission | None) -> bool:
    """Name ``translation`` as the story's translation (``setting`` is the story's row), both ways; the stories
    they were paired with before lose theirs. Every other story whose page changes is touched, so that its page
    (and its ETag) moves too. Returns whether anything changed."""
    before = setting.translation_id
    after = translation.id if translation is not None else None
    if before == after:
        return False
    setting.translation_id = after
    changed = set()
    if before is not None:  # the old partner no longer points here
        old = _setting(before)
        if old is not None and old.translation_id == submission.id:
            old.translation_id = None
        changed.add(before)
    if translation is not None:
        other = _setting(translation.id)
        if other is None:
            other = StoryLanguage(submission_id=translation.id)
            db.session.add(other)
        if other.translation_id not in (None, submission.id):  # the partner's old partner loses it
            abandoned = _setting(other.translation_id)
            if abandoned is not None and abandoned.translation_id == translation.id:
                abandoned.translation_id = None
            changed.add(other.translation_id)
        other.translation_id = submission.id
        changed.add(translation.id)
    for story_id in sorted(changed):
        story = db.session.get(Submission, story_id)
        if story is not None:
            services.touch(story, actor, activity.TRANSLATION)
    return True


TAG_SEPARATOR = re.compile("[,\u060c]")  # a comma, or the Arabic comma


def tag_names(text: str) -> list[str]:
    """The tags typed as "Kharkiv, drones, Kharkiv" (or with Arabic commas: "غزة، رفح"): each once (by slug),
    trimmed, in the order typed."""
    names, seen = [], set()
    for raw in TAG_SEPARATOR.split(text):
        name = " ".join(raw.split())
        slug = slug_of(name, max_length=TAG_LENGTH)
        if not slug or slug in seen:
            continue
        if len(name) > TAG_LENGTH:
            raise DomainError(_("“%(tag)s…” is too long for a tag: at most %(most)d characters.", tag=name[:30],
                                most=TAG_LENGTH), field="tags")
        seen.add(slug)
        names.append(name)
    if len(names) > MAX_TAGS:
        raise DomainError(_("At most %(most)d tags; you gave %(given)d.", most=MAX_TAGS, given=len(names)),
                          field="tags")
    return names


def tags_for(names: list[str]) -> list[Tag]:
    """The Tag rows for these names, creating the new ones. Two editors creating one tag at once: the unique
    slug keeps one, and the loser reads it."""
    slugs = [slug_of(name, max_length=TAG_LENGTH) for name in names]
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
        raise PermissionDenied(_("Only editors set how a story is published."))
    if seen_version != submission.version:
        raise Conflict(_("This submission changed since you opened it."), current=submission,
                       seen_version=seen_version)


def _save(actor: User, submission: Submission, action: str, what: str, comment: str, seen_version: int) -> None:
    """Flush the change as one UPDATE guarded by the version, and write it to the audit trail."""
    services.touch(submission, actor, what)
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(_("This submission changed while you were saving."),
                       current=db.session.get(Submission, submission.id), seen_version=seen_version) from exc
    db.session.add(AuditEntry(submission_id=submission.id, actor_id=actor.id, action=action,
                              from_state=submission.state, to_state=submission.state, comment=comment,
                              version=submission.version))
    db.session.flush()


def update_page(actor: User, submission: Submission, settings: PageSettings, seen_version: int) -> None:
    """Set the section, tags, SEO description, top image, language and translation of the story's page."""
    _check(actor, submission, seen_version)
    if submission.state not in EDITABLE_STATES:
        raise DomainError(_("The page of a story is set once it is commissioned."))
    if settings.section_id is not None and db.session.get(Section, settings.section_id) is None:
        raise DomainError(_("That section no longer exists; choose another."), field="section_id")
    if settings.top_image_id is not None:
        image = db.session.get(Image, settings.top_image_id)
        if image is None or image.submission_id != submission.id:
            raise DomainError(_("Choose one of this story's images."), field="top_image_id")
        if image.status is ImageStatus.FAILED and image.id != submission.top_image_id:
            raise DomainError(_("That photo could not be prepared for the page: choose another, or upload it "
                                "again."), field="top_image_id")
    chosen = settings.language or None
    if chosen is not None and chosen not in LANGUAGES:
        raise DomainError(_("Choose the language the story is written in: English or Arabic (or let the desk tell "
                            "from the text)."), field="language")
    language = chosen or guess_language(_text_of(submission))
    translation = _translation_for(submission, language, settings.translation or "")
    tags = tags_for(tag_names(settings.tags))
    with db.session.no_autoflush:
        submission.section_id = settings.section_id
        submission.seo_description = settings.seo_description.strip() or None
        submission.top_image_id = settings.top_image_id
        submission.tags = tags
        setting = _setting(submission.id)
        if setting is None and (chosen is not None or translation is not None):
            setting = StoryLanguage(submission_id=submission.id)
            db.session.add(setting)
        if setting is not None:
            setting.language = chosen
            _pair(actor, submission, setting, translation)
    _save(actor, submission, "page_settings", activity.PAGE, "", seen_version)
    log.info("user %s set the page of submission %s (section %s, %s tags, image %s, language %s, translation %s)",
             actor.id, submission.id, settings.section_id, len(tags), settings.top_image_id, chosen or "guessed",
             translation.id if translation is not None else None)


def schedule(actor: User, submission: Submission, at: datetime, seen_version: int) -> None:
    """Publish the edited story at ``at`` (UTC): beat publishes it then, once (see :func:`publish_due`)."""
    _check(actor, submission, seen_version)
    if submission.state is not State.EDITED:
        raise DomainError(_("Only an edited story can be scheduled."))
    if at <= utcnow() + SCHEDULE_MARGIN:
        raise DomainError(_("Choose a time at least a few minutes from now, or publish now."), field="publish_at")
    submission.scheduled_at = at
    submission.scheduled_by_id = actor.id
    _save(actor, submission, "schedule", activity.scheduled(at), stored_moment(at), seen_version)
    log.info("user %s scheduled submission %s for %s", actor.id, submission.id, at.isoformat())


def unschedule(actor: User, submission: Submission, seen_version: int) -> None:
    _check(actor, submission, seen_version)
    if submission.scheduled_at is None:
        raise DomainError(_("This story is not scheduled."))
    submission.scheduled_at = None
    submission.scheduled_by_id = None
    _save(actor, submission, "unschedule", activity.UNSCHEDULED, "", seen_version)
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

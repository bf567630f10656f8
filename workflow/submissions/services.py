"""The verbs of the desk: pitch, transition, draft, message. Each checks, changes, logs and notifies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from workflow.core import metadata, storage
from workflow.core.errors import Conflict, DomainError, PermissionDenied
from workflow.core.metrics import count_transition
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit
from workflow.extensions import db
from workflow.notifications.services import notify
from workflow.people.models import Role, User
from workflow.submissions import activity, permissions
from workflow.submissions.models import (
    Attachment,
    AuditEntry,
    Message,
    Revision,
    RevisionKind,
    SavedView,
    Submission,
)
from workflow.submissions.workflow import (
    EMAIL_DETAILS,
    TRANSITIONS,
    Actor,
    Effect,
    Email,
    Recipient,
    Requirement,
    State,
    Transition,
    find_transition,
)

log = logging.getLogger(__name__)


@dataclass
class PitchInput:
    headline: str
    summary: str
    angle: str
    sources: str
    proposed_words: int | None
    proposed_deadline: date | None
    experience: str
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class TransitionInput:
    action: str
    seen_version: int
    comment: str = ""
    editor_id: int | None = None
    deadline: date | None = None
    assigned_words: int | None = None
    fee: Decimal | None = None


def touch(submission: Submission, actor: User, what: str) -> None:
    """``actor`` did ``what`` (a code of workflow/submissions/activity.py) to the story, just now."""
    submission.last_activity_at = utcnow()
    submission.last_activity_by_id = actor.id
    submission.last_activity = what[:200]


def _headline_params(submission: Submission) -> dict:
    return {"submission_id": submission.id, "headline": submission.headline}


def active_editors() -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.role.in_([Role.EDITOR, Role.ADMIN]), User.disabled_at.is_(None))
        .order_by(User.display_name)
    ))


def check_attachments(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes, str]]:
    """Each file cleaned of its metadata (workflow.core.metadata), with its real content type; or a DomainError on
    the attachments field naming every refusal (a file of the wrong type or size, or one that cannot be cleaned)."""
    checked, problems = [], []
    for name, data in files:
        try:
            content_type = storage.check_upload(storage.safe_filename(name, None), data)
            safe_name = storage.safe_filename(name, content_type)
            checked.append((safe_name, metadata.clean(safe_name, data, content_type).data, content_type))
        except DomainError as error:
            problems.append(error.message)
    if problems:
        raise DomainError(" ".join(problems), field="attachments")
    return checked


def submit_pitch(contributor: User, pitch: PitchInput) -> Submission:
    """A contributor pitches a story; the desk and the contributor are told."""
    if not contributor.is_confirmed:
        raise PermissionDenied(_("Please confirm your email address before you pitch a story."))
    if pitch.proposed_deadline is not None and pitch.proposed_deadline < utcnow().date():
        raise DomainError(_("This date has passed; choose a date from today on, or leave it empty."),
                          field="proposed_deadline")
    checked = check_attachments(pitch.files)
    submission = Submission(
        contributor=contributor,
        state=State.PITCHED,
        headline=pitch.headline.strip(),
        summary=pitch.summary.strip(),
        angle=pitch.angle.strip(),
        sources=pitch.sources.strip(),
        proposed_words=pitch.proposed_words,
        proposed_deadline=pitch.proposed_deadline,
        experience=pitch.experience.strip(),
        last_activity_by=contributor,
        last_activity=activity.PITCHED,
    )
    db.session.add(submission)
    db.session.flush()
    for name, data, content_type in checked:
        stored = storage.store(data, content_type, owner_id=contributor.id)
        db.session.add(Attachment(
            submission_id=submission.id, uploaded_by_id=contributor.id, filename=name,
            content_type=stored.content_type, size=stored.size, sha256=stored.sha256, storage_key=stored.key,
            metadata_removed=True,
        ))
    db.session.add(AuditEntry(submission_id=submission.id, actor_id=contributor.id, action="pitch",
                              from_state=None, to_state=State.PITCHED, version=submission.version))
    notify("submission.received", contributor, submission=submission, **_headline_params(submission))
    for editor in active_editors():
        if editor.role is Role.EDITOR:
            notify("submission.new_pitch", editor, submission=submission, author=contributor.byline_name,
                   **_headline_params(submission))
    db.session.flush()
    log.info("user %s pitched submission %s", contributor.id, submission.id)
    return submission


def transition(actor: User, submission: Submission, data: TransitionInput) -> AuditEntry:
    """Move a submission along the workflow table, or refuse with a reason.

    Raises Conflict if the submission changed since the actor's page was rendered (``seen_version``) or
    while this request ran; PermissionDenied or DomainError if the table or its requirements refuse.
    """
    if not permissions.can_view(actor, submission):
        raise PermissionDenied(_("You cannot act on this submission."))
    if data.seen_version != submission.version:
        raise Conflict(_("This submission changed since you opened it."), current=submission,
                       seen_version=data.seen_version)
    rule = find_transition(submission.state, data.action)
    if rule is None:
        raise DomainError(_("This submission is %(state)s: “%(action)s” is not possible now. Reload the page to "
                            "see what you can do.", state=str(submission.state.title).lower(),
                            action=_action_label(data.action)))
    if not rule.allows_role(actor.role, permissions.is_owner(actor, submission)):
        raise PermissionDenied(str(ACTOR_REFUSALS[rule.actor]) % {"action": rule.label})
    _check_requirements(rule, submission, data)

    source = submission.state
    # One UPDATE, guarded by the version, inside the try below: an autoflush from the effects' queries would
    # bump the version twice and let a concurrent change escape as a StaleDataError (a 500, not a 409).
    with db.session.no_autoflush:
        _apply_effects(rule, actor, submission, data)
        submission.state = rule.target
        if rule.target is not State.EDITED:  # a schedule holds only while the story waits, edited
            submission.scheduled_at = None
            submission.scheduled_by_id = None
        touch(submission, actor, activity.done(rule.done))
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        fresh = db.session.get(Submission, submission.id)
        raise Conflict(_("This submission changed while you were acting on it."), current=fresh,
                       seen_version=data.seen_version) from exc
    entry = AuditEntry(submission_id=submission.id, actor_id=actor.id, action=rule.action, from_state=source,
                       to_state=rule.target, comment=data.comment.strip(), version=submission.version)
    db.session.add(entry)
    _notify_transition(rule, actor, submission, data)
    db.session.flush()
    after_commit(db.session, partial(count_transition, rule.action, rule.target.value))
    log.info("user %s: submission %s %s -> %s (%s)", actor.id, submission.id, source.value, rule.target.value,
             rule.action)
    return entry


# Why someone may not take a row, by the row's actor (``%(action)s``: the button's label).
ACTOR_REFUSALS = {
    Actor.OWNER: _l("“%(action)s” is for the contributor who pitched the story."),
    Actor.EDITOR: _l("“%(action)s” is for editors."),
    Actor.ADMIN: _l("“%(action)s” is for admins only."),
}


def _action_label(action: str) -> str:
    return next((str(t.label) for t in TRANSITIONS if t.action == action), action)


def _check_requirements(rule: Transition, submission: Submission, data: TransitionInput) -> None:
    if Requirement.COMMENT in rule.requires and not data.comment.strip():
        raise DomainError(_("Please write the reason; the contributor will read it."), field="comment")
    if Requirement.DRAFT in rule.requires and latest_revision(submission) is None:
        raise DomainError(_("There is no draft yet."))
    if Requirement.ASSIGNMENT in rule.requires:
        editor = db.session.get(User, data.editor_id) if data.editor_id else None
        if editor is None or not editor.is_staff or not editor.is_active:
            raise DomainError(_("Choose the editor who will handle this story."), field="editor_id")
        if data.deadline is None:
            raise DomainError(_("Set a deadline for the draft."), field="deadline")
        if data.deadline < utcnow().date():
            raise DomainError(_("The deadline cannot be in the past."), field="deadline")


# What else publishing a story does, in the transaction of the change: other features add their steps (articles
# gives the story its address). Without one, the database refuses a published story with no slug.
_PUBLISHING_STEPS: list[Callable[[Submission, Revision], None]] = []


def add_publishing_step(step: Callable[[Submission, Revision], None]) -> None:
    """Run ``step(submission, revision)`` whenever a story is published (``create_app`` wires them)."""
    if step not in _PUBLISHING_STEPS:
        _PUBLISHING_STEPS.append(step)


def _assign(actor: User, submission: Submission, data: TransitionInput) -> None:
    # The relationship, not only the id: ``submission.editor`` is already loaded and read again by the emails.
    submission.editor = db.session.get(User, data.editor_id)
    submission.deadline = data.deadline
    submission.assigned_words = data.assigned_words
    submission.fee = data.fee


def _publish(actor: User, submission: Submission, data: TransitionInput) -> None:
    revision = latest_revision(submission)
    submission.published_headline = revision.headline
    submission.published_dek = revision.dek
    submission.published_body = revision.body
    submission.published_at = utcnow()
    for step in _PUBLISHING_STEPS:
        step(submission, revision)


def _unpublish(actor: User, submission: Submission, data: TransitionInput) -> None:
    submission.published_at = None  # no longer published; the slug stays so a republish keeps its address


def _restart_promise(actor: User, submission: Submission, data: TransitionInput) -> None:
    submission.pitched_at = utcnow()  # the response promise starts again


# How each effect a row of the workflow table names is carried out.
EFFECTS: dict[Effect, Callable[[User, Submission, TransitionInput], None]] = {
    Effect.ASSIGNMENT: _assign,
    Effect.PUBLICATION: _publish,
    Effect.UNPUBLICATION: _unpublish,
    Effect.RESTART_PROMISE: _restart_promise,
}
if set(EFFECTS) != set(Effect):
    raise RuntimeError(f"effects of the workflow table with no code to carry them out: {set(Effect) - set(EFFECTS)}")


def _apply_effects(rule: Transition, actor: User, submission: Submission, data: TransitionInput) -> None:
    for effect in rule.effects:
        EFFECTS[effect](actor, submission, data)


# The details an email of the table may carry besides the story, the actor and the comment, as they stand after
# the transition.
DETAILS: dict[str, Callable[[Submission], object]] = {
    "deadline": lambda s: s.deadline.isoformat(),
    "editor": lambda s: s.editor.display_name if s.editor else "",
    "assigned_words": lambda s: s.assigned_words,
    "fee": lambda s: str(s.fee) if s.fee is not None else None,
}
if set(DETAILS) != EMAIL_DETAILS:
    raise RuntimeError("the email details of the workflow table and of the services differ")


def _recipient(email: Email, actor: User, submission: Submission) -> User | None:
    if email.to is Recipient.CONTRIBUTOR:
        return submission.contributor
    if submission.editor is not None and submission.editor_id != actor.id:
        return submission.editor
    return None


def _notify_transition(rule: Transition, actor: User, submission: Submission, data: TransitionInput) -> None:
    """Each email the row names, to its recipient (if the story has one who is not the actor)."""
    params = {**_headline_params(submission), "actor": actor.display_name, "comment": data.comment.strip()}
    for email in rule.sends:
        recipient = _recipient(email, actor, submission)
        if recipient is not None:
            details = {name: DETAILS[name](submission) for name in email.details}
            notify(email.event, recipient, submission=submission, **params, **details)


def latest_revision(submission: Submission, kind: RevisionKind | None = None) -> Revision | None:
    query = sa.select(Revision).where(Revision.submission_id == submission.id)
    if kind is not None:
        query = query.where(Revision.kind == kind)
    return db.session.scalar(query.order_by(Revision.number.desc()).limit(1))


def save_draft(actor: User, submission: Submission, headline: str, dek: str, body: str, note: str = "",
               seen_version: int | None = None) -> Revision:
    """Save a new revision of the draft (contributor's draft or editor's edit)."""
    if not permissions.can_write_draft(actor, submission):
        raise PermissionDenied(_("You cannot change the draft of this submission now."))
    if seen_version is not None and seen_version != submission.version:
        raise Conflict(_("This submission changed since you opened the draft."), current=submission,
                       seen_version=seen_version)
    if not body.strip():
        raise DomainError(_("The draft is empty."), field="body")
    number = (db.session.scalar(
        sa.select(sa.func.max(Revision.number)).where(Revision.submission_id == submission.id)) or 0) + 1
    kind = RevisionKind.EDITOR if actor.is_staff else RevisionKind.CONTRIBUTOR
    touch(submission, actor, activity.revision(number, by_editor=kind is RevisionKind.EDITOR))
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(_("This submission changed while you were saving."),
                       current=db.session.get(Submission, submission.id), seen_version=seen_version) from exc
    revision = Revision(submission_id=submission.id, number=number, author_id=actor.id, kind=kind,
                        headline=headline.strip(), dek=dek.strip(), body=body, note=note.strip()[:300],
                        version=submission.version)
    db.session.add(revision)
    if kind is RevisionKind.CONTRIBUTOR and submission.editor is not None:
        notify("submission.draft_saved", submission.editor, submission=submission,
               author=actor.display_name, number=number, note=note.strip(), **_headline_params(submission))
    db.session.flush()
    log.info("user %s saved revision %s of submission %s", actor.id, number, submission.id)
    return revision


def post_message(actor: User, submission: Submission, body: str, internal: bool = False) -> Message:
    """Write to the conversation; an internal note stays on the desk and tells nobody by email."""
    if not permissions.can_post_message(actor, submission):
        raise PermissionDenied(_("You cannot write on this submission."))
    if internal and not permissions.can_see_internal_notes(actor):
        raise PermissionDenied(_("Only editors can write internal notes."))
    if not body.strip():
        raise DomainError(_("Write a message first."), field="body")
    message = Message(submission_id=submission.id, author_id=actor.id, body=body.strip(), internal=internal)
    db.session.add(message)
    if not internal:
        # The contributor's dashboard shows the last activity, so an internal note must not become it.
        # Last activity only: a message does not change the editorial version, so open pages stay valid.
        db.session.execute(
            sa.update(Submission).where(Submission.id == submission.id)
            .values(last_activity_at=utcnow(), last_activity_by_id=actor.id,
                    last_activity=activity.MESSAGE)
            .execution_options(synchronize_session=False)
        )
        params = {**_headline_params(submission), "author": actor.display_name, "body": message.body}
        if actor.is_staff:
            notify("submission.message", submission.contributor, submission=submission, **params)
        elif submission.editor is not None:
            notify("submission.message", submission.editor, submission=submission, **params)
        else:
            for editor in active_editors():
                notify("submission.message", editor, submission=submission, **params)
    db.session.flush()
    log.info("user %s %s on submission %s", actor.id, "added an internal note" if internal else "sent a message",
             submission.id)
    return message


def save_view(user: User, name: str, query: str) -> SavedView:
    """An editor names the queue's current filters; saving a name again replaces its filters."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the view a name."), field="name")
    view = db.session.scalar(sa.select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        view = SavedView(user_id=user.id, name=name[:80], query=query[:500])
        db.session.add(view)
    else:
        view.query = query[:500]
    db.session.flush()
    return view


def delete_view(user: User, view_id: int) -> None:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise PermissionDenied(_("That view is not yours."))
    db.session.delete(view)
    db.session.flush()

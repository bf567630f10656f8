"""A contributor closes their account for good.

Their published stories stay online under the byline they chose, and nothing else of them stays: every other
submission is deleted with its drafts, conversation, history, files and photos; the published ones lose the
pitch, the drafts, the conversation and the attachments (the published text, its photos and the desk's audit
trail remain, the latter naming a deleted account); the emails and in-app notifications about them go; the
account itself keeps no address, no name (but the byline, if a story carries it), no password, no session.
Files are removed once the deletion is committed.
"""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from workflow.articles import images
from workflow.articles.models import Image
from workflow.auth import second_factor, sessions
from workflow.auth.passwords import hash_password, verify_password
from workflow.core import sealed, storage
from workflow.core.errors import DomainError
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit
from workflow.extensions import db
from workflow.newsletter.models import Subscriber
from workflow.notifications.models import Notification, Preference
from workflow.people.models import User
from workflow.submissions import activity
from workflow.submissions.models import Attachment, Message, Revision, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

DELETED_NAME = "Deleted account"


def delete_account(user: User, password: str) -> None:
    if user.is_staff:
        raise DomainError(_("An editor's or admin's account is closed by an admin, so that the desk keeps working."))
    if not verify_password(user.password_hash, password):
        raise DomainError(_("That is not your password."), field="password")
    stories = db.session.scalars(sa.select(Submission).where(Submission.contributor_id == user.id)).all()
    kept = [s for s in stories if s.state is State.PUBLISHED]
    dropped = [s for s in stories if s.state is not State.PUBLISHED]
    all_ids = [s.id for s in stories]
    kept_ids = [s.id for s in kept]

    files = list(db.session.scalars(sa.select(Attachment.storage_key).where(Attachment.submission_id.in_(all_ids))))
    for photo in db.session.scalars(sa.select(Image).where(Image.submission_id.in_([s.id for s in dropped]))):
        files += images.files_of(photo)

    db.session.execute(sa.delete(Notification).where(sa.or_(Notification.recipient_id == user.id,
                                                            Notification.submission_id.in_(all_ids))))
    db.session.execute(sa.delete(Preference).where(Preference.user_id == user.id))
    db.session.execute(sa.delete(Subscriber).where(Subscriber.email == user.email))
    for model in (Attachment, Message, Revision):
        db.session.execute(sa.delete(model).where(model.submission_id.in_(kept_ids)))
    db.session.execute(sa.update(Image).where(Image.uploaded_by_id == user.id).values(uploaded_by_id=None))
    for story in kept:
        story.headline = story.published_headline or story.headline
        story.summary = story.angle = story.sources = story.experience = ""
        story.last_activity = activity.DELETED
        story.last_activity_by_id = None
    for story in dropped:
        db.session.delete(story)

    byline = user.byline_name if kept else DELETED_NAME
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@deleted.invalid"
    user.pending_email = None
    user.display_name = DELETED_NAME
    user.byline_name = byline
    user.public_bio = ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows it
    sessions.end_all(user)
    sessions.forget_devices(user)
    second_factor.forget_factors(user)  # the app's secret, keys, recovery codes
    user.disabled_at = utcnow()
    user.last_login_at = None
    # Their data key goes once this commits: whatever it sealed (the private text and files of every story,
    # the conversation, the notifications) can no longer be read, in the database or in any old copy of it.
    sealed.destroy_key_of(db.session(), user.id)
    db.session.flush()
    after_commit(db.session(), lambda: [storage.remove(key) for key in files])
    log.info("user %s deleted their account (%s stories kept online, %s deleted, %s files)", user.id, len(kept),
             len(dropped), len(files))

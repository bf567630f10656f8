"""Everything the desk keeps about one person, for them to take away: a zip with ``data.json`` (the account,
their pitches with every revision, the conversation with the desk, the history of each story, the emails sent
to them, their choices, how they sign in: sessions, browsers, second step, never a secret) and the files they
sent (attachments, and the largest copy of each photo they uploaded). Internal notes are the desk's own working
notes and are not included; the desk's messages to the person are."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.articles import images
from workflow.articles.models import Image
from workflow.auth import second_factor, security_keys, sessions
from workflow.core import storage
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.models import Notification, Preference
from workflow.people.models import User
from workflow.submissions.models import Attachment, AuditEntry, Message, Revision, Submission


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _row(obj, names: list[str]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def data_of(user: User) -> tuple[dict, list[tuple[str, str]]]:
    """The person's data as plain values, and the files to add: (path in the zip, storage key)."""
    files: list[tuple[str, str]] = []
    submissions = db.session.scalars(sa.select(Submission).where(Submission.contributor_id == user.id)
                                     .options(joinedload(Submission.editor)).order_by(Submission.id)).all()
    stories = []
    for story in submissions:
        revisions = db.session.scalars(sa.select(Revision).where(Revision.submission_id == story.id)
                                       .options(joinedload(Revision.author)).order_by(Revision.number)).all()
        messages = db.session.scalars(sa.select(Message).where(Message.submission_id == story.id,
                                                               Message.internal.is_(False))
                                      .options(joinedload(Message.author)).order_by(Message.created_at)).all()
        history = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.submission_id == story.id)
                                     .options(joinedload(AuditEntry.actor)).order_by(AuditEntry.created_at)).all()
        attachments = db.session.scalars(sa.select(Attachment).where(Attachment.submission_id == story.id)
                                         .order_by(Attachment.id)).all()
        photos = db.session.scalars(sa.select(Image).where(Image.submission_id == story.id,
                                                           Image.uploaded_by_id == user.id)
                                    .order_by(Image.id)).all()
        for attachment in attachments:
            # Prefixed by story and file: two files of one name never collide, and no name leaves the folder.
            name = storage.safe_filename(attachment.filename, attachment.content_type)
            files.append((f"attachments/{story.id}-{attachment.id}-{name}", attachment.storage_key))
        for photo in (photo for photo in photos if photo.widths):  # a photo being prepared has no copy yet
            files.append((f"photos/{story.id}-{photo.id}.{photo.content_type.rpartition('/')[2]}",
                          images.storage_key(photo, max(photo.widths))))
        stories.append({
            **_row(story, ["id", "state", "headline", "summary", "angle", "sources", "proposed_words",
                           "proposed_deadline", "experience", "deadline", "assigned_words", "fee", "created_at",
                           "published_at", "slug", "published_headline", "published_dek", "published_body"]),
            "editor": story.editor.display_name if story.editor else None,
            "revisions": [{**_row(r, ["number", "kind", "headline", "dek", "body", "note", "created_at"]),
                           "author": r.author.display_name} for r in revisions],
            "messages": [{**_row(m, ["body", "created_at"]), "author": m.author.display_name} for m in messages],
            "history": [{**_row(e, ["action", "from_state", "to_state", "comment", "created_at"]),
                         "by": e.who} for e in history],
            "attachments": [_row(a, ["filename", "content_type", "size", "sha256", "created_at"])
                            for a in attachments],
            "photos": [_row(p, ["filename", "alt", "caption", "credit", "width", "height", "created_at"])
                       for p in photos],
        })
    emails = db.session.scalars(sa.select(Notification).where(Notification.recipient_id == user.id)
                                .order_by(Notification.id)).all()
    preferences = db.session.scalars(sa.select(Preference).where(Preference.user_id == user.id)).all()
    data = {
        "exported_at": utcnow().isoformat(),
        "account": _row(user, ["email", "display_name", "byline_name", "role", "email_confirmed_at", "created_at",
                               "last_login_at", "public_bio", "public_id", "discreet_emails"]),
        "submissions": stories,
        "notifications": [{**_row(n, ["event", "created_at", "sent_at", "read_at"]), "status": n.status.value,
                           "about": n.params} for n in emails],
        "email_preferences": {p.event: p.choice.value for p in preferences},
        # How they sign in: no secret (keys, codes, the app's secret) is ever in the export.
        "sessions": [{"device": row.name, **_row(row, ["browser", "system", "remembered", "created_at",
                                                        "last_seen_at"])}
                     for row in sessions.sessions_of(user)],
        "known_browsers": [{"device": row.name, **_row(row, ["browser", "system", "first_seen_at", "last_seen_at"])}
                           for row in sessions.known_devices(user)],
        "second_step": {
            "authenticator_app_since": _plain(totp.created_at) if (totp := second_factor.totp_of(user)) else None,
            "security_keys": [_row(key, ["name", "created_at", "last_used_at"]) for key in security_keys.keys_of(user)],
            "recovery_codes_left": second_factor.recovery_codes_left(user),
        },
    }
    return data, files


def export_zip(user: User) -> bytes:
    data, files = data_of(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for name, key in files:
            try:
                archive.writestr(name, storage.read(key))  # opened for its owner
            except FileNotFoundError:
                continue
    return buffer.getvalue()

"""Data that expires: what the desk stops keeping once its time has come.

- **A declined or withdrawn pitch's private text and files**, ``RETENTION_DAYS`` after the decision (the last
  move into declined or withdrawn; a pitch reopened since is not erased, and a new decision starts the clock
  again): the pitch's "why now", sources and the contributor's experience, the comments on its moves, the
  messages and internal notes, the drafts (every revision), the attachments and the story photos with their
  files, and the private text copied into the notifications about it (a message's body, a transition's
  comment, a draft's note). The headline and the summary stay, and so does the audit trail (who moved it,
  when); the submission's timeline gains an entry by "The desk" and its page says when the text was erased.
- **The mail servers' replies in the delivery ledger**, ``LEDGER_REPLY_DAYS`` after the attempt.
- **Read in-app notifications**, ``READ_NOTIFICATION_DAYS`` after they were read (unread ones stay).

Beat runs each once a day (``privacy.tasks``); ``flask --app workflow data expire`` runs them at once. Each works
in batches, each batch in its own transaction (``unit_of_work``) with its entry in the action log, so a long run
holds no lock for long and a crash loses at most the batch under way; what is done is not due any more, so a
second run finds nothing and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from workflow.articles import images
from workflow.articles.models import Image
from workflow.core import storage
from workflow.core.audit import record_automatic
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit, unit_of_work
from workflow.extensions import db
from workflow.notifications.models import DeliveryAttempt, DeliveryStatus, Notification
from workflow.submissions.models import PAGE_ACTIONS, Attachment, AuditEntry, Message, Revision, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

ENDED = (State.DECLINED, State.WITHDRAWN)
# The notifications' params that carry what someone wrote about the story (the rest name it, or a person).
PRIVATE_PARAMS = ("body", "comment", "note")
PITCH_BATCH = 25  # submissions erased per transaction: their ids fit in the action log's entry
ROW_BATCH = 1000  # ledger replies cleared, notifications deleted, per transaction


@dataclass
class ErasedPitches:
    submissions: list[int] = field(default_factory=list)
    messages: int = 0
    revisions: int = 0
    files: int = 0


@dataclass
class ClearedReplies:
    attempts: int = 0
    emails: int = 0


def _ids(ids: list[int]) -> str:
    text = ", ".join(str(i) for i in ids)
    return text if len(text) <= 180 else f"{ids[0]} to {ids[-1]} ({len(ids)} of them)"


# Declined and withdrawn pitches -------------------------------------------------------------------------------

def _decided_before(cutoff: datetime, after: int) -> sa.Select:
    """The next submissions (by id, past ``after``) still declined or withdrawn, not yet erased, whose last move
    into that state came before ``cutoff``, with the time of that move."""
    decided_at = sa.func.max(AuditEntry.created_at)
    return (sa.select(AuditEntry.submission_id, decided_at)
            .join(Submission, Submission.id == AuditEntry.submission_id)
            .where(Submission.state.in_(ENDED), Submission.private_text_erased_at.is_(None),
                   Submission.id > after, AuditEntry.to_state == Submission.state,
                   AuditEntry.action.not_in(list(PAGE_ACTIONS)))
            .group_by(AuditEntry.submission_id)
            .having(decided_at < cutoff)
            .order_by(AuditEntry.submission_id)
            .limit(PITCH_BATCH))


def _erase(submission: Submission, days: int, now: datetime, result: ErasedPitches) -> list[str]:
    """Erase one pitch's private text and files (the files once committed); return their storage keys."""
    files = list(db.session.scalars(sa.select(Attachment.storage_key)
                                    .where(Attachment.submission_id == submission.id)))
    photos = db.session.scalars(sa.select(Image).where(Image.submission_id == submission.id)).all()
    for photo in photos:
        files += images.files_of(photo)
    result.files += len(files)
    submission.top_image_id = None
    for photo in photos:
        db.session.delete(photo)
    db.session.execute(sa.delete(Attachment).where(Attachment.submission_id == submission.id))
    result.messages += db.session.execute(
        sa.delete(Message).where(Message.submission_id == submission.id)).rowcount
    result.revisions += db.session.execute(
        sa.delete(Revision).where(Revision.submission_id == submission.id)).rowcount
    submission.angle = submission.sources = submission.experience = ""
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.submission_id == submission.id)):
        if entry.is_transition and entry.comment:
            entry.comment = ""  # why it was declined, withdrawn, sent back: who moved it when stays
    for notification in db.session.scalars(sa.select(Notification)
                                           .where(Notification.submission_id == submission.id)):
        params = dict(notification.params or {})
        if any(params.get(name) for name in PRIVATE_PARAMS):
            params.update({name: "" for name in PRIVATE_PARAMS if name in params})
            notification.params = params
    submission.private_text_erased_at = now
    db.session.flush()  # the submission's new version, for its timeline's entry
    db.session.add(AuditEntry(submission_id=submission.id, actor_id=None, action="erase_private_text",
                              from_state=submission.state, to_state=submission.state, comment=str(days),
                              version=submission.version, created_at=now))
    result.submissions.append(submission.id)
    return files


def erase_expired_pitches(now: datetime | None = None) -> ErasedPitches:
    """Erase the private text and files of every pitch declined or withdrawn more than ``RETENTION_DAYS`` ago."""
    now = now or utcnow()
    days = current_app.config["RETENTION_DAYS"]
    cutoff = now - timedelta(days=days)
    result, after = ErasedPitches(), 0
    while True:
        with unit_of_work() as session:
            due = dict(session.execute(_decided_before(cutoff, after)).all())
            if not due:
                break
            after = max(due)
            # Under a lock, and checked again: a pitch reopened meanwhile is not erased; another run's rows are
            # skipped (PostgreSQL; SQLite writes one transaction at a time).
            locked = session.scalars(
                sa.select(Submission)
                .where(Submission.id.in_(list(due)), Submission.state.in_(ENDED),
                       Submission.private_text_erased_at.is_(None))
                .order_by(Submission.id)
                .with_for_update(skip_locked=True)).all()
            batch = ErasedPitches()
            files: list[str] = []
            for submission in locked:
                files += _erase(submission, days, now, batch)
            if not batch.submissions:
                continue
            record_automatic("expire_private_text", f"submissions {_ids(batch.submissions)}",
                             f"{len(batch.submissions)} declined or withdrawn pitches, {days} days after the decision: "
                             f"why now, sources, experience, comments, {batch.messages} messages and notes, "
                             f"{batch.revisions} revisions, {batch.files} files erased",
                             {"pitches": len(batch.submissions), "days": days, "messages": batch.messages,
                              "revisions": batch.revisions, "files": batch.files})
            after_commit(session, lambda keys=files: [storage.remove(key) for key in keys])
        log.info("erased the private text of %s pitches (submissions %s): %s messages, %s revisions, %s files",
                 len(batch.submissions), _ids(batch.submissions), batch.messages, batch.revisions, batch.files)
        result.submissions += batch.submissions
        result.messages += batch.messages
        result.revisions += batch.revisions
        result.files += batch.files
    return result


# The mail servers' replies in the delivery ledger ------------------------------------------------------------

def expire_ledger_replies(now: datetime | None = None) -> ClearedReplies:
    """Blank the mail servers' replies older than ``LEDGER_REPLY_DAYS``: each attempt's, and each email's last
    reply or error once its last attempt is that old. The rows stay (what was sent, when, with what outcome)."""
    now = now or utcnow()
    days = current_app.config["LEDGER_REPLY_DAYS"]
    cutoff = now - timedelta(days=days)
    result = ClearedReplies()
    while True:
        with unit_of_work() as session:
            ids = session.scalars(sa.select(DeliveryAttempt.id)
                                  .where(DeliveryAttempt.started_at < cutoff, DeliveryAttempt.server_reply != "")
                                  .order_by(DeliveryAttempt.id).limit(ROW_BATCH)).all()
            if ids:
                session.execute(sa.update(DeliveryAttempt).where(DeliveryAttempt.id.in_(ids))
                                .values(server_reply="").execution_options(synchronize_session=False))
                record_automatic("expire_ledger_replies", "delivery attempts",
                                 f"{len(ids)} mail server replies older than {days} days cleared",
                                 {"count": len(ids), "days": days})
        if not ids:
            break
        result.attempts += len(ids)
    tried_since = sa.exists().where(DeliveryAttempt.notification_id == Notification.id,
                                    DeliveryAttempt.started_at >= cutoff)
    while True:
        with unit_of_work() as session:
            ids = session.scalars(sa.select(Notification.id)
                                  .where(Notification.created_at < cutoff,
                                         Notification.status != DeliveryStatus.PENDING,
                                         sa.or_(Notification.server_reply.is_not(None),
                                                Notification.last_error.is_not(None)),
                                         ~tried_since)
                                  .order_by(Notification.id).limit(ROW_BATCH)).all()
            if ids:
                session.execute(sa.update(Notification).where(Notification.id.in_(ids))
                                .values(server_reply=None, last_error=None)
                                .execution_options(synchronize_session=False))
                record_automatic("expire_ledger_replies", "emails",
                                 f"{len(ids)} emails' last mail server reply or error, older than {days} days, cleared",
                                 {"count": len(ids), "days": days})
        if not ids:
            break
        result.emails += len(ids)
    if result.attempts or result.emails:
        log.info("cleared mail server replies older than %s days: %s attempts, %s emails", days, result.attempts,
                 result.emails)
    return result


# Read in-app notifications -----------------------------------------------------------------------------------

def expire_read_notifications(now: datetime | None = None) -> int:
    """Delete the in-app notifications read more than ``READ_NOTIFICATION_DAYS`` ago (with their email's ledger;
    never one whose email is still to go out)."""
    now = now or utcnow()
    days = current_app.config["READ_NOTIFICATION_DAYS"]
    cutoff = now - timedelta(days=days)
    deleted = 0
    while True:
        with unit_of_work() as session:
            ids = session.scalars(sa.select(Notification.id)
                                  .where(Notification.read_at < cutoff, Notification.in_app,
                                         Notification.status.not_in([DeliveryStatus.PENDING, DeliveryStatus.HELD]))
                                  .order_by(Notification.read_at, Notification.id).limit(ROW_BATCH)).all()
            if ids:
                session.execute(sa.delete(Notification).where(Notification.id.in_(ids))
                                .execution_options(synchronize_session=False))
                record_automatic("expire_read_notifications", "notifications",
                                 f"{len(ids)} notifications read more than {days} days ago deleted",
                                 {"count": len(ids), "days": days})
        if not ids:
            break
        deleted += len(ids)
    if deleted:
        log.info("deleted %s notifications read more than %s days ago", deleted, days)
    return deleted

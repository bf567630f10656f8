"""The outbox: write notifications in the transaction of the change they announce, hand them to the workers
after it commits, sweep up what was not delivered, and let admins retry what failed.

``notify`` is called by other services inside the transaction of the change it announces. The row is
enqueued for delivery only after that transaction commits; if it rolls back, the notification never existed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload

from workflow.auth.models import User
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit, after_rollback
from workflow.extensions import db
from workflow.notifications.delivery import lease
from workflow.notifications.events import EVENTS
from workflow.notifications.models import DeliveryStatus, Notification

log = logging.getLogger(__name__)

_OUTBOX_KEY = "workflow.outbox_ids"


def notify(event: str, recipient: User | None = None, *, email: str | None = None, submission=None,
           **params) -> Notification:
    """Add a notification for ``recipient`` (or a bare ``email``) to the outbox of the current transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    address = email or (recipient.email if recipient else None)
    if not address:
        raise ValueError("a notification needs a recipient or an email address")
    notification = Notification(
        event=event,
        recipient=recipient,
        email=address,
        submission_id=submission.id if submission is not None else None,
        params=params,
    )
    db.session.add(notification)
    db.session.flush()
    _enqueue_after_commit(db.session(), notification.id)
    return notification


def _enqueue_after_commit(session: Session, notification_id: int) -> None:
    """Collect the transaction's notifications; hand them all to the broker once it has committed."""
    ids = session.info.get(_OUTBOX_KEY)
    if ids is None:
        ids = session.info[_OUTBOX_KEY] = []
        after_commit(session, lambda: enqueue(session.info.pop(_OUTBOX_KEY, [])))
        after_rollback(session, lambda: session.info.pop(_OUTBOX_KEY, None))
    ids.append(notification_id)


def enqueue(notification_ids: list[int]) -> list[int]:
    """Hand committed notifications to the workers and note when. If the broker is down, the rows stay
    unqueued and the sweeper hands them over later; the caller is never held up for long."""
    from workflow.notifications.tasks import deliver_notification

    queued = []
    for notification_id in notification_ids:
        try:
            deliver_notification.apply_async((notification_id,), retry=False)
        except Exception as exc:
            log.warning("could not enqueue notification %s (%s: %s); it stays pending in the outbox",
                        notification_id, type(exc).__name__, exc)
            break  # the broker is down: do not wait on it once per notification
        queued.append(notification_id)
    if queued:
        # Its own short transaction: the change itself is already committed.
        with db.engine.begin() as connection:
            connection.execute(sa.update(Notification).where(Notification.id.in_(queued))
                               .values(queued_at=utcnow()))
    return queued


def _due_for_sweep(now):
    grace = now - timedelta(seconds=current_app.config["OUTBOX_GRACE_SECONDS"])
    stale = now - lease() - timedelta(seconds=current_app.config["OUTBOX_GRACE_SECONDS"])
    return sa.and_(
        Notification.status == DeliveryStatus.PENDING,
        sa.or_(Notification.locked_until.is_(None), Notification.locked_until < now),
        sa.or_(
            sa.and_(Notification.queued_at.is_(None), Notification.created_at < grace),  # enqueue was lost
            sa.and_(Notification.next_attempt_at.is_not(None), Notification.next_attempt_at < grace),  # retry lost
            sa.and_(Notification.next_attempt_at.is_(None), Notification.queued_at < stale),  # task lost
        ),
    )


def sweep(limit: int = 500) -> list[int]:
    """Take the pending notifications that nobody is delivering and hand them to the workers again.

    Rows are taken with one UPDATE ... RETURNING whose subquery locks with SKIP LOCKED on PostgreSQL, so
    two sweepers never take the same row; SQLite runs the UPDATE under its write lock, to the same effect.
    Delivery is idempotent, so a row handed over twice is still sent once.
    """
    now = utcnow()
    due = _due_for_sweep(now)
    pick = sa.select(Notification.id).where(due).order_by(Notification.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    taken = list(db.session.scalars(
        sa.update(Notification).where(Notification.id.in_(pick.scalar_subquery()), due)
        .values(queued_at=now, next_attempt_at=None).returning(Notification.id)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    if not taken:
        return []
    handed = enqueue(taken)
    missed = sorted(set(taken) - set(handed))
    if missed:  # broker down: let the next sweep take them at once
        db.session.execute(sa.update(Notification).where(Notification.id.in_(missed)).values(queued_at=None))
        db.session.commit()
    log.info("sweep handed %s notification(s) to the workers (%s left for the next sweep)", len(handed),
             len(missed))
    return handed


def retry_delivery(actor: User, notification: Notification) -> None:
    """An admin sends a failed notification again, to the recipient's current address."""
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can retry a delivery.")
    if notification.status is not DeliveryStatus.FAILED:
        raise DomainError("Only a failed delivery can be retried.")
    if notification.recipient is not None:
        notification.email = notification.recipient.email
    notification.status = DeliveryStatus.PENDING
    notification.attempts_at_retry = notification.attempts
    notification.next_attempt_at = None
    notification.queued_at = None
    notification.locked_until = None
    db.session.flush()
    _enqueue_after_commit(db.session(), notification.id)
    log.info("admin %s retried notification %s", actor.id, notification.id)


def status_counts() -> dict[str, int]:
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, count in db.session.execute(
            sa.select(Notification.status, sa.func.count()).group_by(Notification.status)):
        counts[status.value] = count
    return counts


def oldest_pending() -> Notification | None:
    return db.session.scalar(sa.select(Notification).where(Notification.status == DeliveryStatus.PENDING)
                             .order_by(Notification.created_at).limit(1))


def emails_about(submission_id: int, recipient_id: int | None = None) -> list[Notification]:
    """The notifications about a submission (only those to one person, if given), for its timeline."""
    query = (sa.select(Notification).where(Notification.submission_id == submission_id)
             .options(joinedload(Notification.recipient)).order_by(Notification.id))
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    return list(db.session.scalars(query))

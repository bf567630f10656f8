"""The outbox: notifications are written in the transaction of the change they announce (``services.notify``)
and handed to the workers only after it commits; if it rolls back, they never existed. The sweeper (beat, every
minute) hands over whatever was never enqueued, or whose task or retry was lost.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from workflow.core import outage
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit, after_rollback, unit_of_work
from workflow.extensions import db
from workflow.notifications.delivery import lease
from workflow.notifications.models import DeliveryStatus, Notification
from workflow.notifications.tasks import BATCH_SIZE, deliver_batch

log = logging.getLogger(__name__)

_OUTBOX_KEY = "workflow.outbox_ids"


def enqueue_after_commit(session: Session, notification_id: int) -> None:
    """Collect the transaction's notifications; hand them all to the broker once it has committed."""
    ids = session.info.get(_OUTBOX_KEY)
    if ids is None:
        ids = session.info[_OUTBOX_KEY] = []
        after_commit(session, lambda: enqueue(session.info.pop(_OUTBOX_KEY, [])))
        after_rollback(session, lambda: session.info.pop(_OUTBOX_KEY, None))
    ids.append(notification_id)


def forget_outbox(session: Session) -> None:
    """Forget the notifications this transaction was to hand to the workers (the demo deletes its past ones);
    notifications written after this are handed over as usual."""
    session.info.pop(_OUTBOX_KEY, None)


def _some(ids: list[int], shown: int = 10) -> str:
    """Ids for a log line, a bounded one: a sweep may hand over thousands."""
    return str(ids) if len(ids) <= shown else f"{ids[:shown]} and {len(ids) - shown} more"


def enqueue(notification_ids: list[int]) -> list[int]:
    """Hand committed notifications to the workers and note when. If the broker is down, the rows stay
    unqueued and the sweeper hands them over later; the caller is never held up for long.

    They go in tasks of up to ``BATCH_SIZE`` notifications, each delivered over one SMTP connection."""
    queued: list[int] = []
    for start in range(0, len(notification_ids), BATCH_SIZE):
        batch = list(notification_ids[start:start + BATCH_SIZE])
        try:
            deliver_batch.apply_async((batch,), retry=False)
        except Exception as exc:
            outage.broker.failed(exc, "notifications stay pending in the outbox until the sweeper hands them over")
            log.info("notification(s) %s not enqueued: each stays pending in the outbox",
                     _some(notification_ids[start:]))
            break  # the broker is down: do not wait on it once per batch
        queued.extend(batch)
    if queued:
        outage.broker.succeeded()
        log.info("notification(s) %s enqueued", _some(queued))
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
    with unit_of_work():  # taken for good before any task can run: a second sweeper skips them
        taken = list(db.session.scalars(
            sa.update(Notification).where(Notification.id.in_(pick.scalar_subquery()), due)
            .values(queued_at=now, next_attempt_at=None).returning(Notification.id)
            .execution_options(synchronize_session=False)
        ))
    if not taken:
        return []
    handed = enqueue(taken)
    missed = sorted(set(taken) - set(handed))
    if missed:  # broker down: let the next sweep take them at once
        with unit_of_work():
            db.session.execute(sa.update(Notification).where(Notification.id.in_(missed)).values(queued_at=None))
    log.info("sweep handed %s notification(s) to the workers (%s left for the next sweep)", len(handed),
             len(missed))
    return handed

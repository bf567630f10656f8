"""Write notifications into the outbox and deliver them.

``notify`` is called by other services inside the transaction of the change it announces. The row is
enqueued for delivery only after that transaction commits; if it rolls back, the notification never existed.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from workflow.auth.models import User
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit
from workflow.extensions import db
from workflow.notifications import mail
from workflow.notifications.events import EVENTS
from workflow.notifications.models import DeliveryStatus, Notification

log = logging.getLogger(__name__)

# Longer than any SMTP conversation (connect, send, quit under SMTP_TIMEOUT each).
LEASE = timedelta(minutes=5)


class TransientDeliveryError(Exception):
    """The mail server could not take the message now; try again later."""


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
    notification_id = notification.id
    after_commit(db.session(), lambda: enqueue_delivery(notification_id))
    return notification


def enqueue_delivery(notification_id: int) -> None:
    """Hand a committed notification to the workers; if the broker is down the row stays pending."""
    from workflow.notifications.tasks import deliver_notification

    try:
        deliver_notification.apply_async((notification_id,), retry=False)
    except Exception:
        log.exception("could not enqueue notification %s; it stays pending in the outbox", notification_id)


def deliver(notification_id: int) -> None:
    """Send one notification by SMTP and record the outcome. Sending a sent notification does nothing.

    Raises TransientDeliveryError when the server asks to try again later; the caller commits in both cases.
    """
    if not _claim(notification_id):
        log.info("notification %s is sent, failed, gone, or being sent by another worker", notification_id)
        return
    notification = db.session.get(Notification, notification_id)
    message = mail.compose(notification)
    try:
        reply = mail.send(message)
    except smtplib.SMTPResponseException as exc:
        detail = f"{exc.smtp_code} {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            _record_error(notification, detail)
            raise TransientDeliveryError(detail) from exc
        mark_failed(notification, detail)
        return
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = f"recipient refused: {exc.recipients!r}"
        if all(400 <= code < 500 for code in codes):
            _record_error(notification, detail)
            raise TransientDeliveryError(detail) from exc
        mark_failed(notification, detail)
        return
    except (smtplib.SMTPException, OSError) as exc:
        _record_error(notification, f"{type(exc).__name__}: {exc}")
        raise TransientDeliveryError(str(exc)) from exc
    notification.status = DeliveryStatus.SENT
    notification.sent_at = utcnow()
    notification.server_reply = reply[:500]
    notification.last_error = None
    notification.locked_until = None
    db.session.flush()
    log.info("notification %s (%s) sent to recipient %s", notification.id, notification.event,
             notification.recipient_id)


def _claim(notification_id: int) -> bool:
    """Take a lease on a pending notification and count the attempt; committed at once so others see it."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.status == DeliveryStatus.PENDING,
               sa.or_(Notification.locked_until.is_(None), Notification.locked_until < now))
        .values(locked_until=now + LEASE, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _record_error(notification: Notification, detail: str) -> None:
    notification.last_error = detail[:2000]
    notification.locked_until = None
    db.session.flush()
    log.warning("notification %s (%s): temporary failure: %s", notification.id, notification.event, detail)


def mark_failed(notification: Notification, detail: str) -> None:
    """Keep a notification that cannot be delivered, with the reason, for the admins to see."""
    notification.status = DeliveryStatus.FAILED
    notification.last_error = detail[:2000]
    notification.locked_until = None
    db.session.flush()
    log.error("notification %s (%s) failed for good: %s", notification.id, notification.event, detail)


def pending_ids(limit: int = 500) -> list[int]:
    return list(db.session.scalars(
        sa.select(Notification.id).where(Notification.status == DeliveryStatus.PENDING)
        .order_by(Notification.id).limit(limit)
    ))


def max_retries() -> int:
    return current_app.config["MAIL_MAX_RETRIES"]

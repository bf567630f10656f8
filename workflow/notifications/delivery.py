"""Delivering one notification: claim it, send it, record the attempt in the ledger, decide what next.

A notification is sent at most once however many tasks for it run at the same time: a worker first takes a
lease on the row (a conditional UPDATE that only one can win), and the ledger's unique index lets only one
attempt per notification be recorded as sent. The decisions (retry when, give up when) live here, so that
the Celery task stays a thin shell around :func:`deliver`.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications import mail
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

log = logging.getLogger(__name__)

BACKOFF_CEILING_SECONDS = 30 * 60


@dataclass(frozen=True)
class Result:
    """What became of one delivery: ``retry_in`` seconds is set when another attempt is due."""

    outcome: str  # "sent", "retry", "failed", "skipped"
    retry_in: float | None = None


def lease() -> timedelta:
    """How long a claim holds: longer than any SMTP conversation (connect, send, quit, each under
    SMTP_TIMEOUT), so that a slow worker is never overtaken; a dead one's claim runs out."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter and a ceiling: base·2^(n-1), drawn from its upper half."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    ceiling = min(BACKOFF_CEILING_SECONDS, base * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def deliver(notification_id: int) -> Result:
    """Try to hand one notification to the mail server and record the attempt. Commits as it goes."""
    attempt = _claim(notification_id)
    if attempt is None:
        return Result("skipped")
    notification = db.session.get(Notification, notification_id)
    try:
        message = mail.compose(notification)
    except Exception as exc:  # a bug in a template: keep the row, count the attempt, show the reason
        log.exception("notification %s (%s) could not be composed", notification_id, notification.event)
        return _temporary(notification, attempt, f"could not compose the email: {type(exc).__name__}: {exc}")
    try:
        reply = mail.send(message)
    except smtplib.SMTPResponseException as exc:
        return _refused(notification, attempt, exc.smtp_code, _text(exc.smtp_error))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return _refused(notification, attempt, code, _text(text))
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return _temporary(notification, attempt, f"{type(exc).__name__}: {exc}")
    return _sent(notification, attempt, reply)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _claim(notification_id: int) -> DeliveryAttempt | None:
    """Take the lease on a pending notification and open its next attempt in the ledger; None if another
    worker holds it, or it is sent, failed or gone."""
    now = utcnow()
    attempts = db.session.scalar(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.status == DeliveryStatus.PENDING,
               sa.or_(Notification.locked_until.is_(None), Notification.locked_until < now))
        .values(locked_until=now + lease(), attempts=Notification.attempts + 1, next_attempt_at=None)
        .returning(Notification.attempts)
        .execution_options(synchronize_session=False)
    )
    if attempts is None:
        db.session.rollback()
        log.info("delivery notification=%s outcome=skipped (sent, failed, gone or held by another worker)",
                 notification_id)
        return None
    attempt = DeliveryAttempt(notification_id=notification_id, attempt=attempts, worker=socket.gethostname()[:120])
    db.session.add(attempt)
    db.session.commit()  # the lease and the open attempt must be visible before we talk to the server
    return attempt


def _finish(notification: Notification, attempt: DeliveryAttempt, outcome: AttemptOutcome, reply: str) -> None:
    attempt.outcome = outcome
    attempt.finished_at = utcnow()
    attempt.server_reply = reply[:500]
    notification.locked_until = None
    db.session.commit()
    log.info("delivery notification=%s submission=%s event=%s attempt=%s outcome=%s reply=%r",
             notification.id, notification.submission_id, notification.event, attempt.attempt, outcome.value,
             reply[:200])


def _sent(notification: Notification, attempt: DeliveryAttempt, reply: str) -> Result:
    notification.status = DeliveryStatus.SENT
    notification.sent_at = utcnow()
    notification.server_reply = reply[:500]
    notification.last_error = None
    _finish(notification, attempt, AttemptOutcome.SENT, reply)
    return Result("sent")


def _refused(notification: Notification, attempt: DeliveryAttempt, code: int, text: str) -> Result:
    detail = f"{code} {text}"
    if 400 <= code < 500:
        return _temporary(notification, attempt, detail)
    return _failed(notification, attempt, detail, AttemptOutcome.PERMANENT_FAILURE)


def _temporary(notification: Notification, attempt: DeliveryAttempt, detail: str) -> Result:
    if notification.attempts - notification.attempts_at_retry >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        return _failed(notification, attempt, f"gave up after {notification.attempts} attempts; last: {detail}",
                       AttemptOutcome.TEMPORARY_FAILURE)
    delay = retry_delay(notification.attempts)
    notification.last_error = detail[:2000]
    notification.next_attempt_at = utcnow() + timedelta(seconds=delay)
    _finish(notification, attempt, AttemptOutcome.TEMPORARY_FAILURE, detail)
    return Result("retry", retry_in=delay)


def _failed(notification: Notification, attempt: DeliveryAttempt, detail: str, outcome: AttemptOutcome) -> Result:
    """Keep a notification that cannot be delivered, with the reason, for the admins to see and retry."""
    notification.status = DeliveryStatus.FAILED
    notification.last_error = detail[:2000]
    _finish(notification, attempt, outcome, detail)
    log.error("notification %s (%s) failed for good: %s", notification.id, notification.event, detail)
    return Result("failed")

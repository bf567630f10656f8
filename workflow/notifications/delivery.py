"""Delivering notifications: claim them, send them, record each attempt in the ledger, decide what next.

A notification is sent at most once however many tasks for it run at the same time: a worker first takes a
lease on the row (a conditional UPDATE that only one can win), and the ledger's unique index lets only one
attempt per notification be recorded as sent. The decisions (retry when, give up when) live here, so that
the Celery tasks stay thin shells around :func:`deliver_batch`.

A batch is claimed with one statement and sent over one SMTP connection, but each message is recorded in a
commit of its own right after the server's answer. So a worker killed at any moment leaves at most one
message (the one on the wire) whose fate the ledger does not know; its lease runs out and it is sent again,
exactly as when a batch holds one message.
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from celery import current_task
from flask import current_app
from sqlalchemy.orm import joinedload

from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications import mail, smtp
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

log = logging.getLogger(__name__)

BACKOFF_CEILING_SECONDS = 30 * 60


def _worker_name() -> str:
    """Who made an attempt, for the ledger: the Celery worker's node name (``name@host``, so two workers on one
    machine differ) and the process; the machine's name outside a worker (the CLI)."""
    request = getattr(current_task, "request", None) if current_task else None
    node = getattr(request, "hostname", None) or socket.gethostname()
    return f"{node} pid {os.getpid()}"[:120]


@dataclass(frozen=True)
class Result:
    """What became of one delivery: ``retry_in`` seconds is set when another attempt is due."""

    outcome: str  # "sent", "retry", "failed", "skipped", "released"
    retry_in: float | None = None


def lease() -> timedelta:
    """How long a claim holds: longer than any SMTP conversation (connect, send, quit, each under
    SMTP_TIMEOUT), so that a slow worker is never overtaken; a dead one's claim runs out. A batch starts no
    message after the first half of its lease (see :func:`deliver_batch`)."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter and a ceiling: base·2^(n-1), drawn from its upper half."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    ceiling = min(BACKOFF_CEILING_SECONDS, base * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def deliver(notification_id: int) -> Result:
    """Try to hand one notification to the mail server and record the attempt. Commits as it goes."""
    return deliver_batch([notification_id])[notification_id]


@dataclass
class _Job:
    """One claimed notification on its way through a batch."""

    id: int
    attempt: int  # the number of this attempt (the row's attempt count after the claim)
    attempts_at_retry: int
    leased_until: datetime  # the end of our lease, as written by the claim
    submission_id: int | None = None
    event: str = ""
    message: EmailMessage | None = None
    compose_error: str | None = None


def deliver_batch(notification_ids: list[int]) -> dict[int, Result]:
    """Deliver several notifications over one SMTP connection; what became of each, by id. Commits as it goes.

    Those that are sent, failed, gone or leased by another worker are skipped. A refusal or a broken
    connection touches only the message it happened to; the caller schedules each retry on its own.
    """
    # One database connection for the whole batch (claim and every record), so that each commit costs one
    # round trip and not a checkout from the pool with its ping.
    with db.engine.connect() as connection:
        return _deliver(connection, notification_ids)


def _deliver(connection: sa.Connection, notification_ids: list[int]) -> dict[int, Result]:
    claimed_at = time.monotonic()
    jobs = _claim(connection, notification_ids)
    deleted = _compose(jobs) if jobs else set()
    results: dict[int, Result] = {}
    for notification_id in notification_ids:
        if notification_id in deleted or notification_id not in jobs:
            log.info("delivery notification=%s outcome=skipped (sent, failed, gone or held by another worker)",
                     notification_id)
            results[notification_id] = Result("skipped")
    ordered = sorted((job for job in jobs.values() if job.id not in deleted), key=lambda job: job.id)
    if not ordered:
        return results
    # A message may start only in the first half of the lease, so that its conversation (bounded by
    # SMTP_TIMEOUT per step, far shorter than half a lease) ends before the lease can run out and the
    # sweeper hand the row to another worker.
    latest_start = claimed_at + lease().total_seconds() / 2
    finished: _Finished | None = None
    with smtp.Connection() as server:
        for index, job in enumerate(ordered):
            if index and time.monotonic() > latest_start:
                _record(connection, finished)
                finished = None
                results.update(_release(connection, ordered[index:]))
                break
            # The attempt is written (with the previous message's result) before the server hears of it.
            _record(connection, finished, opening=job)
            finished = _send(server, job)
            results[job.id] = finished.result
    _record(connection, finished)
    return results


def _claim(connection: sa.Connection, notification_ids: list[int]) -> dict[int, _Job]:
    """Take the lease on those of the notifications that are pending and free, in one statement."""
    now = utcnow()
    leased_until = now + lease()
    due = sa.and_(Notification.id.in_(notification_ids), Notification.status == DeliveryStatus.PENDING,
                  sa.or_(Notification.locked_until.is_(None), Notification.locked_until < now))
    pick = sa.select(Notification.id).where(due).order_by(Notification.id)
    if db.engine.dialect.name == "postgresql":
        # Lock the rows in id order: two workers claiming overlapping batches wait for each other instead of
        # deadlocking, and the loser finds the rows leased (``due`` is checked again after the wait).
        # SQLite runs the UPDATE under its database write lock, to the same effect.
        pick = pick.with_for_update()
    rows = connection.execute(
        sa.update(Notification).where(Notification.id.in_(pick.scalar_subquery()), due)
        .values(locked_until=leased_until, attempts=Notification.attempts + 1, next_attempt_at=None)
        .returning(Notification.id, Notification.attempts, Notification.attempts_at_retry)
    ).all()
    connection.commit()  # the leases must be visible before we talk to the server
    return {row.id: _Job(row.id, row.attempts, row.attempts_at_retry, leased_until) for row in rows}


def _compose(jobs: dict[int, _Job]) -> set[int]:
    """Compose every claimed message up front, from rows read once; return the ids of those that were
    deleted since the claim."""
    notifications = db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(list(jobs)))
        .options(joinedload(Notification.recipient))
    ).all()
    for notification in notifications:
        job = jobs[notification.id]
        job.submission_id, job.event = notification.submission_id, notification.event
        try:
            job.message = mail.compose(notification)
        except Exception as exc:  # no attempt will compose it either: kept as failed, with the reason, for the admins
            log.error("notification %s (%s) could not be composed: %s at %s", notification.id, notification.event,
                      type(exc).__name__, _where(exc))  # the message may quote the address: not in the log
            job.compose_error = f"could not compose the email: {type(exc).__name__}: {exc}"
    found = {notification.id for notification in notifications}
    db.session.rollback()  # end the read: no snapshot or lock is held while we talk to the mail server
    return set(jobs) - found


@dataclass
class _Finished:
    """An attempt that has its answer, waiting to be recorded: the ledger's outcome and reply, the
    notification's new state, and the result for the caller."""

    job: _Job
    outcome: AttemptOutcome
    reply: str
    statement: sa.Update  # one of _SENT, _RETRY, _FAILED
    changes: dict
    result: Result


def _send(server: smtp.Connection, job: _Job) -> _Finished:
    """Hand one message to the server and decide what follows from its answer (nothing is written yet)."""
    if job.compose_error is not None:
        return _failed(job, job.compose_error, AttemptOutcome.PERMANENT_FAILURE, logged=False)
    try:
        reply = server.send(job.message)
    except smtplib.SMTPResponseException as exc:
        return _refused(job, exc.smtp_code, _text(exc.smtp_error))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return _refused(job, code, _text(text))
    except smtplib.SMTPNotSupportedError as exc:  # an address outside ASCII, and a server without SMTPUTF8
        return _failed(job, f"{type(exc).__name__}: {exc}", AttemptOutcome.PERMANENT_FAILURE)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return _temporary(job, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a message smtplib cannot send (say, an address it cannot encode): this one only,
        # and for good, since no later attempt would encode it either
        log.error("notification %s (%s) could not be sent: %s at %s", job.id, job.event, type(exc).__name__,
                  _where(exc))
        return _failed(job, f"could not send the email: {type(exc).__name__}: {exc}",
                       AttemptOutcome.PERMANENT_FAILURE, logged=False)
    changes = {"status": DeliveryStatus.SENT, "sent_at": utcnow(), "server_reply": reply[:500], "last_error": None}
    return _Finished(job, AttemptOutcome.SENT, reply, _SENT, changes, Result("sent"))


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _refused(job: _Job, code: int, text: str) -> _Finished:
    detail = f"{code} {text}"
    if 400 <= code < 500:
        return _temporary(job, detail)
    return _failed(job, detail, AttemptOutcome.PERMANENT_FAILURE)


def _temporary(job: _Job, detail: str) -> _Finished:
    if job.attempt - job.attempts_at_retry >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        return _failed(job, f"gave up after {job.attempt} attempts; last: {detail}", AttemptOutcome.TEMPORARY_FAILURE)
    delay = retry_delay(job.attempt)
    changes = {"last_error": detail[:2000], "next_attempt_at": utcnow() + timedelta(seconds=delay)}
    return _Finished(job, AttemptOutcome.TEMPORARY_FAILURE, detail, _RETRY, changes, Result("retry", retry_in=delay))


def _where(exc: BaseException) -> str:
    """Where an exception was raised (file and line of the innermost frame), for a log line without its message."""
    trace = exc.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return f"{trace.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{trace.tb_lineno}" if trace else "?"


def _failed(job: _Job, detail: str, outcome: AttemptOutcome, logged: bool = True) -> _Finished:
    """Keep a notification that cannot be delivered, with the reason, for the admins to see and retry.
    ``logged=False``: the reason may quote the address, and was logged without it already."""
    log.error("notification %s (%s) failed for good: %s", job.id, job.event, detail if logged else "see above")
    changes = {"status": DeliveryStatus.FAILED, "last_error": detail[:2000]}
    return _Finished(job, outcome, detail, _FAILED, changes, Result("failed"))


def _record(connection: sa.Connection, finished: _Finished | None, opening: _Job | None = None) -> None:
    """One commit: the answer to the attempt just made (ledger and notification, whose lease ends) and the
    opening of the next attempt. Committing right after each answer is what keeps a kill -9 from costing
    more than the one message on the wire."""
    if finished is None and opening is None:
        return
    if finished is not None:
        job = finished.job
        connection.execute(finished.statement,
                           {"key_id": job.id, **{f"new_{k}": v for k, v in finished.changes.items()}})
        connection.execute(_FINISH_ATTEMPT, {
            "key_notification_id": job.id, "key_attempt": job.attempt, "new_outcome": finished.outcome,
            "new_finished_at": utcnow(), "new_server_reply": finished.reply[:500]})
    if opening is not None:
        connection.execute(_OPEN_ATTEMPT, {"notification_id": opening.id, "attempt": opening.attempt,
                                           "worker": _worker_name(), "started_at": utcnow()})
    connection.commit()
    if finished is not None:
        log.info("delivery notification=%s submission=%s event=%s attempt=%s outcome=%s reply=%r",
                 job.id, job.submission_id, job.event, job.attempt, finished.outcome.value, finished.reply[:200])


def _release(connection: sa.Connection, jobs: list[_Job]) -> dict[int, Result]:
    """Give back claimed notifications that were not tried (the batch ran out of time): the lease ends, the
    claim's count of attempts is undone, and each is due again at once. Only rows whose lease is still ours:
    one whose lease ran out meanwhile may be another worker's now, and is left to it."""
    released = set(connection.scalars(
        sa.update(Notification)
        .where(Notification.id.in_([job.id for job in jobs]), Notification.locked_until == jobs[0].leased_until)
        .values(locked_until=None, attempts=Notification.attempts - 1, next_attempt_at=utcnow())
        .returning(Notification.id)))
    connection.commit()
    log.warning("delivery released %s notification(s) not tried within half the lease: %s", len(released),
                sorted(released))
    return {job.id: Result("released", retry_in=0.0) if job.id in released else Result("skipped") for job in jobs}


# The statements written for every message, built once: building one costs more than running it.
def _setting(model, where: tuple[str, ...], columns: tuple[str, ...], **fixed) -> sa.Update:
    """UPDATE model SET column = :new_column ..., **fixed WHERE key = :key_key ... (a parameter named like a
    column would be taken for a value to set)."""
    table = model.__table__
    return (sa.update(table).where(*(table.c[key] == sa.bindparam(f"key_{key}") for key in where))
            .values(**fixed, **{name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in columns}))


_SENT = _setting(Notification, ("id",), ("status", "sent_at", "server_reply", "last_error"), locked_until=None)
_RETRY = _setting(Notification, ("id",), ("last_error", "next_attempt_at"), locked_until=None)
_FAILED = _setting(Notification, ("id",), ("status", "last_error"), locked_until=None)
_FINISH_ATTEMPT = _setting(DeliveryAttempt, ("notification_id", "attempt"), ("outcome", "finished_at", "server_reply"))
_OPEN_ATTEMPT = sa.insert(DeliveryAttempt.__table__)

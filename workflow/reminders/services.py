"""Notifications that come from the clock rather than from a change: deadline reminders and the daily digest.

Celery beat runs both (``reminders.tasks``); ``flask --app workflow notifications reminders`` and ``... digest``
run them at once. Every notification written here carries a ``dedup_key`` naming what it is about (the
submission and its deadline, or the person and the day), so a second run the same day, beat firing twice or
two runs racing write nothing new: the unique key lets one insert win (:func:`services.notify_once`).
Both commit as they go, through ``unit_of_work`` (the reminders in one transaction, each digest in its own), and
log one line per notification they write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import contains_eager, joinedload

from workflow.core import database
from workflow.core.models import utcnow
from workflow.core.transaction import unit_of_work
from workflow.extensions import db
from workflow.notifications import services
from workflow.notifications.mail import subject_of
from workflow.notifications.models import Choice, DeliveryStatus, Notification, Preference
from workflow.people.models import Role, User
from workflow.submissions.models import Submission
from workflow.submissions.queue import ResponsePromise, response_promise
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=48)
NEW_PITCH_WINDOW = timedelta(days=1)
SECTION_LIMIT = 10  # submissions listed per section of the desk summary; the rest are counted ("and 4 more")
HELD_LIMIT = 30  # held notifications listed in one digest; the rest go out in it too, counted
_KEYS_PER_QUERY = 500


def desk_zone() -> ZoneInfo:
    """The desk's time zone (``TIME_ZONE``): a deadline is a day there (UTC outside an app)."""
    return ZoneInfo((current_app.config.get("TIME_ZONE") if has_app_context() else None) or "UTC")


def desk_day(moment: datetime) -> date:
    """The day it is at ``moment`` on the desk (in its time zone), not in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(desk_zone()).date()


def due_at(deadline: date) -> datetime:
    """A draft is due at the end of its deadline day in the desk's time zone (the moment, in UTC)."""
    return datetime.combine(deadline + timedelta(days=1), time(), tzinfo=desk_zone()).astimezone(UTC)



def _existing_keys(keys: Iterable[str]) -> set[str]:
    """The dedup keys among ``keys`` that a notification already carries (a few queries, not one per key)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        found.update(db.session.scalars(sa.select(Notification.dedup_key).where(Notification.dedup_key.in_(chunk))))
    return found


# Reminders ---------------------------------------------------------------------------------------------------

def reminder_event(deadline: date, now: datetime) -> str | None:
    """Which reminder a story still assigned with this deadline is due at ``now``, if any."""
    if now >= due_at(deadline):
        return "reminder.overdue"
    if now >= due_at(deadline) - REMIND_BEFORE:
        return "reminder.deadline_soon"
    return None


def reminder_key(event: str, submission_id: int, deadline: date) -> str:
    """One reminder of each kind per submission and deadline: a new deadline may earn a new one."""
    return f"{event}:{submission_id}:{deadline.isoformat()}"


def send_reminders(now: datetime | None = None) -> int:
    """Remind contributors whose draft is due within 48 hours, or overdue, once per submission and deadline.

    A story still assigned is due at the end of its deadline day in the desk's time zone: from 48 hours before
    that moment it earns ``reminder.deadline_soon``, after it ``reminder.overdue``. A story found overdue
    without its "due soon" reminder (the schedule was down) gets only the overdue one. The reminder is emailed,
    held for the digest or skipped as the contributor chose. Returns how many reminders were written; commits.
    """
    now = now or utcnow()
    return database.again_if_sqlite_is_busy(db.session, lambda: _send_reminders(now), "reminders run")


def _send_reminders(now: datetime) -> int:
    # due_at(deadline) - 48 h <= now  <=>  deadline <= the desk's day at (now + 48 h) - 1 day
    horizon = desk_day(now + REMIND_BEFORE) - timedelta(days=1)
    submissions = db.session.scalars(
        sa.select(Submission).join(Submission.contributor)
        .where(Submission.state == State.ASSIGNED, Submission.deadline <= horizon, User.disabled_at.is_(None))
        .options(contains_eager(Submission.contributor), joinedload(Submission.editor))
        .order_by(Submission.id)  # the same order in every run, so two racing runs never deadlock
    ).unique().all()
    due = []
    for submission in submissions:
        event = reminder_event(submission.deadline, now)
        if event is not None:
            due.append((reminder_key(event, submission.id, submission.deadline), event, submission))
    with unit_of_work():
        sent = _existing_keys(key for key, _, _ in due)
        written = 0
        for key, event, submission in due:
            if key in sent:
                continue
            notification = services.notify_once(
                event, submission.contributor, dedup_key=key, submission=submission, submission_id=submission.id,
                headline=submission.headline, deadline=submission.deadline.isoformat(),
                zone=current_app.config.get("TIME_ZONE") or "UTC",
                editor=submission.editor.display_name if submission.editor else "")
            if notification is not None:
                written += 1
                log.info("reminder notification=%s event=%s submission=%s deadline=%s recipient=%s status=%s",
                         notification.id, event, submission.id, submission.deadline.isoformat(),
                         submission.contributor_id, notification.status.value)
    return written


# The daily digest --------------------------------------------------------------------------------------------

def digest_key(user_id: int, day: date) -> str:
    return f"digest.daily:{user_id}:{day.isoformat()}"


def _section(condition, order, date_of) -> tuple[list[dict], int]:
    """Up to SECTION_LIMIT submissions matching ``condition`` with their people, and how many match in all
    (one query: the total is a window count)."""
    total = sa.func.count().over().label("total")
    rows = db.session.execute(
        sa.select(Submission, total).where(condition)
        .options(joinedload(Submission.contributor), joinedload(Submission.editor))
        .order_by(*order, Submission.id).limit(SECTION_LIMIT)
    ).all()
    items = [{"id": s.id, "headline": s.headline, "author": s.contributor.byline_name,
              "editor": s.editor.display_name if s.editor else "", "date": date_of(s).isoformat()}
             for s, _ in rows]
    return items, (rows[0].total - len(rows)) if rows else 0


def desk_summary(now: datetime, promise: ResponsePromise | None = None) -> dict:
    """What the desk should know this morning, the same for every editor and admin (four queries):

    - new pitches: still pitched, and pitched (or reopened) in the 24 hours before ``now``;
    - deadlines today: still assigned, due at the end of today (the desk's day, in its time zone);
    - overdue drafts: still assigned, the deadline day has passed;
    - pitches waiting past the response promise.
    """
    promise = promise or response_promise(now)
    today = desk_day(now)
    sections = {
        "new_pitches": _section(
            sa.and_(Submission.state == State.PITCHED, Submission.pitched_at >= now - NEW_PITCH_WINDOW,
                    Submission.pitched_at <= now),
            (Submission.pitched_at,), lambda s: s.pitched_at),
        "due_today": _section(sa.and_(Submission.state == State.ASSIGNED, Submission.deadline == today),
                              (), lambda s: s.deadline),
        "overdue": _section(sa.and_(Submission.state == State.ASSIGNED, Submission.deadline < today),
                            (Submission.deadline,), lambda s: s.deadline),
        "past_promise": _section(promise.past_condition(), (Submission.pitched_at,), lambda s: s.pitched_at),
    }
    summary: dict = {"promise_days": promise.days}
    for name, (items, more) in sections.items():
        summary[name] = items
        summary[f"{name}_more"] = more
    summary["has_items"] = any(items for items, _ in sections.values())
    return summary


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _held_for(user: User) -> list[Notification]:
    """Everything waiting for this person's digest, locked until the digest is written (PostgreSQL), so that
    two runs never put one item in two digests."""
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.recipient_id == user.id,
                                      Notification.status == DeliveryStatus.HELD)
        .order_by(Notification.id).with_for_update()))


def send_digests(now: datetime | None = None) -> int:
    """Write today's digest for every active person who has something in it; return how many were written.

    A digest holds (a) the person's notifications held for it (they chose "in the daily digest" for those
    events): these become ``digested``, pointing at the digest, in the digest's own transaction; and (b) for
    editors and admins who did not turn ``digest.daily`` off, the desk summary (:func:`desk_summary`). Held
    items go out even to someone who turned the summary off. Nothing to say, no email. One digest per person
    and day (the desk's day): a second run the same day writes nothing. Commits once per digest.
    """
    now = now or utcnow()
    return database.again_if_sqlite_is_busy(db.session, lambda: _send_digests(now), "digest run")


def _send_digests(now: datetime) -> int:
    day = desk_day(now)
    desk = desk_summary(now)
    quiet = set(db.session.scalars(sa.select(Preference.user_id).where(
        Preference.event == "digest.daily", Preference.choice == Choice.NEVER)))
    someone_held = sa.select(Notification.recipient_id).where(Notification.status == DeliveryStatus.HELD)
    audience = User.id.in_(someone_held)
    if desk["has_items"]:
        audience = sa.or_(audience, User.role.in_([Role.EDITOR, Role.ADMIN]))
    users = db.session.scalars(sa.select(User).where(User.disabled_at.is_(None), audience).order_by(User.id)).all()
    done = _existing_keys(digest_key(user.id, day) for user in users)

    written = 0
    for user in users:
        key = digest_key(user.id, day)
        if key in done:
            continue
        with unit_of_work():  # each digest is its own transaction
            digest, held, with_desk = _write_digest(user, key, day, desk, quiet)
        if digest is None:
            continue
        written += 1
        log.info("digest notification=%s recipient=%s day=%s held=%s desk=%s", digest.id, user.id, day.isoformat(),
                 len(held), with_desk)
    return written


def _write_digest(user: User, key: str, day: date, desk: dict, quiet: set[int]):
    """The person's digest for ``day`` and the held notifications it carries, or None if there is nothing to
    tell them (or another run wrote it first)."""
    database.lock_for_writing(db.session)
    with_desk = user.is_staff and user.id not in quiet and desk["has_items"]
    held = _held_for(user)
    if not held and not with_desk:
        return None, held, with_desk
    # Days and moments as machine values, and each held notification's id: the email writes them (and the
    # subjects) in the recipient's language and time zone when it is sent (notifications.render.localised).
    params = {"day": day.isoformat(), "staff": user.is_staff, "desk": with_desk,
              "held": [{"subject": subject_of(n), "submission_id": n.submission_id, "notification_id": n.id,
                        "at": _aware(n.created_at).isoformat()} for n in held[:HELD_LIMIT]],
              "held_more": max(len(held) - HELD_LIMIT, 0)}
    if with_desk:
        params.update({name: value for name, value in desk.items() if name != "has_items"})
    digest = services.notify_once("digest.daily", user, dedup_key=key, always_email=True, **params)
    if digest is None:  # another run wrote it first; what it left held waits for tomorrow
        return None, held, with_desk
    if held:
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_([n.id for n in held]), Notification.status == DeliveryStatus.HELD)
            .values(status=DeliveryStatus.DIGESTED, digest_id=digest.id)
            .execution_options(synchronize_session=False))
    return digest, held, with_desk

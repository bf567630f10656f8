"""Notifications: write them in the transaction of the change they announce, what each person chose to hear
about, the in-app list and its unread count, unsubscribing, and an admin's retry of what failed.

``notify`` is called by other services inside the transaction of the change it announces. The row is handed
to the workers only after that transaction commits (``outbox``); if it rolls back, it never existed.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from workflow.core import tokens
from workflow.core.audit import record
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications import outbox
from workflow.notifications.events import EVENTS, Event, choices_for
from workflow.notifications.models import Choice, DeliveryStatus, Notification, Preference
from workflow.people.models import User

log = logging.getLogger(__name__)

DIGEST_EVENT = "digest.daily"


_STATUS_FOR_CHOICE = {Choice.IMMEDIATELY: DeliveryStatus.PENDING, Choice.DIGEST: DeliveryStatus.HELD,
                      Choice.NEVER: DeliveryStatus.SKIPPED}


def notify(event: str, recipient: User | None = None, *, email: str | None = None, submission=None,
           dedup_key: str | None = None, always_email: bool = False, **params) -> Notification:
    """Add a notification for ``recipient`` (or a bare ``email``) to the outbox of the current transaction.

    It is in the recipient's in-app list at once; its email goes out after the commit, waits for the daily
    digest, or is skipped, as the recipient chose for this kind of event (security mail always goes out).
    A ``dedup_key`` names what a scheduled notification is about; a second one with the same key cannot be
    written (see :func:`notify_once`). ``always_email`` sends the email whatever the recipient chose for this
    kind of event (the daily digest carries held items even to someone who turned the desk summary off).
    """
    spec = EVENTS.get(event)
    if spec is None:
        raise ValueError(f"unknown notification event {event!r}")
    address = email or (recipient.email if recipient else None)
    if not address:
        raise ValueError("a notification needs a recipient or an email address")
    status = DeliveryStatus.PENDING
    if recipient is not None and spec.has_choice and not always_email:
        status = _STATUS_FOR_CHOICE[choice_for(recipient, event)]
    notification = Notification(
        event=event,
        recipient=recipient,
        email=address,
        submission_id=submission.id if submission is not None else None,
        params=params,
        status=status,
        in_app=spec.in_app and recipient is not None,
        dedup_key=dedup_key,
    )
    # Whose data key seals what it says: the story's contributor, or else the recipient (no query at the flush).
    notification.key_owner_id = (submission.contributor_id if submission is not None
                                 else recipient.id if recipient is not None else None)
    db.session.add(notification)
    db.session.flush()
    if status is DeliveryStatus.PENDING:
        outbox.enqueue_after_commit(db.session(), notification.id)
    return notification


def notify_once(event: str, recipient: User, *, dedup_key: str, **kwargs) -> Notification | None:
    """``notify``, unless a notification with this key exists already (then None). The unique key decides,
    also when two runs of the schedule race: one insert wins, the loser's savepoint is rolled back alone.
    (Callers look up the keys that exist in bulk first, so this rarely has to roll back.)"""
    try:
        with db.session.begin_nested():
            return notify(event, recipient, dedup_key=dedup_key, **kwargs)
    except sa.exc.IntegrityError:
        log.info("notification %s was already written by another run", dedup_key)
        return None


# Preferences -------------------------------------------------------------------------------------------------

def choice_for(user: User, event: str) -> Choice:
    choice = db.session.scalar(sa.select(Preference.choice).where(Preference.user_id == user.id,
                                                                  Preference.event == event))
    return choice or Choice.IMMEDIATELY


def preferences_of(user: User) -> dict[str, Choice]:
    """Each event this person can choose about, with their choice (immediately unless they chose)."""
    chosen = dict(db.session.execute(sa.select(Preference.event, Preference.choice)
                                     .where(Preference.user_id == user.id)).all())
    return {e.name: chosen.get(e.name, Choice.IMMEDIATELY) for e in choices_for(user.is_staff)}


def set_preference(user: User, event: str, choice: Choice) -> bool:
    """Record a choice; False if it was already so. Security mail cannot be turned off."""
    spec = EVENTS.get(event)
    if spec is None or not spec.has_choice or choice not in spec.choices:
        raise DomainError(_("This kind of email cannot be set that way."), field=event)
    preference = db.session.get(Preference, (user.id, event))
    if preference is None:
        if choice is Choice.IMMEDIATELY:
            return False
        db.session.add(Preference(user_id=user.id, event=event, choice=choice))
    elif preference.choice is choice:
        return False
    else:
        preference.choice = choice
    db.session.flush()
    return True


def set_preferences(user: User, choices: dict[str, Choice]) -> int:
    changed = sum(set_preference(user, event, choice) for event, choice in choices.items())
    if changed:
        log.info("user %s changed %s notification preference(s)", user.id, changed)
    return changed


def set_discreet_emails(user: User, discreet: bool) -> bool:
    """Turn discreet emails on or off; False if it was already so. Mail not sent yet follows the new choice:
    it is decided when each email is composed."""
    if user.discreet_emails is discreet:
        return False
    user.discreet_emails = discreet
    db.session.flush()
    log.info("user %s turned discreet emails %s", user.id, "on" if discreet else "off")
    return True


def read_unsubscribe_token(token: str) -> tuple[User, Event]:
    """The person and event an unsubscribe link names; TokenError if the link is not one of ours."""
    payload = tokens.read_token(tokens.UNSUBSCRIBE, token, None, {"u": tokens.ID, "e": tokens.TEXT})
    user = db.session.get(User, payload["u"])
    spec = EVENTS.get(payload["e"]) if user is not None else None
    if user is None or spec is None or not spec.has_choice:
        raise tokens.TokenError("This unsubscribe link is not valid any more. Sign in to choose your emails.")
    return user, spec


def unsubscribe(token: str) -> tuple[User, Event]:
    """One-click unsubscribe (RFC 8058): no sign-in, the signed link names the person and the event."""
    user, spec = read_unsubscribe_token(token)
    events = [spec.name]
    if spec.name == DIGEST_EVENT:  # the whole digest: what they chose to get in it is not emailed any more
        events += [event for event, choice in preferences_of(user).items() if choice is Choice.DIGEST]
    changed = set_preferences(user, dict.fromkeys(events, Choice.NEVER))
    if changed:
        log.info("user %s unsubscribed from %s by link", user.id, spec.name)
    return user, spec


# In-app notifications ----------------------------------------------------------------------------------------

def inbox(user: User, *, before: int | None = None, limit: int = 30) -> tuple[list[Notification], int | None]:
    """A page of someone's in-app notifications, newest first, and the id to continue before (or None)."""
    query = (sa.select(Notification).where(Notification.recipient_id == user.id, Notification.in_app)
             .order_by(Notification.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def unread_count(user: User) -> int:
    return db.session.scalar(unread_count_of(user.id)) or 0


def unread_count_of(user_id) -> sa.Select:
    """The unread in-app notifications of ``user_id`` (a value, or a column to read it beside the user)."""
    return sa.select(sa.func.count()).select_from(Notification).where(
        Notification.recipient_id == user_id, Notification.in_app, Notification.read_at.is_(None))


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of your own notifications read; False if it is not yours (or was read already)."""
    result = db.session.execute(
        sa.update(Notification).where(Notification.id == notification_id, Notification.recipient_id == user.id,
                                      Notification.in_app, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount > 0


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification).where(Notification.recipient_id == user.id, Notification.in_app,
                                      Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def retry_delivery(actor: User, notification: Notification) -> None:
    """An admin sends a failed notification again, to the recipient's current address."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can retry a delivery."))
    if notification.status is not DeliveryStatus.FAILED:
        raise DomainError(_("Only a failed delivery can be retried."))
    if notification.recipient is not None:
        notification.email = notification.recipient.email
    notification.status = DeliveryStatus.PENDING
    notification.attempts_at_retry = notification.attempts
    notification.next_attempt_at = None
    notification.queued_at = None
    notification.locked_until = None
    db.session.flush()
    outbox.enqueue_after_commit(db.session(), notification.id)
    record(actor, "retry_delivery", f"notification {notification.id}")
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

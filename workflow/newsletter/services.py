"""The newsletter's verbs: ask to subscribe, confirm (double opt-in), unsubscribe, send the weekly issue, and
forget addresses that never confirmed.

Nothing is kept about a reader but the address and the dates of consent (``Subscriber``). Every email goes
through the notifications outbox: the confirmation is written in the request's transaction and leaves after
its commit; the weekly issue is written by :func:`send_weekly` (Celery beat, or the CLI), one notification per
active subscriber with a dedup key naming the issue and the subscriber, so each subscriber gets each issue once
however often the run is repeated, interrupted or raced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from workflow.core import database, tokens
from workflow.core.models import utcnow
from workflow.core.transaction import unit_of_work
from workflow.core.urls import external_url
from workflow.extensions import db
from workflow.newsletter.models import NewsletterIssue, Subscriber
from workflow.notifications import links, outbox
from workflow.notifications import services as notifications
from workflow.notifications.models import DeliveryStatus, Notification
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

CONFIRM_EVENT = "newsletter.confirm"
WEEKLY_EVENT = "newsletter.weekly"
RESEND_AFTER = timedelta(minutes=10)  # one confirmation email per address at most this often
FIRST_ISSUE_SPAN = timedelta(days=7)
MAX_STORIES = 20
CHUNK = 1000  # subscribers written per transaction by send_weekly


def normalise(address: str) -> str:
    return (address or "").strip().lower()


# Tokens -------------------------------------------------------------------------------------------------------

def confirmation_token(subscriber_id: int, address: str) -> str:
    return tokens.make_token(tokens.NEWSLETTER_CONFIRM, {"s": subscriber_id, "e": normalise(address)})


def unsubscribe_token(subscriber_id: int, address: str) -> str:
    return tokens.make_token(tokens.NEWSLETTER_UNSUBSCRIBE, {"s": subscriber_id, "e": normalise(address)})


def _subscriber_of(purpose: str, token: str, max_age: int | None, message: str) -> Subscriber:
    """The subscriber a signed link names. The id and the address must both match the row: a link outlives
    a forgotten address whose id may be given out again (SQLite reuses the highest id)."""
    try:
        payload = tokens.read_token(purpose, token, max_age, {"s": tokens.ID, "e": tokens.TEXT})
    except tokens.MalformedToken as error:
        raise tokens.TokenError(message) from error
    subscriber = db.session.get(Subscriber, payload["s"])
    if subscriber is None or subscriber.email != payload["e"]:
        raise tokens.TokenError(message)
    return subscriber


def read_confirmation_token(token: str) -> Subscriber:
    return _subscriber_of(tokens.NEWSLETTER_CONFIRM, token, tokens.NEWSLETTER_CONFIRM_MAX_AGE,
                          _("This confirmation link is not valid any more. Sign up again below: it takes a moment."))


def read_unsubscribe_token(token: str) -> Subscriber:
    return _subscriber_of(tokens.NEWSLETTER_UNSUBSCRIBE, token, None,
                          _("This unsubscribe link is not valid. Check that you copied all of it from the email."))


# Signup, confirmation, unsubscribe ------------------------------------------------------------------------------

def request_subscription(address: str, now: datetime | None = None) -> bool:
    """Someone asks for the newsletter at ``address`` (already validated). Sends the confirmation email to a
    new, pending or unsubscribed address, at most once per RESEND_AFTER; a confirmed address gets nothing.
    Returns whether an email was written. The caller answers the same whatever happened, so that the page never
    tells whether an address is subscribed."""
    address = normalise(address)
    now = now or utcnow()
    subscriber = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == address))
    if subscriber is None:
        try:
            with db.session.begin_nested():
                subscriber = Subscriber(email=address, requested_at=now)
                db.session.add(subscriber)
        except sa.exc.IntegrityError:  # the same address was posted twice at once: the other request sends
            log.info("newsletter signup raced for one address; one confirmation goes out")
            return False
    else:
        if subscriber.is_active:
            log.info("newsletter signup for subscriber %s, who is subscribed already: nothing sent", subscriber.id)
            return False
        # One conditional UPDATE decides, also between two requests at the same moment.
        taken = db.session.execute(
            sa.update(Subscriber).where(Subscriber.id == subscriber.id,
                                        Subscriber.requested_at <= now - RESEND_AFTER)
            .values(requested_at=now).execution_options(synchronize_session=False)).rowcount
        if not taken:
            log.info("newsletter signup for subscriber %s again within %s: no second email", subscriber.id,
                     RESEND_AFTER)
            return False
        db.session.refresh(subscriber)
    notifications.notify(CONFIRM_EVENT, email=address, subscriber_id=subscriber.id)
    log.info("newsletter confirmation written for subscriber %s", subscriber.id)
    return True


def confirm(subscriber: Subscriber, now: datetime | None = None) -> bool:
    """Consent given from the emailed link (POST only: mail scanners fetch links). False if it already was."""
    if subscriber.is_active:
        return False
    subscriber.confirmed_at = now or utcnow()
    subscriber.unsubscribed_at = None
    db.session.flush()
    log.info("newsletter subscriber %s confirmed", subscriber.id)
    return True


def unsubscribe(token: str, now: datetime | None = None) -> Subscriber:
    """One-click unsubscribe (RFC 8058): no sign-in, the signed link names the subscriber and the address.
    Consent withdrawn is kept as a date; a second click changes nothing. TokenError for a link not ours."""
    subscriber = read_unsubscribe_token(token)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = now or utcnow()
        db.session.flush()
        log.info("newsletter subscriber %s unsubscribed by link", subscriber.id)
    return subscriber


def forget_pending(now: datetime | None = None) -> int:
    """Delete the addresses that never confirmed within NEWSLETTER_PENDING_DAYS of their last request."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["NEWSLETTER_PENDING_DAYS"])
    deleted = db.session.execute(
        sa.delete(Subscriber).where(Subscriber.confirmed_at.is_(None), Subscriber.requested_at < cutoff)
        .execution_options(synchronize_session=False)).rowcount
    if deleted:
        log.info("forgot %s newsletter address(es) never confirmed since %s", deleted, cutoff.isoformat())
    return deleted


# The weekly issue ---------------------------------------------------------------------------------------------

def issue_key(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def dedup_key(key: str, subscriber_id: int) -> str:
    return f"newsletter:{key}:{subscriber_id}"


def _published_between(since: datetime, until: datetime):
    return sa.and_(Submission.state == State.PUBLISHED, Submission.published_at > since,
                   Submission.published_at <= until)


def stories_between(since: datetime, until: datetime, limit: int = MAX_STORIES) -> list[Submission]:
    return list(db.session.scalars(
        sa.select(Submission).where(_published_between(since, until)).options(joinedload(Submission.contributor))
        .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(limit)))


def issue_stories(key: str) -> list[dict]:
    """The stories of an issue as its email lists them (headline, link, dek, byline), newest first. Read when
    the email is composed, so a story taken down since is left out; an unknown key (the admin's preview of the
    wording) lists the latest stories."""
    cache = g.setdefault("newsletter_stories", {})  # a batch of emails of one issue reads its stories once
    if key in cache:
        return cache[key]
    issue = db.session.scalar(sa.select(NewsletterIssue).where(NewsletterIssue.key == str(key)))
    if issue is not None:
        stories = stories_between(issue.since, issue.until)
    else:
        stories = list(db.session.scalars(
            sa.select(Submission).where(Submission.state == State.PUBLISHED)
            .options(joinedload(Submission.contributor))
            .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(3)))
    cache[key] = [{"headline": s.published_headline or s.headline, "dek": s.published_dek or "",
                   "byline": s.contributor.byline_name, "url": external_url("articles.article", slug=s.slug)}
                  for s in stories]
    return cache[key]


@dataclass(frozen=True)
class WeeklyRun:
    """What a run of :func:`send_weekly` did."""

    key: str
    issue_id: int | None  # None: no story since the last issue, nothing sent
    articles: int = 0
    written: int = 0  # notifications written by this run (0 on a second run)
    recipients: int = 0  # notifications of this issue in all
    forgotten: int = 0  # pending addresses deleted


def send_weekly(now: datetime | None = None) -> WeeklyRun:
    """Write this week's newsletter: the stories published since the previous issue's end (the last 7 days for
    the first issue) up to ``now``, newest first, at most MAX_STORIES; one email per active subscriber who had
    confirmed by then. No story, no issue and no email. Also forgets pending addresses.

    Idempotent: the issue's unique key (ISO week of ``now``) makes a second run find it, and each email's dedup
    key lets each subscriber have it once; the run commits every CHUNK subscribers, so a crash leaves whole
    chunks and a rerun writes only what is missing. Commits.
    """
    now = now or utcnow()
    return database.again_if_sqlite_is_busy(db.session, lambda: _send_weekly(now), "newsletter run")


def _send_weekly(now: datetime) -> WeeklyRun:
    with unit_of_work():
        forgotten = forget_pending(now)
    key = issue_key(now)
    issue = _issue(key, now)
    if issue is None:
        log.info("newsletter %s: no story published since the last issue; nothing sent", key)
        return WeeklyRun(key, None, forgotten=forgotten)
    written = 0
    after = 0
    while True:
        chunk = db.session.execute(
            sa.select(Subscriber.id, Subscriber.email)
            .where(Subscriber.confirmed_at.is_not(None), Subscriber.confirmed_at <= issue.until,
                   Subscriber.unsubscribed_at.is_(None), Subscriber.id > after)
            .order_by(Subscriber.id).limit(CHUNK)).all()
        if not chunk:
            break
        after = chunk[-1].id
        written += _write_chunk(issue.key, issue.article_count, chunk)
    with unit_of_work():
        recipients = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                       .where(Notification.dedup_key.like(f"newsletter:{issue.key}:%")))
        db.session.execute(sa.update(NewsletterIssue).where(NewsletterIssue.id == issue.id)
                           .values(recipient_count=recipients))
    log.info("newsletter issue=%s stories=%s written=%s recipients=%s", issue.key, issue.article_count, written,
             recipients)
    return WeeklyRun(issue.key, issue.id, issue.article_count, written, recipients, forgotten)


def _issue(key: str, now: datetime) -> NewsletterIssue | None:
    """This week's issue: the one there is, or a new one if there are stories for it (committed)."""
    with unit_of_work():
        return _this_weeks_issue(key, now)


def _this_weeks_issue(key: str, now: datetime) -> NewsletterIssue | None:
    issue = db.session.scalar(sa.select(NewsletterIssue).where(NewsletterIssue.key == key))
    if issue is not None:
        return issue
    # The previous issue, not this week's: a run racing ours may have made this week's since we looked, and
    # measuring from its end would find no story and give up, though the issue has recipients to write.
    previous_end = db.session.scalar(sa.select(sa.func.max(NewsletterIssue.until)).where(NewsletterIssue.key != key))
    since = previous_end or now - FIRST_ISSUE_SPAN
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Submission)
                              .where(_published_between(since, now)))
    if not count:
        return None
    try:
        with db.session.begin_nested():
            issue = NewsletterIssue(key=key, since=since, until=now, article_count=min(count, MAX_STORIES))
            db.session.add(issue)
    except sa.exc.IntegrityError:  # another run made it first: use theirs
        issue = db.session.scalar(sa.select(NewsletterIssue).where(NewsletterIssue.key == key))
    return issue


def _existing_keys(keys: list[str]) -> set[str]:
    """The dedup keys among ``keys`` that a notification already carries (one query per chunk)."""
    return set(db.session.scalars(sa.select(Notification.dedup_key).where(Notification.dedup_key.in_(keys))))


def _write_chunk(key: str, article_count: int, chunk) -> int:
    """One notification per subscriber of the chunk who has none for this issue: looked up in one query and
    written in one multi-row INSERT; if another run wrote some meanwhile, each is written alone and the unique
    key decides. Commits, then hands the new ones to the workers."""
    with unit_of_work():
        ids = _write_missing(key, article_count, chunk)
    outbox.enqueue(ids)
    return len(ids)


def _write_missing(key: str, article_count: int, chunk) -> list[int]:
    keys = {dedup_key(key, row.id): row for row in chunk}
    existing = _existing_keys(list(keys))
    missing = [(k, row) for k, row in keys.items() if k not in existing]
    if not missing:
        return []
    now = utcnow()
    # A bulk insert writes the column itself ("_params"): an email to a reader's bare address is sealed with
    # nobody's key (it names an issue, nothing private).
    values = [{"event": WEEKLY_EVENT, "email": row.email,
               "_params": {"issue": key, "subscriber_id": row.id, "article_count": article_count},
               "status": DeliveryStatus.PENDING, "in_app": False, "dedup_key": k, "created_at": now}
              for k, row in missing]
    try:
        with db.session.begin_nested():
            return list(db.session.scalars(sa.insert(Notification).returning(Notification.id), values))
    except sa.exc.IntegrityError:
        ids = []
        for k, row in missing:
            notification = notifications.notify_once(WEEKLY_EVENT, None, email=row.email, dedup_key=k, issue=key,
                                                     subscriber_id=row.id, article_count=article_count)
            if notification is not None:
                ids.append(notification.id)
        outbox.forget_outbox(db.session())  # handed over after the commit, with the rest
        return ids


# For the admin page -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueSummary:
    issue: NewsletterIssue
    delivery: dict[str, int]  # delivery status -> notifications of the issue


def subscriber_counts() -> dict[str, int]:
    """Active (confirmed and not unsubscribed), pending (never confirmed) and unsubscribed, in one query."""
    active = sa.and_(Subscriber.confirmed_at.is_not(None), Subscriber.unsubscribed_at.is_(None))
    row = db.session.execute(sa.select(
        sa.func.count().filter(active),
        sa.func.count().filter(Subscriber.confirmed_at.is_(None)),
        sa.func.count().filter(Subscriber.confirmed_at.is_not(None), Subscriber.unsubscribed_at.is_not(None)),
    ).select_from(Subscriber)).one()
    return {"active": row[0], "pending": row[1], "unsubscribed": row[2]}


def recent_issues(limit: int = 10) -> list[IssueSummary]:
    """The latest issues, each with its emails counted by delivery state (two queries)."""
    issues = list(db.session.scalars(sa.select(NewsletterIssue).order_by(NewsletterIssue.until.desc())
                                     .limit(limit)))
    if not issues:
        return []
    prefix = sa.literal("newsletter:") + NewsletterIssue.key + sa.literal(":%")
    counts: dict[int, dict[str, int]] = {issue.id: {} for issue in issues}
    for issue_id, status, count in db.session.execute(
            sa.select(NewsletterIssue.id, Notification.status, sa.func.count())
            .join(Notification, Notification.dedup_key.like(prefix))
            .where(NewsletterIssue.id.in_(list(counts)), Notification.event == WEEKLY_EVENT)
            .group_by(NewsletterIssue.id, Notification.status)):
        counts[issue_id][status.value] = count
    return [IssueSummary(issue, counts[issue.id]) for issue in issues]


def add_email_links() -> None:
    """The subscriber's own one-click unsubscribe link, for each weekly issue (``create_app`` calls this)."""
    links.add_token_link("reader_unsubscribe_link", "newsletter.unsubscribe", unsubscribe_token)


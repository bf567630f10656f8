"""Sessions held by the server: one row per signed-in browser, which signing out deletes.

The cookie carries a random key; the database keeps only its SHA-256, the person, the device's browser and
system (never an IP address), when it began and when it was last seen. The key is checked in the statement that
loads the person, so no page pays a query for it. A session ends when it is signed out, ended from the devices
page or by an admin, when the password changes (the others), when the account is disabled or deleted, after a
while without a request (idle) and, whatever happens, some hours after sign-in (absolute); staff, whose
accounts see every contributor, sooner than contributors (ASVS 5.0 7.3.1, 7.3.2).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from workflow.auth.models import KnownDevice, UserSession
from workflow.core.devices import NAME_LENGTH
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.services import notify
from workflow.people.models import User

log = logging.getLogger(__name__)

# "Last seen" is kept to the minute: a request writes it at most once a minute.
LAST_SEEN_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta


def lifetime(staff: bool, remembered: bool) -> Lifetime:
    """How long a session lives without a request, and at most (from the configuration)."""
    kind = ("staff_" if staff else "") + ("remembered" if remembered else "session")
    idle, absolute = current_app.config["SESSION_LIFETIMES"][kind]
    return Lifetime(timedelta(minutes=idle), timedelta(minutes=absolute))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def device_hash(user_id: int, key: str) -> str:
    """A browser's device key as kept for one person: two accounts signed in from one browser (two pen names of
    one reporter) keep different hashes, so the database cannot tell that they share a browser."""
    return hashlib.sha256(f"known device\0{user_id}\0{key}".encode()).hexdigest()


@functools.lru_cache(maxsize=512)
def device_families(user_agent: str | None) -> tuple[str | None, str | None]:
    """The browser's and the system's families a user agent names ("Firefox", "Windows"), or None for what it
    does not tell. Product names: kept as they are, and worded at display (``core.devices.device_name``)."""
    if not user_agent:
        return None, None
    import ua_parser  # loads its regular expressions on first use: only sign-ins pay for it

    parsed = ua_parser.parse(user_agent[:1000])
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else None
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    return (browser[:NAME_LENGTH] if browser else None), (system[:NAME_LENGTH] if system else None)


def start(user: User, remember: bool, user_agent: str | None) -> str:
    """Begin a session for ``user`` (who has just proved who they are); returns the key for the cookie, which
    is also set on ``user`` for Flask-Login."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    browser, system = device_families(user_agent)
    row = UserSession(user_id=user.id, key_hash=hash_key(key), browser=browser, system=system, remembered=remember,
                      created_at=now, last_seen_at=now, proved_at=now)
    db.session.add(row)
    db.session.flush()
    user.session_key, user.current_session = key, row
    log.info("user %s signed in (session %s)", user.id, row.id)
    return key


def recognise_device(user: User, device_key: str | None, user_agent: str | None) -> str:
    """Note the browser ``user`` signs in from, named by its device cookie's key; a browser not seen before for
    this person (unless it is their first ever) gets them an email at once. Returns the key for the cookie (a new
    one if the browser had none)."""
    key = device_key if device_key and len(device_key) <= 100 else secrets.token_urlsafe(32)
    now = utcnow()
    mine = device_hash(user.id, key)
    # A browser remembered before the hash was each person's own (the bare hash) is recognised, and moved over.
    known = db.session.execute(sa.update(KnownDevice).where(
        KnownDevice.user_id == user.id, KnownDevice.key_hash.in_([mine, hash_key(key)]))
        .values(last_seen_at=now, key_hash=mine)).rowcount
    if known:
        return key
    first_ever = db.session.scalar(sa.select(KnownDevice.id).where(KnownDevice.user_id == user.id).limit(1)) is None
    browser, system = device_families(user_agent)
    db.session.add(KnownDevice(user_id=user.id, key_hash=mine, browser=browser, system=system, first_seen_at=now,
                               last_seen_at=now))
    if not first_ever:
        # The families, not a sentence: the email words them in the recipient's language when it is written.
        notify("account.new_sign_in", user, user_id=user.id, browser=browser, system=system)
        log.info("user %s signed in from a new device", user.id)
    return key


def forget_devices(user: User) -> None:
    """The browsers ``user`` signed in from are forgotten (their account is deleted)."""
    db.session.execute(sa.delete(KnownDevice).where(KnownDevice.user_id == user.id))


def known_devices(user: User) -> list[KnownDevice]:
    return list(db.session.scalars(sa.select(KnownDevice).where(KnownDevice.user_id == user.id)
                                   .order_by(KnownDevice.first_seen_at, KnownDevice.id)))


def renew_key(user: User) -> str:
    """A new key for the session of this request (after the person proved who they are again: ASVS 7.2.4); the
    old key stops working at once. Returns the new key, also set on ``user`` for Flask-Login."""
    key = secrets.token_urlsafe(32)
    user.current_session.key_hash = hash_key(key)
    user.session_key = key
    db.session.flush()
    return key


def end_everyone() -> int:
    """Every session of everyone ends (an admin's command, after a breach)."""
    ended = db.session.execute(sa.delete(UserSession)).rowcount
    log.warning("every session ended (%s)", ended)
    return ended


def signed_in_query(key: str) -> sa.Select:
    """The person and the session a cookie's key names (a disabled account has none). Whether the session is
    still alive is :func:`is_alive`'s to say, from the row."""
    return (sa.select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.key_hash == hash_key(key), User.disabled_at.is_(None)))


def is_alive(user: User, row: UserSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    limit = lifetime(user.is_staff, row.remembered)
    return now - row.last_seen_at < limit.idle and now - row.created_at < limit.absolute


def adopt(user: User, row: UserSession, key: str) -> User:
    """``user`` is signed in with ``row`` in this request."""
    user.session_key, user.current_session = key, row
    return user


def needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= LAST_SEEN_STEP


def touch(session_id: int) -> None:
    """Note that the session was seen now (to the minute)."""
    db.session.execute(sa.update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow()))


def sessions_of(user: User) -> list[UserSession]:
    """Every session of ``user`` that is still alive, the most recently seen first."""
    now = utcnow()
    rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [row for row in rows if is_alive(user, row, now)]


def end(user: User, session_id: int) -> bool:
    """End one session of ``user`` (their own devices page); False if it is not theirs or is gone already."""
    ended = db.session.execute(sa.delete(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id)).rowcount
    if ended:
        log.info("user %s ended their session %s", user.id, session_id)
    return bool(ended)


def end_current(user: User) -> None:
    """Sign out: the session of this request stops working at once, wherever its cookie is."""
    if user.current_session is not None:
        db.session.execute(sa.delete(UserSession).where(UserSession.id == user.current_session.id))
        log.info("user %s signed out (session %s)", user.id, user.current_session.id)
        user.session_key = user.current_session = None


def end_all(user: User, keep: UserSession | None = None) -> int:
    """End every session of ``user`` (but ``keep``, if given); returns how many ended."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query).rowcount
    log.info("%s sessions of user %s ended%s", ended, user.id, " (this one kept)" if keep is not None else "")
    return ended


def forget_expired() -> int:
    """Delete the rows of sessions that can no longer be used (beat's task): none outlives its longest life."""
    longest = max(absolute for _, absolute in current_app.config["SESSION_LIFETIMES"].values())
    ended = db.session.execute(sa.delete(UserSession).where(
        UserSession.created_at < utcnow() - timedelta(minutes=longest))).rowcount
    # Idle ones too, by the most generous idle limit (each person's own is checked at every request).
    idlest = max(idle for idle, _ in current_app.config["SESSION_LIFETIMES"].values())
    ended += db.session.execute(sa.delete(UserSession).where(
        UserSession.last_seen_at < utcnow() - timedelta(minutes=idlest))).rowcount
    return ended

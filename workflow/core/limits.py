"""Rate limits on what an attacker would repeat: guessing passwords, creating accounts, asking for reset
emails, flooding the desk with pitches or the newsletter with signups, or the workers with photos to decode.

Counted by Flask-Limiter in the store every web process shares (``WORKFLOW_RATELIMIT_STORAGE_URL``, Redis by
default), in a moving window. Sign-in counts failures only, per client address and per account. An address
over its limit waits (429, with a page that says so and a ``Retry-After`` header): that is the attacker's. An
account over its limit is not locked: its owner still gets in with the right password and their second factor,
or, without one, by a link emailed to them (the sign-in view decides, from :func:`account_under_attack`).

When the store does not answer, each web process counts in its own memory (Flask-Limiter's fallback), and the
outage is logged once, not on every request (:mod:`workflow.core.outage`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import current_app, request
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse, parse_many

from workflow.core import outage
from workflow.extensions import limiter

SIGN_IN_FAILURES = "10 per minute"
_ACCOUNT_FAILURES = parse(SIGN_IN_FAILURES)
_ACCOUNT_NAMESPACE = "sign-in-failures"


def _failed(response) -> bool:
    """A sign-in or form that did not go through (anything but the redirect that follows success)."""
    return response.status_code not in (302, 303)


def _succeeded(response) -> bool:
    return response.status_code in (302, 303)


def _address_key(kind: str, address: str | None) -> str:
    """A counter's key for an email address: a keyed hash of it, never the address itself, so that a copy of the
    limits' store names nobody."""
    normalised = (address or "").strip().lower().encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), normalised, hashlib.sha256).hexdigest()[:32]
    return f"{kind}:{digest}"


def _submitted_email() -> str:
    return _address_key("email", request.form.get("email"))


def _person() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def sign_in(view):
    """At most 10 failed sign-ins a minute from one client address."""
    return limiter.limit(SIGN_IN_FAILURES, methods=["POST"], deduct_when=_failed)(view)


def _account(email: str) -> str:
    return _address_key("account", email)


def account_under_attack(email: str) -> bool:
    """Whether 10 sign-ins to this account failed in the last minute, from wherever."""
    if not limiter.enabled:
        return False
    try:
        under_attack = not limiter.limiter.test(_ACCOUNT_FAILURES, _ACCOUNT_NAMESPACE, _account(email))
    except Exception as exc:  # a broken limit store must not lock anyone out (nor take the site down)
        outage.limit_store.failed(exc, "sign-in failures are not counted per account meanwhile")
        return False
    outage.limit_store.succeeded()
    return under_attack


def count_failed_sign_in(email: str) -> None:
    if not limiter.enabled:
        return
    try:
        limiter.limiter.hit(_ACCOUNT_FAILURES, _ACCOUNT_NAMESPACE, _account(email))
    except Exception as exc:
        outage.limit_store.failed(exc, "sign-in failures are not counted per account meanwhile")
    else:
        outage.limit_store.succeeded()


def forget_failed_sign_ins(email: str) -> None:
    """The owner got in (by the emailed link): the account is no longer under attack."""
    try:
        limiter.limiter.clear(_ACCOUNT_FAILURES, _ACCOUNT_NAMESPACE, _account(email))
    except Exception as exc:
        outage.limit_store.failed(exc, "sign-in failures are not counted per account meanwhile")
    else:
        outage.limit_store.succeeded()


def registration(view):
    return limiter.limit("5 per minute;50 per day", methods=["POST"])(view)


def password_reset(view):
    """Reset emails: a few a minute from one address, a few an hour to one account."""
    view = limiter.limit("3 per hour", key_func=_submitted_email, methods=["POST"])(view)
    return limiter.limit("5 per minute", methods=["POST"])(view)


def pitch(view):
    """Pitches that went through, per person."""
    return limiter.limit("10 per hour;30 per day", key_func=_person, methods=["POST"], deduct_when=_succeeded)(view)


def _new_address() -> str:
    return _address_key("email-change", request.form.get("em-email"))


def email_change(view):
    """Confirmation links sent to a new address: 3 an hour to one address (nobody floods a third party's inbox
    from several accounts), and 5 an hour from one person."""
    view = limiter.limit("3 per hour", key_func=_new_address, methods=["POST"], deduct_when=_succeeded)(view)
    return limiter.limit("5 per hour", key_func=_person, methods=["POST"], deduct_when=_succeeded)(view)


def newsletter_signup(view):
    return limiter.limit("10 per minute;100 per day", methods=["POST"])(view)


PHOTO_UPLOADS = "30 per hour;200 per day"
_PHOTO_LIMITS = parse_many(PHOTO_UPLOADS)
_PHOTO_NAMESPACE = "photo-uploads"


def _photos_in_the_last(amount: int, period: str) -> str:
    """The limit reached, as the refusal names it ("30 photos in the last hour")."""
    if period == "day":
        return ngettext("%(num)d photo in the last day", "%(num)d photos in the last day", amount)
    return ngettext("%(num)d photo in the last hour", "%(num)d photos in the last hour", amount)


def photo_upload_wait(user_id: int) -> tuple[int, str] | None:
    """Photos a person uploaded (each one a worker decodes): at most 30 an hour and 200 a day. None if this person
    may upload one now; else the seconds until they may, and the limit they reached ("30 photos in the last
    hour"). The view checks this itself, so that the refusal is the form again with everything typed in it, not
    a bare 429 page."""
    if not limiter.enabled:
        return None
    key = f"user:{user_id}"
    try:
        for limit in _PHOTO_LIMITS:
            if not limiter.limiter.test(limit, _PHOTO_NAMESPACE, key):
                reset_at, _ = limiter.limiter.get_window_stats(limit, _PHOTO_NAMESPACE, key)
                reached = _photos_in_the_last(limit.amount, limit.GRANULARITY.name)
                return max(1, math.ceil(reset_at - time.time())), reached
    except Exception as exc:  # a broken limit store must not stop the desk's work
        outage.limit_store.failed(exc, "photo uploads are not counted meanwhile")
        return None
    outage.limit_store.succeeded()
    return None


def count_photo_upload(user_id: int) -> None:
    if not limiter.enabled:
        return
    try:
        for limit in _PHOTO_LIMITS:
            limiter.limiter.hit(limit, _PHOTO_NAMESPACE, f"user:{user_id}")
    except Exception as exc:
        outage.limit_store.failed(exc, "photo uploads are not counted meanwhile")
    else:
        outage.limit_store.succeeded()

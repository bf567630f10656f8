"""Rate limits on what an attacker would repeat: guessing passwords, creating accounts, asking for reset
emails, flooding the desk with pitches or the newsletter with signups.

Counted by Flask-Limiter in the store every web process shares (``WORKFLOW_RATELIMIT_STORAGE_URL``, Redis by
default), in a moving window. Sign-in counts failures only, per account and per client address, so that a
person who types their password right is never held up by someone else's guesses at another account. A
request over a limit gets 429 with a page that says to wait, and a ``Retry-After`` header.
"""

from __future__ import annotations

from flask import request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from workflow.extensions import limiter

SIGN_IN_FAILURES = "10 per minute"


def _failed(response) -> bool:
    """A sign-in or form that did not go through (anything but the redirect that follows success)."""
    return response.status_code not in (302, 303)


def _succeeded(response) -> bool:
    return response.status_code in (302, 303)


def _submitted_email() -> str:
    return "email:" + (request.form.get("email") or "").strip().lower()


def _person() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def sign_in(view):
    """At most 10 failed sign-ins a minute for one account, and for one client address."""
    view = limiter.limit(SIGN_IN_FAILURES, key_func=_submitted_email, methods=["POST"], deduct_when=_failed)(view)
    return limiter.limit(SIGN_IN_FAILURES, methods=["POST"], deduct_when=_failed)(view)


def registration(view):
    return limiter.limit("5 per minute;50 per day", methods=["POST"])(view)


def password_reset(view):
    """Reset emails: a few a minute from one address, a few an hour to one account."""
    view = limiter.limit("3 per hour", key_func=_submitted_email, methods=["POST"])(view)
    return limiter.limit("5 per minute", methods=["POST"])(view)


def pitch(view):
    """Pitches that went through, per person."""
    return limiter.limit("10 per hour;30 per day", key_func=_person, methods=["POST"], deduct_when=_succeeded)(view)


def newsletter_signup(view):
    return limiter.limit("10 per minute;100 per day", methods=["POST"])(view)

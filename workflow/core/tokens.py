"""Signed, expiring links for email confirmation, password resets and invitations."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from workflow.core.numbers import INTEGER_MAX

CONFIRM = "confirm-email"
RESET = "reset-password"
INVITE = "invitation"
UNSUBSCRIBE = "unsubscribe"
NOT_ME = "not-me"  # "This wasn't me" in a security email: {"u": user id}
NOT_ME_MAX_AGE = 14 * 24 * 3600
SIGN_IN_LINK = "sign-in-link"  # finishing a sign-in while the account was under attack: {"u", "r", "n", "s"}
SIGN_IN_LINK_MAX_AGE = 10 * 60  # ASVS 6.5.5: an out-of-band request lives 10 minutes at most
NEWSLETTER_CONFIRM = "newsletter-confirm"  # double opt-in: {"s": subscriber id, "e": address}
NEWSLETTER_UNSUBSCRIBE = "newsletter-unsubscribe"  # same payload, never expires (links in old issues work)
NEWSLETTER_CONFIRM_MAX_AGE = 7 * 24 * 3600


class TokenError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MalformedToken(TokenError):
    """Signed with our key, but not holding what a link of its kind holds."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"workflow.{purpose}")


def make_token(purpose: str, payload) -> str:
    return _serializer(purpose).dumps(payload)


INVALID = _l("This link is not valid. Check that you copied all of it, or ask for a new one.")

# What a payload's value may be: an id (a whole number an id column can hold), text, or a yes/no.
ID, TEXT, FLAG = "id", "text", "flag"
_KINDS = {ID: lambda value: type(value) is int and 0 < value <= INTEGER_MAX,
          TEXT: lambda value: isinstance(value, str), FLAG: lambda value: type(value) is bool}


def read_token(purpose: str, token: str, max_age: int | None, shape: dict[str, str]) -> dict:
    """Return the payload, a dict with each key of ``shape`` holding a value of its kind (ID, TEXT or FLAG);
    otherwise raise TokenError with a message a person can act on. A token signed with our key but holding
    anything else (a list, a number, an id too large for the database) is refused like a forged one."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("This link has expired. Ask for a new one below.") from exc
    except BadSignature as exc:
        raise TokenError(INVALID) from exc
    if not isinstance(payload, dict) or not all(key in payload and _KINDS[kind](payload[key])
                                                for key, kind in shape.items()):
        raise MalformedToken(INVALID)
    return payload

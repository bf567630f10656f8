"""Logs never carry a secret: the tokens in emailed links (confirmation, invitation, password reset, "this was not me",
unsubscribe) are blanked out of every line, whoever writes it (our code, werkzeug's or gunicorn's request
lines). The code itself never logs passwords or message bodies; it logs ids."""

from __future__ import annotations

import logging
import re

# A path segment after one of the routes whose last part is a secret token ("/confirm/resend" is a route).
SECRET_PATH = re.compile(
    r"(/(?:confirm|invitation|password/reset|unsubscribe|newsletter/confirm|newsletter/unsubscribe|account/not-me|login/link)/)"
    r"(?!resend\b)[^/\s?\"'#]+")
# Loggers with handlers of their own: the root (ours, werkzeug's lines), and gunicorn's when it serves us.
HANDLED_LOGGERS = ("", "werkzeug", "gunicorn.error", "gunicorn.access")


def redact(text: str) -> str:
    return SECRET_PATH.sub(r"\1[token]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Put the filter on every handler that writes our records (idempotent)."""
    for name in HANDLED_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(existing, RedactSecrets) for existing in handler.filters):
                handler.addFilter(RedactSecrets())

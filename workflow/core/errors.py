"""Domain errors raised by services and turned into messages by views."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a person can act on. ``field`` names the form field the message belongs next to."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The thing changed since the person looked at it."""

    status_code = 409

    def __init__(self, message: str, *, current=None, seen_version: int | None = None):
        super().__init__(message)
        self.current = current
        self.seen_version = seen_version

"""The newsletter: signup with double opt-in, confirmation, one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint

from workflow.newsletter import models  # noqa: F401 (the tables, for migrations)

bp = Blueprint("newsletter", __name__)

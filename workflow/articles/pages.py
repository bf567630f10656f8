"""The outlet's own pages that admins write: the contributor guidelines."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)

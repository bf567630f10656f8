"""Story images as readers (and the desk) fetch them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("media", __name__)

"""Forms every feature shares."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that changes something: CSRF and nothing else."""

"""What a person types into the desk's forms: valid answers a test changes one field of."""

from __future__ import annotations

from datetime import timedelta

from workflow.core.models import utcnow

PASSWORD = "correct horse battery staple"

REGISTRATION = {
    "email": "rana.field@example.org",
    "display_name": "Rana Field",
    "byline_name": "R. Field",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def valid_pitch(**changes) -> dict:
    """The pitch form filled in as a contributor would, with ``changes``."""
    pitch = {"headline": "The night bakers of the old city",
             "summary": "Bakers work through the curfew to keep bread on the shelves.",
             "angle": "Flour prices doubled this month.", "sources": "Three bakers, the millers' union.",
             "proposed_words": "1200", "proposed_deadline": "", "experience": "Six years in the city."}
    pitch.update(changes)
    return pitch


def in_days(days: int) -> str:
    """A date ``days`` from today, as a date field takes it."""
    return (utcnow().date() + timedelta(days=days)).isoformat()

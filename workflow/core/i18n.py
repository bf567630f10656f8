"""The desk in the reader's language: which languages it speaks, which way each is written, and times, dates and
numbers as a person of that language reads them, in their own time zone.

Request-free: the web layer chooses the language and the time zone of a page (``core/language.py``); a worker
writing an email says whose they are with ``speaking(locale, time_zone)``.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import flask_babel
from babel.dates import TIMEDELTA_UNITS
from flask import current_app
from flask_babel import gettext, lazy_gettext

_ = gettext


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: a reader who cannot read the page can still find their own
    direction: str  # "ltr" or "rtl"


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
}
DEFAULT_LANGUAGE = "en"

# What the page and the email being written now speak, when the caller says so (a worker has no request).
_speaking: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("speaking", default=None)


def supported(code: str | None) -> str | None:
    """The language code the desk speaks for ``code`` ("ar", "ar-SY", "AR_eg" → "ar"), or None."""
    if not code or not isinstance(code, str):
        return None
    base = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in LANGUAGES else None


def desk_language() -> str:
    """The desk's own language (``WORKFLOW_DEFAULT_LOCALE``): what a reader gets when their language has no
    wording of its own (an email's, a page's)."""
    return supported(current_app.config.get("DEFAULT_LOCALE")) or DEFAULT_LANGUAGE


def languages_desk_first() -> list[str]:
    """Every language the desk speaks, its own first (the order the admins' per-language pages list them in)."""
    first = desk_language()
    return [first, *(code for code in LANGUAGES if code != first)]


def direction(code: str | None) -> str:
    language = LANGUAGES.get(supported(code) or DEFAULT_LANGUAGE)
    return language.direction if language else "ltr"


# Names kept in the zone database for old systems only ("US/Pacific" is "America/Los_Angeles"): not offered.
LEGACY_ZONE_PREFIXES = ("Etc/", "posix/", "right/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(name for name in available_timezones() if "/" in name and not name.startswith(
        LEGACY_ZONE_PREFIXES))


def valid_time_zone(name: str | None) -> bool:
    if not name or not isinstance(name, str) or len(name) > 64:
        return False
    if name == "UTC":
        return True
    if name not in time_zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone a person may pick, as (name, label), UTC first then by name; the label is the zone's city in
    the page's language, then its name in the zone database: "بيروت — Asia/Beirut"."""
    return list(_time_zone_choices(current_language()))


@cache
def _time_zone_choices(language: str) -> tuple[tuple[str, str], ...]:
    from babel.dates import get_timezone_location  # only here: the list is made once per language

    choices = [("UTC", "UTC")]
    for name in sorted(time_zone_names()):
        try:
            city = get_timezone_location(name, locale=language, return_city=True)
        except (LookupError, ValueError):
            city = ""
        choices.append((name, f"{city} — {name}" if city else name))
    return tuple(choices)


def speaking_now() -> tuple[str, str] | None:
    return _speaking.get()


@contextmanager
def speaking(locale: str | None, time_zone: str | None):
    """Write in ``locale`` and give times in ``time_zone`` (an email to one person, from a worker or a page)."""
    chosen = supported(locale) or current_app.config.get("DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    zone = time_zone if valid_time_zone(time_zone) else current_app.config.get("TIME_ZONE", "UTC")
    token = _speaking.set((chosen, zone))
    flask_babel.refresh()
    try:
        with flask_babel.force_locale(chosen):
            yield chosen
    finally:
        _speaking.reset(token)
        flask_babel.refresh()


def language_name(code: str) -> str:
    """A language's name in the language the page speaks ("الإنجليزية" for English on an Arabic page); the
    switcher names each in itself instead (``LANGUAGES``)."""
    from babel import Locale  # only here: a name asked for by an admin page

    return Locale.parse(code).get_display_name(str(flask_babel.get_locale() or DEFAULT_LANGUAGE)) or code


def current_language() -> str:
    locale = flask_babel.get_locale()
    return supported(str(locale)) if locale else DEFAULT_LANGUAGE


def current_direction() -> str:
    return direction(current_language())


# -- Formatting: what templates and emails show --------------------------------------------------------------

def _zone_name(value: datetime) -> str:
    """The zone a time is given in, named as a reader knows it: "UTC" (in Arabic "التوقيت العالمي"), "EST",
    "Lebanon Time"."""
    short = flask_babel.format_datetime(value, "z")
    if short and short[0].isalpha():  # a real abbreviation (EST), not a bare offset (+0200)
        return short
    return flask_babel.format_datetime(value, "v")  # the zone by its place: "Lebanon Time"


def format_datetime(value: datetime | None, seconds: bool = False) -> str:
    """A moment in the reader's time zone and language, with the zone named: "06 Dec 2026, 14:00 UTC"."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if seconds:
        # Translators: a date and time pattern with seconds (Unicode LDML: dd day, MMM short month, y year,
        # HH:mm:ss 24-hour time)
        pattern = _("dd MMM y, HH:mm:ss")
    else:
        # Translators: a date and time pattern (Unicode LDML: dd day, MMM short month, y year, HH:mm 24-hour time)
        pattern = _("dd MMM y, HH:mm")
    shown = flask_babel.format_datetime(value, pattern)
    return f"{shown} {_zone_name(value)}"


def stored_moment(at: datetime) -> str:
    """``at`` as text to store where a sentence is worded later, for each reader (:func:`worded_moment`): ISO 8601
    in UTC, to the minute."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="minutes")


def worded_moment(text: str) -> str:
    """A moment stored by :func:`stored_moment`, in the reader's language and time zone; other text (written
    before moments were stored so) as it is."""
    try:
        return format_datetime(datetime.fromisoformat(text))
    except ValueError:
        return text


def format_date(value: date | None) -> str:
    """A day: "06 Dec 2026". Deadlines are days in the desk's time zone, so a day has no zone to convert."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = flask_babel.to_user_timezone(value if value.tzinfo else value.replace(tzinfo=UTC)).date()
    # Translators: a date pattern (Unicode LDML: dd day, MMM short month, y year)
    return flask_babel.format_date(value, _("dd MMM y"))


def format_number(value: int | float) -> str:
    """A count as a person of this language reads it: 235,369."""
    return flask_babel.format_decimal(value)


# Babel's units of time, largest first, in seconds (a month is 30 days, a year 365).
_UNITS = tuple(seconds for unit, seconds in TIMEDELTA_UNITS if unit != "second")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words: "5 minutes ago", counted in whole units of the largest that fits and never rounded
    up (an hour and a half is "1 hour ago", not "2 hours ago": the thing did not happen two hours ago)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - (now or datetime.now(UTC))
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return _("just now")
    unit = next(size for size in _UNITS if seconds >= size)
    whole = timedelta(seconds=seconds // unit * unit)  # Babel words a whole number of that unit as it is
    return flask_babel.format_timedelta(whole if delta > timedelta(0) else -whole, add_direction=True,
                                        threshold=1.0, granularity="minute")


__all__ = ["LANGUAGES", "Language", "_", "ago", "current_direction", "current_language", "direction",
           "format_date", "format_datetime", "format_number", "language_name", "lazy_gettext", "speaking",
           "speaking_now",
           "supported", "time_zone_choices", "valid_time_zone"]

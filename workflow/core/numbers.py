"""Whole numbers from query strings and forms, read as the database can hold them (the URL converters of
``workflow.core.converters`` use the same bounds).

Every id column is an INTEGER (32 bits on PostgreSQL). A number a person pastes can be larger than any column
(``99999999999999999999999``), written in digits Python reads but no person means (``²``, ``٣``), or carry a
sign. Each is refused here, before it reaches a query: SQLite raises OverflowError on an integer above 64 bits,
and PostgreSQL aborts the request's transaction on one above the column's range.
"""

from __future__ import annotations

import re
from decimal import Decimal

from wtforms.validators import StopValidation

INTEGER_MAX = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column (and of versions and numbers)

_DIGITS = re.compile(r"[0-9]{1,10}")


def whole_number(text: str | int | None, low: int = 0, high: int = INTEGER_MAX) -> int | None:
    """The number ``text`` writes in ASCII digits, if it lies in ``low``..``high``; otherwise None."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    elif isinstance(text, str) and _DIGITS.fullmatch(text):
        number = int(text)
    else:
        return None
    return number if low <= number <= high else None


def record_id(text: str | int) -> int:
    """An id from a query string or a form: ``request.args.get("before", type=record_id)``, or a select's
    ``coerce=record_id``; anything else raises ValueError, which both read as "missing" or "not a choice"."""
    number = whole_number(text, 1)
    if number is None:
        raise ValueError("not an id")
    return number


def finite(form, field) -> None:
    """A validator for decimal fields, before any range: "NaN", "sNaN" and "Infinity" parse as decimals, but are
    no amount (and a signalling NaN makes the range check itself raise)."""
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation("Enter an amount in figures, such as 250 or 250.50.")

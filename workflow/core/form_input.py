"""Form input as the database can keep it: NUL and the other invisible control characters (but tab and line
breaks) are taken out of every posted value before any form reads it. No person types them; PostgreSQL
refuses NUL outright, and the rest would only hide inside names and headlines."""

from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str) -> str:
    return _CONTROL.sub("", value)


MAILABLE_MESSAGE = _l("We cannot send email to an address with letters outside A to Z (such as é or ж) yet. "
                      "Use an address written with plain letters, digits and . _ - + only.")


def mailable_address(form, field) -> None:
    """A validator for every field whose address the desk will write to: our mail goes out without SMTPUTF8,
    so an address outside ASCII could be stored but never mailed."""
    from wtforms.validators import StopValidation

    if isinstance(field.data, str) and not field.data.isascii():
        raise StopValidation(str(MAILABLE_MESSAGE))


def init_app(app: Flask) -> None:
    @app.before_request
    def clean_form_input():
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            form = request.form
            if any(_CONTROL.search(value) for value in form.values()):
                request.form = ImmutableMultiDict([(key, clean(value)) for key, value in form.items(multi=True)])

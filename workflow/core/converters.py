"""The URL converters of every route, put in place of werkzeug's own before any route is added: an argument the
database cannot take matches no route, so the answer is 404 and no query ever sees it.

- ``<int:...>``: ASCII digits only, at most what an INTEGER column holds (werkzeug's takes any size, and any
  script's digits: ``/submissions/٣`` would be submission 3).
- ``<slug>``, ``<token>``, ``<path:...>``: no control characters (PostgreSQL refuses NUL in a text value, and no
  address of ours has any of the others).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from workflow.core.numbers import INTEGER_MAX

_NO_CONTROL = r"\x00-\x1f\x7f"


class IdConverter(IntegerConverter):
    """``<int:...>``: ASCII digits, at most INTEGER_MAX (a route may ask for a smaller ``max``, not a larger)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int = INTEGER_MAX,
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max if max < INTEGER_MAX else INTEGER_MAX,
                         signed=signed)


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>``: one path segment, without control characters."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", f"[^/{_NO_CONTROL}]", 1)


class TextPathConverter(PathConverter):
    """``<path:name>``: segments and slashes, without control characters."""

    regex = f"[^/{_NO_CONTROL}][^{_NO_CONTROL}]*?"
    part_isolating = False


def init_app(app: Flask) -> None:
    app.url_map.converters.update(default=TextConverter, string=TextConverter, path=TextPathConverter,
                                  int=IdConverter)

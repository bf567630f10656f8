"""What every cleaner of the package returns (:class:`Cleaned`) or raises (:func:`refusal`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from workflow.core.errors import DomainError
from workflow.core.storage import ACCEPTED


@dataclass
class Cleaned:
    """A file made clean, and what was taken out of it (empty: there was nothing to remove)."""

    data: bytes
    removed: list[str] = field(default_factory=list)


# Why a file is refused, each a whole sentence (a translator sees it whole): the file's name, what is wrong, what
# to do, and what the desk accepts.
REFUSALS = {
    "unreadable": _l("“%(name)s” is damaged or cannot be read, so we cannot remove its hidden "
              "data (author, location, history). Export or save it again, and send the new file: we accept %(types)s."),
    "too_many_pixels": _l("“%(name)s” has too many pixels to process safely, so we cannot remove its hidden "
              "data (author, location, history). Export it smaller: we accept %(types)s."),
    "damaged_image": _l("“%(name)s” is damaged or incomplete, so we cannot remove its hidden "
              "data (author, location, history). Export or save it again, and send the new file: we accept %(types)s."),
    "zip_bomb": _l("“%(name)s” unpacks to far more than its size (a zip bomb?), so we cannot remove its hidden "
              "data (author, location, history). Export or save it again, and send the new file: we accept %(types)s."),
    "password": _l("“%(name)s” is protected by a password, so we cannot remove its hidden "
              "data (author, location, history). Remove the password and send it again: we accept %(types)s."),
    "damaged_document": _l("“%(name)s” is damaged or not a document we can read, so we cannot remove its hidden "
              "data (author, location, history). Export or save it again, and send the new file: we accept %(types)s."),
    "damaged_pdf": _l("“%(name)s” is damaged or not a PDF we can read, so we cannot remove its hidden "
              "data (author, location, history). Export or save it again, and send the new file: we accept %(types)s."),
}


def refusal(filename: str, reason: str) -> DomainError:
    """The refusal of a file we cannot clean (``reason`` names a sentence of REFUSALS), in the reader's language."""
    return DomainError(str(REFUSALS[reason]) % {"name": filename, "types": ACCEPTED})

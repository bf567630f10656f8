"""Files cleaned of what betrays their author, before they are stored.

A photo tells where and with what it was taken (GPS, camera serial); a PDF or an office file tells who wrote it,
for which company, and who changed what. :func:`clean` returns the file without that, and says what it removed;
a file it cannot clean (damaged, encrypted, of a type it does not know) is refused with a :class:`DomainError`
saying why and what is accepted: nothing leaves the contributor's hands with metadata we could have removed.

- Images (JPEG, PNG, GIF, WebP): turned upright by their EXIF orientation, then re-encoded from the pixels alone,
  so no EXIF, XMP, IPTC, comment, text chunk, embedded thumbnail or colour profile survives (the colours are
  converted to sRGB first).
- PDF: the document information dictionary and every XMP stream removed, with embedded files and the actions a
  reader would run (JavaScript, launching programs, actions on opening a page or a field). The whole file is
  written anew, so no earlier revision (an incremental update) keeps the old values.
- OOXML (Word, Excel, PowerPoint) and OpenDocument: the document properties emptied (author, last editor,
  company, manager, template, revision, editing time, custom properties), the authors of comments and tracked
  changes replaced by a neutral name, the pictures inside cleaned as images are, and the zip's own dates and
  comment reset.

One module per job: :mod:`.images`, :mod:`.pdf` and :mod:`.office` clean what :func:`clean` hands them (each
returns a :class:`Cleaned` or raises the :func:`~.cleaned.refusal` of :mod:`.cleaned`); :mod:`.photos` strips a
story photo awaiting its worker (:func:`strip_photo`) without decoding it, and the worker re-encodes it with the
pieces :mod:`.images` shares (:func:`~.images.upright`, :func:`~.images.srgb`, :func:`~.images.encode`).
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow.core.errors import DomainError
from workflow.core.metadata.cleaned import Cleaned, refusal
from workflow.core.metadata.images import clean_image, image_leftovers
from workflow.core.metadata.office import MAX_EXPANSION, MAX_MEMBERS, MAX_UNPACKED, NEUTRAL_NAME, clean_zip
from workflow.core.metadata.pdf import clean_pdf, pdf_leftovers
from workflow.core.metadata.photos import strip_photo
from workflow.core.storage import ACCEPTED, ALLOWED_TYPES

__all__ = [
    "CLEANABLE_TYPES", "IMAGE_TYPES", "MAX_EXPANSION", "MAX_MEMBERS", "MAX_UNPACKED", "NEUTRAL_NAME", "ODF_TYPES",
    "OOXML_TYPES", "REMOVED_NOTICE", "Cleaned", "clean", "clean_image", "clean_pdf", "clean_zip", "image_leftovers",
    "pdf_leftovers", "strip_photo",
]

log = logging.getLogger(__name__)

# What the forms tell a contributor before they send a file.
REMOVED_NOTICE = _l("Before a file is stored, we remove what it says about you: author and editor names, company, "
                  "comment authors and editing history, location and camera details. A file we cannot clean "
                  "(damaged or protected by a password) is refused.")

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
OOXML_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
CLEANABLE_TYPES = {*IMAGE_TYPES, "application/pdf", *OOXML_TYPES, *ODF_TYPES}
# Storage accepts a type only if it is cleaned here, and every type cleaned here is accepted (checked at import,
# as the two lists live apart: storage sits below this package).
if CLEANABLE_TYPES != set(ALLOWED_TYPES):
    raise RuntimeError(f"the types storage accepts and the types cleaned differ: "
                       f"{sorted(CLEANABLE_TYPES ^ set(ALLOWED_TYPES))}")


def clean(filename: str, data: bytes, content_type: str) -> Cleaned:
    """``data`` (of the real ``content_type``, read from its content) without its metadata, or a DomainError saying
    why the file cannot be cleaned and what is accepted."""
    try:
        if content_type in IMAGE_TYPES:
            return clean_image(filename, data, IMAGE_TYPES[content_type])
        if content_type == "application/pdf":
            return clean_pdf(filename, data)
        if content_type in OOXML_TYPES or content_type in ODF_TYPES:
            return clean_zip(filename, data, odf=content_type in ODF_TYPES)
    except DomainError:
        raise
    except Exception as exc:  # a parser tripped on a crafted file: refused like a damaged one, never a 500
        log.warning("could not clean a %s file of %d bytes (%s)", content_type, len(data), type(exc).__name__)
        raise refusal(filename, "unreadable") from exc
    raise DomainError(_("“%(name)s” is of a type whose hidden data (author, location, history) we cannot "
                        "remove: we accept %(types)s.", name=filename, types=ACCEPTED))

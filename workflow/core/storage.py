"""Uploaded files, stored outside the web root under random keys; the type is read from the content."""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from workflow.core import sealed
from workflow.core.errors import DomainError
from workflow.core.transaction import after_rollback
from workflow.extensions import db

ALLOWED_TYPES = {  # every type whose hidden data the desk removes at intake (workflow/core/metadata/)
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document (DOCX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook (XLSX)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation (PPTX)",
    "application/vnd.oasis.opendocument.text": "OpenDocument text (ODT)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet (ODS)",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation (ODP)",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
}


# The extension each type we keep is named with, and the other spellings of it that are left alone.
EXTENSIONS = {
    "application/pdf": ("pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
}
# What a file input offers to choose (the type is read from the content all the same).
ACCEPT_ATTRIBUTE = ",".join([*ALLOWED_TYPES, *(f".{ext}" for names in EXTENSIONS.values() for ext in names)])
# What the forms and refusals say is accepted.
ACCEPTED = _l("a PDF, a document, spreadsheet or presentation (Word, Excel, PowerPoint or OpenDocument: DOCX, XLSX, "
            "PPTX, ODT, ODS, ODP) or an image (JPEG, PNG, GIF, WebP)")
ACCEPTED_SHORT = _l("PDF, documents, spreadsheets and presentations (DOCX, XLSX, PPTX, ODT, ODS, ODP) or images (JPEG, "
                  "PNG, GIF, WebP)")
MAX_FILENAME = 120
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, bidi marks, zero-width, unassigned
_RESERVED = set('<>:"|?*')  # refused by some systems the files are saved on


def safe_filename(name: str | None, content_type: str | None, default: str = "file") -> str:
    """A file name that can be shown, downloaded and unpacked as it reads: no folders (a path keeps only its
    last part), no control, bidi or zero-width characters (``invoice\u202efdp.exe`` cannot pose as
    ``invoiceexe.pdf``), an extension that agrees with ``content_type`` (the type read from the content: a
    PDF named ``.exe`` becomes ``.pdf``), at most ``MAX_FILENAME`` characters with the extension kept, and
    ``default`` (with the extension) when nothing is left."""
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if char.isspace() else "_" if char in _RESERVED else char
                   for char in text if unicodedata.category(char) not in _INVISIBLE or char.isspace())
    text = " ".join(text.split()).strip(". ")
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    extensions = EXTENSIONS.get(content_type or "")
    if extensions is not None:
        if suffix.lower() not in extensions:
            # A suffix that looks like an extension is replaced; any other stays part of the name.
            if not (suffix.isascii() and suffix.isalnum() and len(suffix) <= 5):
                stem = text
            suffix = extensions[0]
        else:
            suffix = suffix.lower()
    elif not dot:
        suffix = ""
    stem = stem.strip(". ") or default
    extension = f".{suffix}" if suffix else ""
    stem = stem[:MAX_FILENAME - len(extension)].rstrip(". ") or default
    return stem + extension


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    sha256: str


def _root() -> Path:
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_for(key: str) -> Path:
    if not key.isalnum():  # keys are ours, never a path a user chose
        raise ValueError("bad storage key")
    return _root() / key[:2] / key


def human_size(size: int) -> str:
    """A size as a person reads it, rounded up so that a file over the limit never looks equal to it."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    for unit, factor in (("KB", 1024), ("MB", 1024 * 1024)):
        if size < factor * 1024 or unit == "MB":
            tenths = math.ceil(size * 10 / factor)
            return f"{tenths // 10} {unit}" if tenths % 10 == 0 else f"{tenths / 10:.1f} {unit}"
    raise AssertionError("unreachable")


def upload_limit() -> str:
    return human_size(current_app.config["MAX_UPLOAD_BYTES"])


def check_upload(filename: str, data: bytes) -> str:
    """Return the real content type, or raise DomainError saying what is wrong with the file."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise DomainError(_("“%(name)s” is empty.", name=filename))
    if len(data) > limit:
        raise DomainError(_("“%(name)s” is %(size)s; files may be at most %(limit)s.", name=filename,
                            size=human_size(len(data)), limit=human_size(limit)))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise DomainError(_("“%(name)s” is of a type whose hidden data (author, location, history) we cannot "
                            "remove, so we cannot take it: we accept %(types)s.", name=filename, types=ACCEPTED))
    return kind.mime


def store(data: bytes, content_type: str, owner_id: int | None = None) -> StoredFile:
    """Write an uploaded file under a new random key; sealed with ``owner_id``'s data key if given (size and
    hash are the content's, not the sealed file's)."""
    key = secrets.token_hex(16)
    store_as(key, data, owner_id)
    return StoredFile(key=key, content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def store_as(key: str, data: bytes, owner_id: int | None = None) -> None:
    """Write ``data`` under a key the caller chose (alphanumeric), atomically, sealed with ``owner_id``'s data
    key if given. The row that points at the file may yet be rolled back; then the file goes too."""
    _write(key, sealed.seal_file(db.session(), owner_id, data) if owner_id is not None else data)
    after_rollback(db.session(), lambda: remove(key))


def overwrite(key: str, data: bytes, owner_id: int | None = None) -> None:
    """Replace a stored file's content, atomically: a reader gets the old file or the new one, never a part.
    The row that points at it stays, whatever becomes of the transaction; so does the new content."""
    if not path_for(key).exists():
        raise FileNotFoundError(key)
    _write(key, sealed.seal_file(db.session(), owner_id, data) if owner_id is not None else data)


def read(key: str) -> bytes:
    """A stored file's content, opened if it was sealed."""
    return sealed.open_file(path_for(key).read_bytes())


def _write(key: str, data: bytes) -> None:
    path = path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def remove(key: str) -> None:
    try:
        path_for(key).unlink()
    except FileNotFoundError:
        pass

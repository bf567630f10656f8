"""OOXML (Word, Excel, PowerPoint) and OpenDocument files rewritten member by member without their document
properties, with neutral names for the authors of comments and tracked changes: :func:`clean_zip`."""

from __future__ import annotations

import io
import re
import zipfile

from workflow.core.errors import DomainError
from workflow.core.metadata.cleaned import Cleaned, refusal
from workflow.core.metadata.images import clean_image

# Who wrote a comment or a tracked change, once the file is cleaned.
NEUTRAL_NAME = "Contributor"

# A zip may expand to this many times its own size at most (a zip bomb is refused, not unpacked).
MAX_EXPANSION = 40
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBERS = 5000

_CORE_XML = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
             b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
             b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>')
_APP_FIELDS = ("Company", "Manager", "Template", "HyperlinkBase", "TotalTime", "Application", "AppVersion")
_ODF_META_FIELDS = ("meta:initial-creator", "dc:creator", "meta:editing-cycles", "meta:editing-duration",
                    "meta:generator", "meta:user-defined", "meta:creation-date", "dc:date", "meta:print-date",
                    "meta:printed-by", "meta:template", "meta:auto-reload", "meta:hyperlink-behaviour")
_NAME_ATTRIBUTES = re.compile(rb"(\s(?:[\w.-]+:)?(?:author|initials|userId|providerId))"
                              rb"""\s*=\s*("[^"]*"|'[^']*')""")
_DATE_ATTRIBUTES = re.compile(rb"""\s(?:w|w15|w16cid|w16cex):(?:date|dateUtc)\s*=\s*("[^"]*"|'[^']*')""")
_TAG = re.compile(rb"<[A-Za-z][^<>]*>")
_IMAGE_SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".gif": "GIF"}


def _elements(names: tuple[str, ...]) -> re.Pattern:
    alternatives = b"|".join(re.escape(name.encode()) for name in names)
    return re.compile(rb"<(" + alternatives + rb")\b[^>]*?(?:/>|>.*?</\1\s*>)", re.S)


_APP_ELEMENTS = _elements(_APP_FIELDS)
_ODF_META_ELEMENTS = _elements(_ODF_META_FIELDS)
_ODF_CREATOR = re.compile(rb"<dc:creator>.*?</dc:creator>", re.S)
_ODF_DATE = re.compile(rb"<dc:date>.*?</dc:date>", re.S)
_XLSX_AUTHOR = re.compile(rb"<author>.*?</author>", re.S)
_PPTX_AUTHOR = re.compile(rb"(<p:cmAuthor\b[^>]*?\s(?:name|initials))\s*=\s*(\"[^\"]*\"|'[^']*')")


def _neutral_names(xml: bytes) -> bytes:
    def tag(match: re.Match) -> bytes:
        text = _NAME_ATTRIBUTES.sub(
            lambda m: m.group(1) + (b'="C"' if m.group(1).endswith(b"initials") else
                                    b'="None"' if m.group(1).endswith(b"providerId") else
                                    b'="' + NEUTRAL_NAME.encode() + b'"'), match.group(0))
        return _DATE_ATTRIBUTES.sub(b"", text)
    xml = _TAG.sub(tag, xml)
    return _PPTX_AUTHOR.sub(lambda m: m.group(1) + b'="' + NEUTRAL_NAME.encode() + b'"', xml)


def _clean_member(name: str, data: bytes, odf: bool, filename: str) -> tuple[bytes | None, str | None]:
    """A member's new bytes (None: leave it out) and what was removed from it (None: nothing)."""
    lower = name.lower()
    suffix = lower[lower.rfind("."):] if "." in lower else ""
    if suffix in _IMAGE_SUFFIXES and ("/media/" in lower or lower.startswith(("pictures/", "thumbnails/"))
                                      or lower.startswith("docprops/thumbnail")):
        cleaned = clean_image(filename, data, _IMAGE_SUFFIXES[suffix])
        return cleaned.data, ("metadata of pictures inside" if cleaned.removed else None)
    if odf:
        if lower == "meta.xml":
            new = _ODF_META_ELEMENTS.sub(b"", data)
            return new, ("document properties (author, editing history)" if new != data else None)
        if lower.endswith(".xml"):
            new = _ODF_CREATOR.sub(b"<dc:creator>" + NEUTRAL_NAME.encode() + b"</dc:creator>", data)
            new = _ODF_DATE.sub(b"", new)
            return new, ("names of comment authors and of tracked changes" if new != data else None)
        return data, None
    if lower == "docprops/core.xml":
        return _CORE_XML, ("document properties (author, last editor, revision, dates)"
                           if re.search(rb"<(?:[\w]+:)?\w+[^/>]*>[^<]", data) else None)
    if lower == "docprops/app.xml":
        new = _APP_ELEMENTS.sub(b"", data)
        return new, ("company, manager, template and editing time" if new != data else None)
    if lower == "docprops/custom.xml":
        return None, "custom properties"
    if lower in ("[content_types].xml", "_rels/.rels"):
        new = re.sub(rb"<(?:Override|Relationship)\b[^>]*/docProps/custom\.xml[\"'][^>]*/>", b"", data)
        new = re.sub(rb"<Relationship\b[^>]*Target=[\"']/?docProps/custom\.xml[\"'][^>]*/>", b"", new)
        return new, None
    if lower.endswith(".xml"):
        new = _XLSX_AUTHOR.sub(b"<author>" + NEUTRAL_NAME.encode() + b"</author>", data) if "comments" in lower \
            else data
        new = _neutral_names(new)
        if "person" in lower:  # Excel's threaded comments name their people
            new = re.sub(rb"""(\sdisplayName)\s*=\s*("[^"]*"|'[^']*')""", b'\\1="' + NEUTRAL_NAME.encode() + b'"', new)
        return new, ("names of comment authors and of tracked changes" if new != data else None)
    return data, None


def clean_zip(filename: str, data: bytes, odf: bool) -> Cleaned:
    """An OOXML or OpenDocument file rewritten member by member, in the same order (an OpenDocument's
    ``mimetype`` stays first and stored), with the zip's dates and comment reset."""
    removed: list[str] = []
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            members = source.infolist()
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > min(
                    MAX_EXPANSION * max(len(data), 1), MAX_UNPACKED):
                raise refusal(filename, "zip_bomb")
            if any(m.flag_bits & 0x1 for m in members):
                raise refusal(filename, "password")
            if source.comment:
                removed.append("zip comment")
            for member in members:
                if member.is_dir():
                    continue
                new, what = _clean_member(member.filename, source.read(member), odf, filename)
                if what and what not in removed:
                    removed.append(what)
                if new is None:
                    continue
                info = zipfile.ZipInfo(member.filename, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = (zipfile.ZIP_STORED if member.compress_type == zipfile.ZIP_STORED
                                      else zipfile.ZIP_DEFLATED)
                info.external_attr = 0o644 << 16
                target.writestr(info, new)
    except DomainError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise refusal(filename, "damaged_document") from exc
    return Cleaned(out.getvalue(), removed)

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
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field

import pikepdf
from flask import current_app, has_app_context
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from workflow.core.errors import DomainError
from workflow.core.storage import ACCEPTED

log = logging.getLogger(__name__)

NEUTRAL_NAME = "Contributor"
# What the forms tell a contributor before they send a file.
REMOVED_NOTICE = ("Before a file is stored, we remove what it says about you: author and editor names, company, "
                  "comment authors and editing history, location and camera details. A file we cannot clean "
                  "(damaged or protected by a password) is refused.")

# A zip may expand to this many times its own size at most (a zip bomb is refused, not unpacked).
MAX_EXPANSION = 40
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBERS = 5000


def _max_pixels() -> int:
    """Above this, an image is refused rather than decoded (a decompression bomb): the photos' limit."""
    return current_app.config["MAX_IMAGE_PIXELS"] if has_app_context() else 40_000_000

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


@dataclass
class Cleaned:
    """A file made clean, and what was taken out of it (empty: there was nothing to remove)."""

    data: bytes
    removed: list[str] = field(default_factory=list)


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
        raise _refusal(filename, "is damaged or cannot be read") from exc
    raise DomainError(f"“{filename}” is of a type whose hidden data (author, location, history) we cannot "
                      f"remove: we accept {ACCEPTED}.")


def _refusal(filename: str, why: str, advice: str = "Export or save it again, and send the new file") -> DomainError:
    return DomainError(f"“{filename}” {why}, so we cannot remove its hidden data (author, location, history). "
                       f"{advice}: we accept {ACCEPTED}.")


# Images -------------------------------------------------------------------------------------------------------

# What Pillow reads from a file that says nothing about who made it, or where.
_TECHNICAL = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression", "adobe",
              "adobe_transform", "gamma", "transparency", "background", "duration", "loop", "version", "interlace",
              "aspect", "srgb", "compression", "extension", "lossless", "disposal", "optimize", "blend",
              "timestamp", "mp", "mpoffset", "mpentry"}
_FRIENDLY = {"exif": "EXIF (camera, GPS position, dates)", "xmp": "XMP", "XML:com.adobe.xmp": "XMP",
             "icc_profile": "colour profile", "comment": "comment", "photoshop": "IPTC", "iptc": "IPTC"}


def image_leftovers(picture: Image.Image) -> list[str]:
    """What an opened image carries beyond its pixels, by name (an empty list: nothing to remove)."""
    found = []
    for key, value in picture.info.items():
        if key in _TECHNICAL and not (key == "extension" and value):
            continue
        label = _FRIENDLY.get(key, f"text “{key}”" if isinstance(value, str | bytes) else str(key))
        if label not in found:
            found.append(label)
    extra = [marker for marker, _ in getattr(picture, "applist", []) if marker not in ("APP0", "APP14")]
    if extra and not found:  # a JPEG segment Pillow does not name (APPn, a comment)
        found.append("hidden data (" + ", ".join(dict.fromkeys(extra)) + ")")
    return found


def clean_image(filename: str, data: bytes, kind: str) -> Cleaned:
    """The image upright and re-encoded from its pixels alone, in the format it came in."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=(kind, "MPO") if kind == "JPEG" else (kind,)) as picture:
                if picture.width * picture.height > _max_pixels():
                    raise _refusal(filename, "has too many pixels to process safely", "Export it smaller")
                removed = image_leftovers(picture)
                frames = getattr(picture, "n_frames", 1)
                if kind in ("GIF", "WEBP") and frames > 1:
                    encoded = _animation(picture, kind)
                else:
                    if frames > 1:
                        removed.append("extra pictures")
                    picture.load()
                    encoded = _encode(_srgb(ImageOps.exif_transpose(picture) or picture), kind)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refusal(filename, "has too many pixels to process safely", "Export it smaller") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise _refusal(filename, "is damaged or incomplete") from exc
    return Cleaned(encoded, removed)


def _srgb(picture: Image.Image) -> Image.Image:
    """The pixels in sRGB, through the image's own colour profile when it has one; the profile is then dropped."""
    profile = picture.info.get("icc_profile")
    if profile and picture.mode in ("RGB", "RGBA", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(picture, io.BytesIO(profile), ImageCms.createProfile("sRGB"),
                                                  outputMode="RGBA" if picture.mode == "RGBA" else "RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    return picture


def _bare(picture: Image.Image, kind: str) -> Image.Image:
    """A new image holding the pixels (and the palette) alone: ``info`` stays behind on the old one."""
    if picture.mode == "CMYK" or (kind == "JPEG" and picture.mode not in ("L", "RGB")):
        picture = picture.convert("RGB")
    elif picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        picture = picture.convert("RGBA")
    bare = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    if picture.mode == "P":
        palette = picture.getpalette("RGBA" if picture.palette and picture.palette.mode == "RGBA" else "RGB")
        bare.putpalette(palette, "RGBA" if len(palette) % 4 == 0 and picture.palette.mode == "RGBA" else "RGB")
    return bare


def _options(picture: Image.Image, kind: str) -> dict:
    options: dict = {"format": kind}
    if kind == "JPEG":
        options.update(quality=90, optimize=True)
    elif kind == "WEBP":
        options.update(quality=90, method=4)
    transparency = picture.info.get("transparency")
    if transparency is not None and kind in ("PNG", "GIF") and picture.mode in ("P", "L", "RGB"):
        options["transparency"] = transparency
    return options


def _encode(picture: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    _bare(picture, kind).save(out, **_options(picture, kind))
    return out.getvalue()


def _animation(picture: Image.Image, kind: str) -> bytes:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(picture):
        frames.append(_bare(frame.convert("RGBA"), kind))
        durations.append(frame.info.get("duration", 100))
    out = io.BytesIO()
    frames[0].save(out, format=kind, save_all=True, append_images=frames[1:], duration=durations,
                   loop=picture.info.get("loop", 0), **({"quality": 90} if kind == "WEBP" else {}))
    return out.getvalue()


# PDF ----------------------------------------------------------------------------------------------------------

_RISKY_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/Rendition"}


def pdf_leftovers(pdf: pikepdf.Pdf) -> list[str]:
    """What a PDF carries that :func:`clean_pdf` removes, by name."""
    found = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary) and len(info.keys()):
        found.append("document information (author, creator, dates)")
    names = pdf.Root.get("/Names")
    checks = [
        ("XMP metadata", lambda o: "/Metadata" in o),
        ("application data", lambda o: "/PieceInfo" in o),
        ("automatic actions", lambda o: "/AA" in o),
        ("JavaScript or program actions", lambda o: _is_risky(o.get("/A")) or _is_risky(o.get("/OpenAction"))
         or o.get("/S") in _RISKY_ACTIONS),
        ("attached files", lambda o: o.get("/Subtype") == "/FileAttachment" or o.get("/Type") == "/Filespec"
         and "/EF" in o),
    ]
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for label, test in checks:
            if label not in found and test(obj):
                found.append(label)
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names and "JavaScript or program actions" not in found:
            found.append("JavaScript or program actions")
        if "/EmbeddedFiles" in names and "attached files" not in found:
            found.append("attached files")
    return found


def _is_risky(action) -> bool:
    return isinstance(action, pikepdf.Dictionary) and action.get("/S") in _RISKY_ACTIONS


def clean_pdf(filename: str, data: bytes) -> Cleaned:
    """The PDF written anew without its metadata, attached files or actions that run code."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            removed = pdf_leftovers(pdf)
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary):
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in names:
                        del names[key]
            for key in ("/AF", "/Collection"):
                if key in pdf.Root:
                    del pdf.Root[key]
            if "/OpenAction" in pdf.Root and not isinstance(pdf.Root.OpenAction, pikepdf.Array):
                del pdf.Root["/OpenAction"]  # an action; a destination (an array) only opens at a page
            for page in pdf.pages:
                annots = page.obj.get("/Annots")
                if isinstance(annots, pikepdf.Array):
                    kept = [a for a in annots if not (isinstance(a, pikepdf.Dictionary)
                                                      and a.get("/Subtype") == "/FileAttachment")]
                    if len(kept) != len(annots):
                        page.obj["/Annots"] = pikepdf.Array(kept)
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in ("/Metadata", "/PieceInfo", "/AA", "/AF"):
                    if key in obj:
                        del obj[key]
                if _is_risky(obj.get("/A")):
                    del obj["/A"]
                if _is_risky(obj.get("/Next")):
                    del obj["/Next"]
                if obj.get("/S") in _RISKY_ACTIONS and "/JS" in obj:
                    del obj["/JS"]
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" \
                        and obj.get("/Filter") == "/DCTDecode":
                    raw = obj.read_raw_bytes()
                    bare = _strip_jpeg(raw, keep_orientation=False)  # a PDF places a picture as its pixels lie
                    if bare != raw:
                        obj.write(bare, filter=pikepdf.Name.DCTDecode)
                        if "metadata of pictures inside" not in removed:
                            removed.append("metadata of pictures inside")
            out = io.BytesIO()
            pdf.remove_unreferenced_resources()
            pdf.save(out, encryption=False, fix_metadata_version=False, deterministic_id=True)
    except pikepdf.PasswordError as exc:
        raise _refusal(filename, "is protected by a password", "Remove the password and send it again") from exc
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise _refusal(filename, "is damaged or not a PDF we can read") from exc
    return Cleaned(out.getvalue(), removed)


# Office files (zip) -------------------------------------------------------------------------------------------

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
                raise _refusal(filename, "unpacks to far more than its size (a zip bomb?)")
            if any(m.flag_bits & 0x1 for m in members):
                raise _refusal(filename, "is protected by a password", "Remove the password and send it again")
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
        raise _refusal(filename, "is damaged or not a document we can read") from exc
    return Cleaned(out.getvalue(), removed)


# Photos waiting for a worker ----------------------------------------------------------------------------------

# PNG chunks a decoder needs (and APNG's frames); any other chunk (text, time, EXIF, a private one) is dropped.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs",
             b"bKGD", b"acTL", b"fcTL", b"fdAT"}


def strip_photo(data: bytes, content_type: str) -> bytes:
    """A photo's metadata segments dropped without decoding a pixel (cheap enough for a request): what a JPEG, PNG
    or WebP says beyond its pixels goes, but for the two things a worker still needs to prepare it, its
    orientation (kept as a one-tag EXIF) and its colour profile. A JPEG keeps only its first picture (an MPO's
    others go). A file whose structure is not as expected is refused (DomainError on the photo field): it is never
    kept with the metadata it came with."""
    try:
        if content_type == "image/jpeg":
            return _strip_jpeg(data)
        if content_type == "image/png":
            return _strip_png(data)
        if content_type == "image/webp":
            return _strip_webp(data)
    except (ValueError, IndexError, SyntaxError, OSError) as exc:
        log.warning("could not strip a %s upload of %d bytes before its worker (%s)", content_type, len(data),
                    type(exc).__name__)
        raise DomainError("This photo is damaged or cannot be read, so we cannot remove its hidden data (location, "
                          "camera). Export or save it again, and send the new file.", field="image") from exc
    return data


def _orientation_exif(raw: bytes) -> bytes | None:
    """A one-tag EXIF block (with its ``Exif\\0\\0`` header) keeping the orientation of ``raw``; None if upright."""
    exif = Image.Exif()
    try:
        exif.load(raw)
        orientation = exif.get(0x0112)
    except Exception:  # a broken EXIF block: the photo stands as its pixels do
        return None
    if orientation not in (2, 3, 4, 5, 6, 7, 8):
        return None
    kept = Image.Exif()
    kept[0x0112] = orientation
    return kept.tobytes()


def _strip_jpeg(data: bytes, keep_orientation: bool = True) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out, i = [b"\xff\xd8"], 2
    while True:
        if data[i] != 0xFF:
            raise ValueError("not a marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i:i + 2])
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segment = data[i:i + 2 + length]
        if len(segment) != 2 + length or length < 2:
            raise ValueError("a segment runs past the end")
        if marker == 0xDA:  # the scans: up to the end of the first picture
            end = data.find(b"\xff\xd9", i + 2 + length)
            out.append(data[i:] if end < 0 else data[i:end + 2])
            return b"".join(out)
        body = segment[4:]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            kept = _orientation_exif(body) if keep_orientation else None
            if kept is not None:
                out.append(b"\xff\xe1" + (len(kept) + 2).to_bytes(2, "big") + kept)
        elif (0xE0 <= marker <= 0xEF or marker == 0xFE) and not (
                marker == 0xE0 and body.startswith(b"JFIF\x00")
                or marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00")
                or marker == 0xEE and body.startswith(b"Adobe")):
            pass  # APPn and comments: XMP, IPTC, maker notes, MPF, FlashPix, comments
        else:
            out.append(segment)
        i += 2 + length


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    out, i = [data[:8]], 8
    while i < len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        chunk = data[i:i + 12 + length]
        if len(chunk) != 12 + length:
            raise ValueError("a chunk runs past the end")
        if kind == b"eXIf":
            kept = _orientation_exif(b"Exif\x00\x00" + chunk[8:8 + length])
            if kept is not None:
                body = kept[6:]
                out.append(len(body).to_bytes(4, "big") + b"eXIf" + body
                           + zlib.crc32(b"eXIf" + body).to_bytes(4, "big"))
        elif kind in _PNG_KEPT:
            out.append(chunk)
        i += 12 + length
        if kind == b"IEND":
            return b"".join(out)  # nothing after the end
    raise ValueError("no IEND")


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    chunks, i, end = [], 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while i + 8 <= end:
        kind, length = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "little")
        body = data[i + 8:i + 8 + length]
        if len(body) != length:
            raise ValueError("a chunk runs past the end")
        chunks.append([kind, body])
        i += 8 + length + (length & 1)
    kept, has_exif = [], False
    for kind, body in chunks:
        if kind == b"EXIF":
            raw = body if body.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + body
            orientation = _orientation_exif(raw)
            if orientation is not None:
                kept.append([kind, orientation[6:]])
                has_exif = True
        elif kind != b"XMP ":
            kept.append([kind, body])
    for chunk in kept:
        if chunk[0] == b"VP8X":  # the flags say which chunks follow: XMP never, EXIF if the orientation stayed
            flags = (chunk[1][0] & ~0x04 & ~0x08) | (0x08 if has_exif else 0)
            chunk[1] = bytes([flags]) + chunk[1][1:]
    payload = b"".join(kind + len(body).to_bytes(4, "little") + body + (b"\x00" if len(body) & 1 else b"")
                       for kind, body in kept)
    return b"RIFF" + (len(payload) + 4).to_bytes(4, "little") + b"WEBP" + payload

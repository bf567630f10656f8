"""A photo awaiting the worker, stripped of its metadata segments without a pixel decoded (cheap enough for a
request): see :func:`strip_photo`. :func:`strip_jpeg` serves the JPEGs placed in a PDF as well."""

from __future__ import annotations

import logging
import zlib

from flask_babel import gettext as _
from PIL import Image

from workflow.core.errors import DomainError

log = logging.getLogger(__package__)  # the package's one logger

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
            return strip_jpeg(data)
        if content_type == "image/png":
            return _strip_png(data)
        if content_type == "image/webp":
            return _strip_webp(data)
    except (ValueError, IndexError, SyntaxError, OSError) as exc:
        log.warning("could not strip a %s upload of %d bytes before its worker (%s)", content_type, len(data),
                    type(exc).__name__)
        raise DomainError(_("This photo is damaged or cannot be read, so we cannot remove its hidden data "
                            "(location, camera). Export or save it again, and send the new file."),
                          field="image") from exc
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


def strip_jpeg(data: bytes, keep_orientation: bool = True) -> bytes:
    """A JPEG without its APPn segments and comments (but JFIF, the colour profile and Adobe's), its EXIF cut
    down to the orientation (dropped with it if not ``keep_orientation``), and only its first picture."""
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

"""Images cleaned by re-encoding their pixels alone (:func:`clean_image`), and the pieces the story photos'
worker shares with it: :func:`upright`, :func:`srgb` and :func:`encode`."""

from __future__ import annotations

import io
import warnings

from flask import current_app, has_app_context
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from workflow.core.errors import DomainError
from workflow.core.metadata.cleaned import Cleaned, refusal


def _max_pixels() -> int:
    """Above this, an image is refused rather than decoded (a decompression bomb): the photos' limit."""
    return current_app.config["MAX_IMAGE_PIXELS"] if has_app_context() else 40_000_000


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
                    raise refusal(filename, "too_many_pixels")
                removed = image_leftovers(picture)
                frames = getattr(picture, "n_frames", 1)
                if kind in ("GIF", "WEBP") and frames > 1:
                    encoded = _animation(picture, kind)
                else:
                    if frames > 1:
                        removed.append("extra pictures")
                    picture.load()
                    encoded = encode(srgb(upright(picture)), kind)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refusal(filename, "too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise refusal(filename, "damaged_image") from exc
    return Cleaned(encoded, removed)


def upright(picture: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF orientation says the picture stands."""
    return ImageOps.exif_transpose(picture) or picture


# Colour profiles a picture's pixels are converted through, by (its mode, the mode wanted).
_PROFILED = {("RGB", "RGB"), ("RGBA", "RGBA"), ("CMYK", "RGB")}


def srgb(picture: Image.Image, mode: str | None = None) -> Image.Image:
    """The pixels in sRGB, through the picture's own colour profile when it has one (the profile stays behind in
    ``info``, which :func:`encode` leaves out).

    ``mode`` is the mode the result must have (RGB, RGBA or L: a story photo's copies); without a profile to go
    through, the pixels are converted to it (16-bit greys scaled to 8 bits), or a ValueError says they cannot be.
    None (an attachment): RGBA stays RGBA and RGB or CMYK becomes RGB through a profile, and without one the pixels
    stay as they are."""
    target = mode or ("RGBA" if picture.mode == "RGBA" else "RGB")
    profile = picture.info.get("icc_profile")
    if profile and (picture.mode, target) in _PROFILED:
        try:
            converted = ImageCms.profileToProfile(picture, io.BytesIO(profile), ImageCms.createProfile("sRGB"),
                                                  outputMode=target)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    if mode is None:
        return picture
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        picture = picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return picture if picture.mode == mode else picture.convert(mode)


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


def encode(picture: Image.Image, kind: str, options: dict | None = None) -> bytes:
    """The pixels alone, encoded as ``kind`` (a Pillow format): a new image is made from them, so ``info`` (EXIF,
    XMP, comments, colour profile) stays behind. ``options`` are the encoder's settings, format included (a story
    photo's public copies have their own); by default an attachment's: quality 90, its transparency kept."""
    out = io.BytesIO()
    _bare(picture, kind).save(out, **(_options(picture, kind) if options is None else options))
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

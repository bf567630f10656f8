"""A story's photos: what an upload must be, how it is cleaned, and who may add, change, remove and see them.

An upload is never stored as it came. Pillow reads its real type from the content (JPEG, PNG or WebP; nothing
else), refuses it before decoding a single pixel if it declares more than ``MAX_IMAGE_PIXELS`` (a decompression
bomb), turns it upright by its EXIF orientation, converts its colours to sRGB, and re-encodes the pixels alone at
the widths of ``IMAGE_WIDTHS`` that fit in it (and at its own width, if it lies between two). No EXIF, no GPS
position, no XMP, no comment, no colour profile survives: a contributor's photo never tells where or with what
it was taken.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from pathlib import PurePath

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, UnidentifiedImageError

from workflow.articles.models import Image
from workflow.auth.models import User
from workflow.core import storage
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.transaction import after_commit
from workflow.extensions import db
from workflow.submissions import permissions
from workflow.submissions.models import Revision, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

MIN_WIDTH = 320  # narrower than this, a photo looks blurred on any page
ALT_LENGTH, CAPTION_LENGTH, CREDIT_LENGTH = 300, 1000, 200
ACCEPTED = "JPEG, PNG or WebP"

# Pillow's format → (content type, how each width is encoded)
FORMATS = {
    "JPEG": ("image/jpeg", {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True}),
    "PNG": ("image/png", {"format": "PNG", "optimize": True}),
    "WEBP": ("image/webp", {"format": "WEBP", "quality": 80, "method": 4}),
}


@dataclass(frozen=True)
class Processed:
    """An upload made safe: one encoded file per width, the largest last."""

    content_type: str
    files: dict[int, bytes]
    width: int  # of the largest copy
    height: int
    sha256: str  # of the upload as it came


def _name(filename: str | None) -> str:
    return PurePath((filename or "").replace("\\", "/")).name[:255] or "photo"


def limits() -> str:
    """The rules of an upload, as the form tells them."""
    return (f"{ACCEPTED}, up to {storage.human_size(current_app.config['MAX_IMAGE_BYTES'])} and "
            f"{current_app.config['MAX_IMAGE_PIXELS'] // 1_000_000} megapixels, at least {MIN_WIDTH} pixels wide. "
            "Location and camera data are removed.")


def process(filename: str, data: bytes) -> Processed:
    """The upload re-encoded at each width, or a DomainError (on the ``image`` field) saying what is wrong."""
    name = _name(filename)
    limit = current_app.config["MAX_IMAGE_BYTES"]
    if not data:
        raise DomainError(f"“{name}” is empty. Choose the photo again.", field="image")
    if len(data) > limit:
        raise DomainError(f"“{name}” is {storage.human_size(len(data))}; photos may be at most "
                          f"{storage.human_size(limit)}.", field="image")
    not_a_photo = DomainError(f"“{name}” is not a photo we can publish: upload a {ACCEPTED} image.", field="image")
    too_large = DomainError(
        f"“{name}” has too many pixels to process safely: at most "
        f"{current_app.config['MAX_IMAGE_PIXELS'] // 1_000_000} megapixels. Export it smaller and upload again.",
        field="image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            # Lazy: this reads the header only. Nothing is decoded until the size has been checked.
            picture = PILImage.open(io.BytesIO(data), formats=tuple(FORMATS))
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise too_large from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise not_a_photo from exc
        with picture:
            width, height = picture.size
            if width < 1 or height < 1:
                raise not_a_photo
            if width * height > current_app.config["MAX_IMAGE_PIXELS"]:
                raise too_large
            # Phones write some JPEGs as MPO (several pictures in one file): the first is the photo.
            content_type, encoding = FORMATS["JPEG" if picture.format == "MPO" else picture.format]
            try:
                picture.load()
                upright = ImageOps.exif_transpose(picture) or picture
            except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
                raise too_large from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise DomainError(f"“{name}” is damaged or incomplete: it cannot be read. Export it again.",
                                  field="image") from exc
            pixels = _srgb(upright, alpha=encoding["format"] != "JPEG" and _has_alpha(upright))
    if pixels.width < MIN_WIDTH:
        raise DomainError(f"“{name}” is only {pixels.width} pixels wide: photos need at least {MIN_WIDTH} "
                          "pixels across to look sharp on the page.", field="image")
    # The standard widths that fit, and the photo's own width when it lies between two of them: a 960 px photo
    # is kept at 480, 800 and 960, not cut down to 800.
    standard = current_app.config["IMAGE_WIDTHS"]
    widths = [w for w in standard if w <= pixels.width]
    if pixels.width < max(standard) and pixels.width not in widths:
        widths.append(pixels.width)
    files, size = {}, (0, 0)
    for target in sorted(widths):
        size = (target, max(1, round(pixels.height * target / pixels.width)))
        copy = pixels if size == pixels.size else pixels.resize(size, PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        files[target] = _encode(copy, encoding)
    return Processed(content_type=content_type, files=files, width=size[0], height=size[1],
                     sha256=hashlib.sha256(data).hexdigest())


def _has_alpha(picture: PILImage.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in picture.info


def _srgb(picture: PILImage.Image, alpha: bool) -> PILImage.Image:
    """The pixels in sRGB (RGB, RGBA or L), through the photo's own colour profile when it has one."""
    target = "RGBA" if alpha else ("L" if picture.mode in ("1", "L") else "RGB")
    profile = picture.info.get("icc_profile")
    if profile and (picture.mode, target) in (("RGB", "RGB"), ("RGBA", "RGBA"), ("CMYK", "RGB")):
        try:
            converted = ImageCms.profileToProfile(picture, io.BytesIO(profile), ImageCms.createProfile("sRGB"),
                                                  outputMode=target)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: convert as if there were none
    try:
        if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
            picture = picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        return picture if picture.mode == target else picture.convert(target)
    except ValueError as exc:
        raise DomainError("This photo's colour format is not supported: save it as an 8-bit RGB image.",
                          field="image") from exc


def _encode(picture: PILImage.Image, encoding: dict) -> bytes:
    # A new image from the pixels alone: ``info`` (EXIF, XMP, comments, profile) is left behind on the old one.
    clean = PILImage.new(picture.mode, picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    clean.save(out, **encoding)
    return out.getvalue()


def storage_key(image: Image, width: int) -> str:
    return f"{image.key}w{width}"


# Where readers find them ---------------------------------------------------------------------------------------

def url(image: Image, width: int) -> str:
    """The path of one stored width (served by ``media.image``)."""
    if has_request_context():
        return url_for("media.image", key=image.key, width=width)
    return f"/images/{image.key}/{width}"


def default_width(image: Image) -> int:
    """The copy for a browser that ignores ``srcset``: about a column wide."""
    fitting = [w for w in image.widths if w <= 1200]
    return max(fitting) if fitting else min(image.widths)


def srcset(image: Image) -> str:
    return ", ".join(f"{url(image, w)} {w}w" for w in sorted(image.widths))


def thumbnail_width(image: Image) -> int:
    return min(image.widths)


def snippet(image: Image) -> str:
    """The Markdown that places this photo in the body (see workflow.articles.rendering)."""
    alt = " ".join(image.alt.replace("[", "(").replace("]", ")").split())
    return f"![{alt}](image:{image.key})"


# Who may do what ----------------------------------------------------------------------------------------------

def can_manage_images(user: User, submission: Submission) -> bool:
    """The desk always; the contributor who pitched the story while it is theirs to work on (pitched or
    assigned, as with the draft). Once it is edited, published, declined or withdrawn, its photos are the
    desk's: a contributor cannot take away the top image of a story about to be published."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return permissions.is_owner(user, submission) and submission.state in (State.PITCHED, State.ASSIGNED)


def can_see(user: User, image: Image, submission: Submission | None = None) -> bool:
    """Everyone once the story is published; before that, whoever may see the submission."""
    submission = submission or db.session.get(Submission, image.submission_id)
    if submission is None:
        return False
    if submission.state is State.PUBLISHED:
        return True
    return bool(getattr(user, "is_authenticated", False)) and permissions.can_view(user, submission)


# The verbs ----------------------------------------------------------------------------------------------------

def images_of(submission: Submission) -> list[Image]:
    """The story's photos, oldest first (one query)."""
    return list(db.session.scalars(sa.select(Image).where(Image.submission_id == submission.id)
                                   .order_by(Image.id)))


def by_key(key: str) -> tuple[Image, Submission] | None:
    """An image with its story, by public key (one query); None if there is no such image."""
    if not key.isalnum() or len(key) > 40:
        return None
    row = db.session.execute(sa.select(Image, Submission).join(Submission, Submission.id == Image.submission_id)
                             .where(Image.key == key)).first()
    return (row[0], row[1]) if row else None


def _words(alt: str, caption: str, credit: str) -> tuple[str, str, str]:
    alt, credit = " ".join((alt or "").split()), " ".join((credit or "").split())
    caption = (caption or "").strip()
    if not alt:
        raise DomainError("Describe the photo for readers who cannot see it: what does it show?", field="alt")
    if len(alt) > ALT_LENGTH:
        raise DomainError(f"At most {ALT_LENGTH} characters; the caption can say more.", field="alt")
    if len(caption) > CAPTION_LENGTH:
        raise DomainError(f"At most {CAPTION_LENGTH:,} characters.", field="caption")
    if len(credit) > CREDIT_LENGTH:
        raise DomainError(f"At most {CREDIT_LENGTH} characters.", field="credit")
    return alt, caption, credit


def _check_manage(actor: User, submission: Submission) -> None:
    if not can_manage_images(actor, submission):
        raise PermissionDenied("The story is with the desk now: ask your editor to change its photos."
                               if permissions.is_owner(actor, submission) else "You cannot change this story's photos.")


def add_image(actor: User, submission: Submission, filename: str, data: bytes, alt: str = "", caption: str = "",
              credit: str = "") -> Image:
    """Add a photo to a story: checked, cleaned of its metadata and stored at each width.

    The files are written now and removed again if the transaction rolls back.
    """
    _check_manage(actor, submission)
    alt, caption, credit = _words(alt, caption, credit)
    processed = process(filename, data)
    same = db.session.scalar(sa.select(Image.id).where(Image.submission_id == submission.id,
                                                       Image.sha256 == processed.sha256))
    if same is not None:
        raise DomainError("This photo is already among the story's images.", field="image")
    image = Image(key=secrets.token_hex(16), submission_id=submission.id, uploaded_by_id=actor.id,
                  filename=_name(filename), content_type=processed.content_type, width=processed.width,
                  height=processed.height, widths=sorted(processed.files), sha256=processed.sha256, alt=alt,
                  caption=caption, credit=credit)
    for width, encoded in processed.files.items():
        storage.store_as(storage_key(image, width), encoded)
    db.session.add(image)
    db.session.flush()
    log.info("user %s added image %s (%s, %dx%d, widths %s) to submission %s", actor.id, image.id,
             image.content_type, image.width, image.height, image.widths, submission.id)
    return image


def update_image(actor: User, image: Image, alt: str, caption: str, credit: str) -> Image:
    """Change what is said about a photo: its description (alt), caption and credit."""
    submission = db.session.get(Submission, image.submission_id)
    _check_manage(actor, submission)
    image.alt, image.caption, image.credit = _words(alt, caption, credit)
    db.session.flush()
    log.info("user %s updated image %s of submission %s", actor.id, image.id, submission.id)
    return image


def delete_image(actor: User, image: Image) -> bool:
    """Remove a photo; its files go once the deletion is committed. If it was the top image, the story has
    none. Returns whether the draft or the published text still places it (the text then shows nothing there)."""
    submission = db.session.get(Submission, image.submission_id)
    _check_manage(actor, submission)
    if submission.top_image_id == image.id:
        submission.top_image_id = None
    placed = f"image:{image.key}"
    latest = db.session.scalar(sa.select(Revision.body).where(Revision.submission_id == submission.id)
                               .order_by(Revision.number.desc()).limit(1))
    in_text = placed in (latest or "") or placed in (submission.published_body or "")
    keys = [storage_key(image, width) for width in image.widths]
    db.session.delete(image)
    db.session.flush()
    after_commit(db.session(), lambda: [storage.remove(key) for key in keys])
    log.info("user %s deleted image %s of submission %s", actor.id, image.id, submission.id)
    return in_text

"""A story's photos: what an upload must be, how it is cleaned, and who may add, change, remove and see them.

The request never decodes a photo. It reads the header alone (Pillow opens files lazily): the real type (JPEG,
PNG or WebP; nothing else), the pixel dimensions, refused above ``MAX_IMAGE_PIXELS`` (a decompression bomb),
and the width, at least ``MIN_WIDTH``. It keeps the upload without its metadata segments (GPS, camera, XMP,
comments; :func:`workflow.core.metadata.strip_photo`, no pixel decoded) but for its orientation and colour profile,
writes the row as ``processing`` and,
once that is committed, hands the photo to a worker (:func:`prepare`); beat's sweep hands over again whatever
the broker lost (:func:`waiting`). A 39-megapixel PNG of 129 KB costs the request a few milliseconds and the
worker the seconds and hundreds of megabytes.

The worker decodes the pixels, turns them upright by their EXIF orientation, converts their colours to sRGB,
and re-encodes the pixels alone at the widths of ``IMAGE_WIDTHS`` that fit in it (and at its own width, if it
lies between two). No EXIF, no GPS position, no XMP, no comment, no colour profile survives: a contributor's
photo never tells where or with what it was taken. Then the upload itself is deleted. What cannot be read is
marked ``failed`` with the reason, which the desk sees on the story's page.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import warnings
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from workflow.articles.models import Image, ImageStatus
from workflow.core import metadata, storage
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.i18n import format_number
from workflow.core.metadata.images import encode, srgb, upright
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit
from workflow.extensions import celery, db
from workflow.people.models import User
from workflow.submissions import permissions
from workflow.submissions.models import Revision, Submission
from workflow.submissions.workflow import State

log = logging.getLogger(__name__)

MIN_WIDTH = 320  # narrower than this, a photo looks blurred on any page
ALT_LENGTH, CAPTION_LENGTH, CREDIT_LENGTH = 300, 1000, 200
ACCEPTED = _l("JPEG, PNG or WebP")
# A worker holds a photo this long while preparing it (seconds, even for 40 megapixels); if it dies (out of
# memory), the sweep hands the photo over again once the lease has run out, at most MAX_ATTEMPTS times in all.
PREPARE_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 3

# Pillow's format → (content type, how each width is encoded)
FORMATS = {
    "JPEG": ("image/jpeg", {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True}),
    "PNG": ("image/png", {"format": "PNG", "optimize": True}),
    "WEBP": ("image/webp", {"format": "WEBP", "quality": 80, "method": 4}),
}


@dataclass(frozen=True)
class Upload:
    """What the header of an upload says, without a pixel decoded."""

    content_type: str
    width: int  # as the photo will stand once turned upright, when the header says how
    height: int
    sha256: str


@dataclass(frozen=True)
class Processed:
    """An upload made safe: one encoded file per width, the largest last."""

    content_type: str
    files: dict[int, bytes]
    width: int  # of the largest copy
    height: int
    sha256: str  # of the upload as it came


def _name(filename: str | None) -> str:
    return storage.safe_filename(filename, None, default="photo")


def limits() -> str:
    """The rules of an upload, as the form tells them."""
    return _("JPEG, PNG or WebP, up to %(size)s and %(megapixels)d megapixels, at least %(width)d pixels wide. "
             "Location and camera data are removed.", size=storage.human_size(current_app.config["MAX_IMAGE_BYTES"]),
             megapixels=current_app.config["MAX_IMAGE_PIXELS"] // 1_000_000, width=MIN_WIDTH)


# Why a photo is refused, or could not be prepared by the worker: the code and what the sentence needs are what a
# failed photo keeps (``Image.problem``, as JSON), so that each reader reads the reason in their own language.
PROBLEMS = {
    "empty": _l("“%(name)s” is empty. Choose the photo again."),
    "too_big": _l("“%(name)s” is %(size)s; photos may be at most %(limit)s."),
    "not_a_photo": _l("“%(name)s” is not a photo we can publish: upload a %(types)s image."),
    "too_many_pixels": _l("“%(name)s” has too many pixels to process safely: at most %(megapixels)s megapixels. "
                          "Export it smaller and upload again."),
    "too_narrow": _l("“%(name)s” is only %(width)s pixels wide: photos need at least %(least)s pixels across to "
                     "look sharp on the page."),
    "damaged": _l("“%(name)s” is damaged or incomplete: it cannot be read. Export it again."),
    "colours": _l("This photo's colour format is not supported: save it as an 8-bit RGB image."),
    "lost": _l("“%(name)s” was lost before it could be prepared: upload it again."),
    "gave_up": lambda name, num: ngettext(
        "“%(name)s” could not be prepared: it stopped the worker %(num)d time. Export it smaller (or as a JPEG) "
        "and upload it again.",
        "“%(name)s” could not be prepared: it stopped the worker %(num)d times. Export it smaller (or as a JPEG) "
        "and upload it again.", num, name=name),
}
_SIZES = ("size", "limit")  # bytes, shown as a person reads a size
_NUMBERS = ("megapixels", "width", "least")


class PhotoRefused(DomainError):
    """A photo refused (at upload) or failed (in the worker): ``code`` is a key of PROBLEMS, ``params`` the plain
    values its sentence needs (the file's name, sizes in bytes, numbers)."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(_problem_words(code, params), field="image")

    def stored(self) -> str:
        return json.dumps({"problem": self.code, **self.params}, ensure_ascii=False)


def problem_text(stored: str) -> str:
    """A failed photo's reason in the reader's language; a reason stored before the codes, as it was written."""
    try:
        params = json.loads(stored)
        code = params.pop("problem")
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, or not a problem's: an older sentence
        return stored
    return _problem_words(code, params) if code in PROBLEMS else stored


def _problem_words(code: str, params: dict) -> str:
    words = PROBLEMS[code]
    if callable(words):  # a count: the sentence's plural form is chosen by the number
        return words(**params)
    shown = {key: storage.human_size(value) if key in _SIZES else format_number(value) if key in _NUMBERS
             else value for key, value in params.items()}
    return str(words) % {"types": ACCEPTED, **shown}


def _refusals(name: str) -> tuple[DomainError, DomainError]:
    megapixels = current_app.config["MAX_IMAGE_PIXELS"] // 1_000_000
    return PhotoRefused("not_a_photo", name=name), PhotoRefused("too_many_pixels", name=name, megapixels=megapixels)


def _open(name: str, data: bytes) -> PILImage.Image:
    """The photo opened lazily (its header read, no pixel decoded), or the DomainError that refuses it. The caller
    closes it and keeps DecompressionBombWarning an error while it reads."""
    not_a_photo, too_large = _refusals(name)
    limit = current_app.config["MAX_IMAGE_BYTES"]
    if not data:
        raise PhotoRefused("empty", name=name)
    if len(data) > limit:
        raise PhotoRefused("too_big", name=name, size=len(data), limit=limit)
    try:
        picture = PILImage.open(io.BytesIO(data), formats=tuple(FORMATS))
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise not_a_photo from exc
    width, height = picture.size
    if width < 1 or height < 1:
        picture.close()
        raise not_a_photo
    if width * height > current_app.config["MAX_IMAGE_PIXELS"]:
        picture.close()
        raise too_large
    return picture


def _turned(picture: PILImage.Image) -> bool:
    """Whether the EXIF orientation in the header turns the photo a quarter (width and height swap). Read from the
    header's bytes alone: asking Pillow for a PNG's EXIF would decode the pixels to look for it after them."""
    raw = picture.info.get("exif")
    if not raw:
        return False
    try:
        exif = PILImage.Exif()
        exif.load(raw)
        return exif.get(0x0112) in (5, 6, 7, 8)
    except Exception:  # a broken EXIF block: the worker finds out how the photo stands
        return False


def _too_narrow(name: str, width: int) -> DomainError:
    return PhotoRefused("too_narrow", name=name, width=width, least=MIN_WIDTH)


def check(filename: str, data: bytes) -> Upload:
    """An upload checked from its header alone: the size in bytes, the type, the pixel dimensions (a decompression
    bomb is refused here), the width. Raises a DomainError (on the ``image`` field) saying what is wrong. Nothing
    is decoded: a damaged file is found by the worker, which marks the photo ``failed`` with the reason."""
    name = _name(filename)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        with _open(name, data) as picture:
            width, height = picture.size
            content_type, _ = FORMATS["JPEG" if picture.format == "MPO" else picture.format]
            if _turned(picture):
                width, height = height, width
    if width < MIN_WIDTH:
        raise _too_narrow(name, width)
    return Upload(content_type=content_type, width=width, height=height, sha256=hashlib.sha256(data).hexdigest())


def process(filename: str, data: bytes) -> Processed:
    """The upload re-encoded at each width, or a DomainError saying what is wrong (the worker's part: this decodes
    the pixels, seconds and hundreds of megabytes for the largest photos)."""
    name = _name(filename)
    _, too_large = _refusals(name)
    standard = current_app.config["IMAGE_WIDTHS"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        with _open(name, data) as picture:
            # Phones write some JPEGs as MPO (several pictures in one file): the first is the photo.
            content_type, encoding = FORMATS["JPEG" if picture.format == "MPO" else picture.format]
            try:
                # A JPEG far larger than the largest width is decoded at a half, a quarter or an eighth of its
                # size straight away (never smaller than that width, whichever way it stands).
                picture.draft(picture.mode, (max(standard), max(standard)))
                picture.load()
                turned = upright(picture)
            except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
                raise too_large from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise PhotoRefused("damaged", name=name) from exc
            pixels = _srgb(turned, alpha=encoding["format"] != "JPEG" and _has_alpha(turned))
    if pixels.width < MIN_WIDTH:
        raise _too_narrow(name, pixels.width)
    # The standard widths that fit, and the photo's own width when it lies between two of them: a 960 px photo
    # is kept at 480, 800 and 960, not cut down to 800.
    widths = [w for w in standard if w <= pixels.width]
    if pixels.width < max(standard) and pixels.width not in widths:
        widths.append(pixels.width)
    files, size = {}, (0, 0)
    for target in sorted(widths):
        size = (target, max(1, round(pixels.height * target / pixels.width)))
        copy = pixels if size == pixels.size else pixels.resize(size, PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        files[target] = encode(copy, encoding["format"], encoding)
    return Processed(content_type=content_type, files=files, width=size[0], height=size[1],
                     sha256=hashlib.sha256(data).hexdigest())


def _has_alpha(picture: PILImage.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in picture.info


def _srgb(picture: PILImage.Image, alpha: bool) -> PILImage.Image:
    """The pixels in sRGB (RGB, RGBA or L), through the photo's own colour profile when it has one."""
    try:
        return srgb(picture, "RGBA" if alpha else ("L" if picture.mode in ("1", "L") else "RGB"))
    except ValueError as exc:
        raise PhotoRefused("colours") from exc


def storage_key(image: Image, width: int) -> str:
    return f"{image.key}w{width}"


def upload_key(image: Image) -> str:
    """Where the upload waits, stripped of its metadata but for its orientation and colour profile, until a worker
    has prepared it."""
    return f"{image.key}upload"


def files_of(image: Image) -> list[str]:
    """Every storage key a photo may have: its copies, and its upload if that is still there. For a photo being
    prepared, every width a worker may be writing at this moment (removing a file that is not there is nothing)."""
    widths = set(image.widths)
    if image.status is ImageStatus.PROCESSING:
        widths |= {*current_app.config["IMAGE_WIDTHS"], image.width, image.height}
    return [storage_key(image, width) for width in sorted(widths)] + [upload_key(image)]


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
        raise DomainError(_("Describe the photo for readers who cannot see it: what does it show?"), field="alt")
    if len(alt) > ALT_LENGTH:
        raise DomainError(_("At most %(count)d characters; the caption can say more.", count=ALT_LENGTH), field="alt")
    if len(caption) > CAPTION_LENGTH:
        raise DomainError(_("At most %(count)s characters.", count=format_number(CAPTION_LENGTH)), field="caption")
    if len(credit) > CREDIT_LENGTH:
        raise DomainError(_("At most %(count)s characters.", count=format_number(CREDIT_LENGTH)), field="credit")
    return alt, caption, credit


def _check_manage(actor: User, submission: Submission) -> None:
    if not can_manage_images(actor, submission):
        raise PermissionDenied(_("The story is with the desk now: ask your editor to change its photos.")
                               if permissions.is_owner(actor, submission) else
                               _("You cannot change this story's photos."))


def add_image(actor: User, submission: Submission, filename: str, data: bytes, alt: str = "", caption: str = "",
              credit: str = "") -> Image:
    """Add a photo to a story: checked from its header, kept without its metadata, and handed to a worker once committed
    (:func:`prepare` makes its copies). The upload is removed again if the transaction rolls back."""
    _check_manage(actor, submission)
    alt, caption, credit = _words(alt, caption, credit)
    upload = check(filename, data)
    same = db.session.scalar(sa.select(Image.id).where(Image.submission_id == submission.id,
                                                       Image.sha256 == upload.sha256,
                                                       Image.status != ImageStatus.FAILED))
    if same is not None:
        raise DomainError(_("This photo is already among the story's images."), field="image")
    image = Image(key=secrets.token_hex(16), submission_id=submission.id, uploaded_by_id=actor.id,
                  filename=storage.safe_filename(filename, upload.content_type, default="photo"),
                  content_type=upload.content_type, width=upload.width,
                  height=upload.height, widths=[], sha256=upload.sha256, alt=alt, caption=caption, credit=credit,
                  status=ImageStatus.PROCESSING)
    # The upload waits for a worker sealed with the contributor's data key; the copies it makes are the
    # story's photos (the public page's, once it is published).
    storage.store_as(upload_key(image), metadata.strip_photo(data, upload.content_type),
                     owner_id=submission.contributor_id)
    db.session.add(image)
    db.session.flush()
    image_id = image.id
    after_commit(db.session(), lambda: hand_to_worker(image_id))
    log.info("user %s added image %s (%s, %dx%d, %d bytes) to submission %s; a worker prepares it", actor.id,
             image.id, image.content_type, image.width, image.height, len(data), submission.id)
    return image


def hand_to_worker(image_id: int) -> bool:
    """Ask a worker to prepare a committed photo. If the broker cannot take the task, the sweep hands it over."""
    try:
        queue = current_app.config.get("IMAGE_QUEUE") or None  # None: Celery's default queue
        celery.send_task("articles.prepare_image", (image_id,), retry=False, queue=queue)
    except Exception as exc:
        log.warning("could not hand image %s to the workers (%s); the sweep will", image_id, type(exc).__name__)
        return False
    return True


# The worker's part ----------------------------------------------------------------------------------------------

def take(image_id: int) -> bool:
    """Claim a photo to prepare it: True if it is being prepared and no other worker holds it (then this one does,
    for ``PREPARE_LEASE``). The caller commits at once, so that other workers see the claim."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(Image).where(Image.id == image_id, Image.status == ImageStatus.PROCESSING,
                               Image.attempts < MAX_ATTEMPTS,
                               sa.or_(Image.attempted_at.is_(None), Image.attempted_at < now - PREPARE_LEASE))
        .values(attempted_at=now, attempts=Image.attempts + 1).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def prepare(image_id: int) -> str:
    """Make a photo's copies from its upload (taken with :func:`take`), mark it ready, and delete the upload once
    that is committed. A photo whose pixels cannot be read is marked failed, with the reason. The same result
    however often it runs: the copies are the same bytes at the same keys, and a photo no longer being prepared
    is left as it is. The caller commits."""
    image = db.session.get(Image, image_id)
    if image is None or image.status is not ImageStatus.PROCESSING:
        return "gone" if image is None else image.status.value
    try:
        data = storage.read(upload_key(image))
    except FileNotFoundError:
        return _fail(image, PhotoRefused("lost", name=image.filename).stored())
    try:
        processed = process(image.filename, data)
    except PhotoRefused as refusal:
        return _fail(image, refusal.stored())
    except DomainError as error:  # none is raised today; worded in the desk's language if one ever is
        return _fail(image, error.message)
    image_id, submission_id, key = image.id, image.submission_id, upload_key(image)
    keys = [storage_key(image, width) for width in processed.files]
    for width, encoded in processed.files.items():
        storage.store_as(storage_key(image, width), encoded)
    done = db.session.execute(
        sa.update(Image).where(Image.id == image_id, Image.status == ImageStatus.PROCESSING)
        .values(status=ImageStatus.READY, widths=sorted(processed.files), width=processed.width,
                height=processed.height, content_type=processed.content_type)
        .execution_options(synchronize_session=False))
    if done.rowcount == 0:  # deleted while the worker was busy: the copies are nobody's
        for stored in keys:
            storage.remove(stored)
        return "gone"
    db.session.expire(image)
    after_commit(db.session(), _remover(key))
    log.info("image %s of submission %s prepared at widths %s", image_id, submission_id, sorted(processed.files))
    return ImageStatus.READY.value


def _remover(key: str):
    return lambda: storage.remove(key)


def _fail(image: Image, problem: str) -> str:
    image_id, submission_id, key = image.id, image.submission_id, upload_key(image)
    failed = db.session.execute(
        sa.update(Image).where(Image.id == image_id, Image.status == ImageStatus.PROCESSING)
        .values(status=ImageStatus.FAILED, problem=problem[:500]).execution_options(synchronize_session=False))
    if failed.rowcount == 0:  # deleted meanwhile
        return "gone"
    db.session.expire(image)
    after_commit(db.session(), _remover(key))
    # The reason names the file: the desk reads it on the story's page, the log says only which photo.
    log.warning("image %s of submission %s could not be prepared", image_id, submission_id)
    return ImageStatus.FAILED.value


def tidy(image_id: int) -> None:
    """A photo this worker could not take: if it is no longer being prepared (a task run twice, a worker that
    died between the commit and the deletion), its upload has no business staying."""
    image = db.session.get(Image, image_id)
    if image is not None and image.status is not ImageStatus.PROCESSING:
        storage.remove(upload_key(image))


def waiting(limit: int = 100) -> list[int]:
    """For beat's sweep: the photos still to prepare that no worker holds, past the grace a task has to arrive
    (its enqueue or the task itself was lost: the broker was down, a worker died). Photos that workers took
    ``MAX_ATTEMPTS`` times without finishing are marked failed instead. The caller commits, then hands the
    ids to the workers."""
    now = utcnow()
    free = sa.or_(Image.attempted_at.is_(None), Image.attempted_at < now - PREPARE_LEASE)
    given_up = db.session.scalars(sa.select(Image).where(Image.status == ImageStatus.PROCESSING, free,
                                                         Image.attempts >= MAX_ATTEMPTS)).all()
    for image in given_up:
        _fail(image, PhotoRefused("gave_up", name=image.filename, num=image.attempts).stored())
    grace = now - timedelta(seconds=current_app.config["OUTBOX_GRACE_SECONDS"])
    return list(db.session.scalars(
        sa.select(Image.id).where(Image.status == ImageStatus.PROCESSING, free, Image.attempts < MAX_ATTEMPTS,
                                  Image.created_at < grace).order_by(Image.id).limit(limit)))


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
    keys = files_of(image)
    db.session.delete(image)
    db.session.flush()
    after_commit(db.session(), lambda: [storage.remove(key) for key in keys])
    log.info("user %s deleted image %s of submission %s", actor.id, image.id, submission.id)
    return in_text

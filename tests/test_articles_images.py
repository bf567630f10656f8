"""Story photos: what an upload must be, what is kept of it (the pixels, never where or with what it was taken),
who may fetch it, and how the article page shows it (srcset, figures, pull quotes), inert whatever was typed.
The request checks an upload from its header and a worker makes its copies: most tests run the worker's task
here (``prepare_images``); the largest photo goes through the real worker."""

from __future__ import annotations

import io
import re
import struct
import zlib
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, ImageCms, ImageFile
from PIL import Image as PILImage

from tests.helpers import Client, in_arabic, large_png, prepare_images, signed_in, text_of
from workflow.articles.models import Image, ImageStatus
from workflow.articles.rendering import markdown_to_html
from workflow.extensions import db
from workflow.submissions.models import Submission

GPS_TEXT = b"50.4501"  # the latitude, as a comment and XMP say it: no copy may carry it


def _exif(orientation: int | None = None) -> PILImage.Exif:
    """Camera, time and GPS position, as a phone writes them."""
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "Pocket 9"
    exif[ExifTags.Base.DateTime] = "2026:01:02 03:04:05"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 27.0, 0.36),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)})
    return exif


def _photo(fmt: str = "JPEG", size=(2000, 1200), orientation: int | None = None, metadata: bool = True) -> bytes:
    """A photo whose left half is red and right half blue (so that a rotation shows), with its metadata."""
    picture = PILImage.new("RGB", size, (210, 30, 30))
    picture.paste((30, 30, 210), (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    extra = {}
    if metadata:
        extra["exif"] = _exif(orientation)
        # A colour profile: the pixels are converted to sRGB through it, and it is not kept either.
        extra["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>' + GPS_TEXT + b"</exif:GPSLatitude></x:xmpmeta>"
        if fmt == "JPEG":
            extra.update(comment=b"Taken at " + GPS_TEXT, xmp=xmp)
        elif fmt == "PNG":
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_text("Comment", "Taken at " + GPS_TEXT.decode())
            info.add_itxt("XML:com.adobe.xmp", xmp.decode())
            extra["pnginfo"] = info
        else:
            extra["xmp"] = xmp
    picture.save(out, fmt, **extra)
    return out.getvalue()


def _noisy_jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    PILImage.effect_noise(size, 80).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes claiming width × height pixels: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" onload="alert(1)">' \
      b"<rect width=\"800\" height=\"600\"/></svg>"


def _gif() -> bytes:
    out = io.BytesIO()
    PILImage.new("P", (800, 600)).save(out, "GIF")
    return out.getvalue()


# Building stories ---------------------------------------------------------------------------------------------

def _assigned(factory):
    editor = factory.user("editor")
    reporter = factory.user(byline="R. Field")
    story = factory.submission(reporter, "assigned", editor=editor, headline="Night shifts at the bakery",
                               with_draft=False)
    return editor, reporter, story


def _upload(client: Client, submission_id: int, data: bytes, filename: str = "photo.jpg", alt: str = "Bread on racks",
            caption: str = "The night shift at work.", credit: str = "A. Photographer", prepared: bool = True):
    """Upload a photo; unless ``prepared`` is False, then do what the worker does with it."""
    page = f"/submissions/{submission_id}"
    token = client.csrf_token(page)
    response = client.http.post(f"{page}/images", data={
        "upload-csrf_token": token, "upload-image": (io.BytesIO(data), filename), "upload-alt": alt,
        "upload-caption": caption, "upload-credit": credit}, content_type="multipart/form-data")
    if prepared and response.status_code == 303:
        prepare_images(client.app)
    return response


def _images(app, submission_id: int) -> list[Image]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Image).where(Image.submission_id == submission_id).order_by(Image.id))
        images = list(rows)
        db.session.expunge_all()
        return images


def _stored_files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()}


def _publish(app, editor, reporter, story, body: str, top_image_id: int | None = None) -> str:
    """The contributor's draft, the editor's top image, then publication; returns the slug."""
    from workflow.people.models import User
    from workflow.submissions import services

    with app.app_context():
        submission = db.session.get(Submission, story.id)
        services.save_draft(db.session.get(User, reporter.id), submission, submission.headline, "The dek.", body)
        desk = db.session.get(User, editor.id)
        services.transition(desk, submission, services.TransitionInput(action="mark_edited",
                                                                       seen_version=submission.version))
        submission.top_image_id = top_image_id
        db.session.flush()
        services.transition(desk, submission, services.TransitionInput(action="publish",
                                                                       seen_version=submission.version))
        db.session.commit()
        return db.session.get(Submission, story.id).slug


def _field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field_id}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


# Metadata never survives ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, filename, content_type", [
    ("JPEG", "IMG_2041.jpg", "image/jpeg"),
    ("PNG", "screen.png", "image/png"),
    ("WEBP", "photo.webp", "image/webp"),
])
def test_no_copy_keeps_gps_camera_or_comments_and_the_photo_is_turned_upright(app, factory, fmt, filename,
                                                                                content_type):
    _, reporter, story = _assigned(factory)
    upload = _photo(fmt, size=(2000, 1200), orientation=6)
    original = PILImage.open(io.BytesIO(upload))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does say where it was taken
    assert "icc_profile" in original.info
    assert b"SpyCam" in upload and GPS_TEXT in upload

    owner = signed_in(app, reporter)
    response = _upload(owner, story.id, upload, filename)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/submissions/{story.id}#images")
    [image] = _images(app, story.id)
    # Orientation 6: the 2000 × 1200 landscape is shown as a 1200 × 2000 portrait; its widths fit in 1200.
    assert image.widths == [480, 800, 1200] and (image.width, image.height) == (1200, 2000)
    assert image.content_type == content_type

    for width in image.widths:
        response = owner.get(f"/images/{image.key}/{width}")
        assert response.status_code == 200 and response.mimetype == content_type
        data = response.get_data()
        served = PILImage.open(io.BytesIO(data))
        assert served.format == fmt
        assert served.size == (width, round(2000 * width / 1200))
        exif = served.getexif()
        assert len(exif) == 0 and not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "xmp", "comment", "XML:com.adobe.xmp", "Comment", "icc_profile"} & set(served.info)
        assert b"SpyCam" not in data and b"Pocket 9" not in data and GPS_TEXT not in data and b"Exif" not in data
        # Turned upright: the left (red) half of the sensor is now the top of the picture.
        rgb = served.convert("RGB")
        top, bottom = rgb.getpixel((width // 2, 5)), rgb.getpixel((width // 2, served.height - 5))
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


@pytest.mark.parametrize("fmt, filename", [("JPEG", "IMG_2041.jpg"), ("PNG", "screen.png"), ("WEBP", "photo.webp")])
def test_the_upload_waiting_for_the_worker_is_stored_without_its_metadata_but_its_orientation(app, factory, fmt,
                                                                                              filename):
    from workflow.articles import images
    from workflow.core import storage

    _, reporter, story = _assigned(factory)
    upload = _photo(fmt, size=(2000, 1200), orientation=6)
    assert b"SpyCam" in upload and GPS_TEXT in upload  # the photo as sent says where and with what
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, upload, filename, prepared=False).status_code == 303
    [image] = _images(app, story.id)
    with app.app_context():
        on_disk = storage.path_for(images.upload_key(image)).read_bytes()
        waiting = storage.read(images.upload_key(image))  # what the worker opens
    assert waiting != on_disk and not on_disk.startswith(upload[:4])  # sealed at rest
    for planted in (b"SpyCam", b"Pocket 9", GPS_TEXT, b"2026:01:02"):
        assert planted not in waiting and planted not in on_disk, planted
    stored = PILImage.open(io.BytesIO(waiting))
    stored.load()  # it still opens, for the worker
    assert dict(stored.getexif()) == {ExifTags.Base.Orientation: 6}
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "icc_profile" in stored.info  # the worker converts the colours through it, then drops it

    prepare_images(app)
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.READY and (image.width, image.height) == (1200, 2000)  # turned upright


def test_a_photo_between_two_widths_keeps_its_own_width_as_the_largest(app, factory):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(size=(960, 640))).status_code == 303
    [image] = _images(app, story.id)
    assert image.widths == [480, 800, 960] and (image.width, image.height) == (960, 640)
    with PILImage.open(io.BytesIO(owner.get(f"/images/{image.key}/960").get_data())) as served:
        assert served.size == (960, 640)


def test_a_photo_narrower_than_every_width_is_kept_at_its_own_width(app, factory):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(size=(400, 300))).status_code == 303
    [image] = _images(app, story.id)
    assert image.widths == [400] and (image.width, image.height) == (400, 300)
    assert owner.get(f"/images/{image.key}/400").status_code == 200
    assert owner.get(f"/images/{image.key}/480").status_code == 404  # a width that was never stored


# Refusals ------------------------------------------------------------------------------------------------------

REFUSED = [
    ("a text file named like a photo", "photo.jpg", b"These are my notes, not a photo." * 10,
     "is not a photo we can publish: upload a JPEG, PNG or WebP image"),
    ("an SVG (it can carry script)", "chart.svg", SVG, "is not a photo we can publish: upload a JPEG, PNG or WebP"),
    ("an SVG named .png", "chart.png", SVG, "is not a photo we can publish"),
    ("a GIF", "anim.gif", _gif(), "upload a JPEG, PNG or WebP image"),
    ("an empty file", "photo.jpg", b"", "is empty"),
    ("a photo too small to publish", "tiny.jpg", _photo(size=(200, 150)), "only 200 pixels wide"),
    ("a header declaring 10 gigapixels", "bomb.png", _png_declaring(100_000, 100_000), "too many pixels"),
]


@pytest.mark.parametrize("what, filename, data, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_what_is_not_a_publishable_photo_is_refused_next_to_the_field_and_nothing_is_stored(
        app, factory, what, filename, data, message):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    response = _upload(owner, story.id, data, filename, alt="What I typed", caption="My caption, kept",
                       prepared=False)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in _field_error(html, "upload-image")
    assert 'value="What I typed"' in html and "My caption, kept</textarea>" in html  # what was typed stays
    assert _images(app, story.id) == []
    assert _stored_files(app) == before


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(app, factory, monkeypatch):
    """Small on disk, huge once decoded: refused from its header, with the limit lowered so that the file itself
    stays small; PIL's pixel decoding is never reached."""
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 1_000_000)
    bomb = io.BytesIO()
    PILImage.new("RGB", (1500, 1000), (0, 0, 0)).save(bomb, "PNG", optimize=True)
    assert len(bomb.getvalue()) < 20_000  # 1.5 megapixels in a few kilobytes
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))

    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    response = _upload(owner, story.id, bomb.getvalue(), "bomb.png")
    assert response.status_code == 422
    assert "too many pixels to process safely: at most 1 megapixels" in _field_error(
        response.get_data(as_text=True), "upload-image")
    assert decoded == []
    assert _images(app, story.id) == [] and _stored_files(app) == before


def test_an_oversize_file_is_refused_with_the_limit(app, factory, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 20_000)
    photo = _noisy_jpeg()
    assert len(photo) > 20_000
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    response = _upload(owner, story.id, photo, "big.jpg")
    assert response.status_code == 422
    error = _field_error(response.get_data(as_text=True), "upload-image")
    assert "“big.jpg” is" in error and "photos may be at most 19.6 KB" in error
    assert _images(app, story.id) == []


def test_words_are_checked_and_kept_when_refused(app, factory):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    response = _upload(owner, story.id, _photo(), alt="", caption="Kept caption")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Describe the photo for readers who cannot see it" in _field_error(html, "upload-alt")
    assert "Choose the photo again" in _field_error(html, "upload-image")
    assert "Kept caption</textarea>" in html
    assert _images(app, story.id) == []


def test_the_same_photo_twice_is_refused(app, factory):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    photo = _photo()
    assert _upload(owner, story.id, photo).status_code == 303
    response = _upload(owner, story.id, photo)
    assert response.status_code == 422
    assert "already among the story's images" in _field_error(response.get_data(as_text=True), "upload-image")
    assert len(_images(app, story.id)) == 1


# Prepared by a worker ---------------------------------------------------------------------------------------------

def _upload_path(app, image: Image) -> Path:
    from workflow.articles import images

    with app.app_context():
        return Path(app.config["UPLOAD_DIR"]) / images.upload_key(image)[:2] / images.upload_key(image)


def _wait_for(app, submission_id: int, status: ImageStatus, timeout: float = 60.0) -> Image:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [image] = _images(app, submission_id)
        if image.status is status:
            return image
        time.sleep(0.2)
    raise AssertionError(f"the photo is still {image.status.value} after {timeout} s")


@pytest.fixture
def held(app, monkeypatch, broker):
    """Photos' tasks go to a queue no worker reads (as if lost), so that a photo stays as the request left it even
    while the session's worker runs; the test runs the task, or the sweep, itself."""
    import uuid

    queue = f"held-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "IMAGE_QUEUE", queue)
    yield queue
    if broker["url"].startswith("redis://"):
        import redis

        redis.Redis.from_url(broker["url"]).delete(queue)


@pytest.mark.worker
def test_a_39_megapixel_png_is_not_decoded_in_the_request_and_the_worker_prepares_it(app, factory, worker,
                                                                                     monkeypatch, held):
    """The issue's photo: 39 megapixels in 120 KB. The web process reads its header only (no pixel decoded: PIL's
    decoding is watched in this process); its task is lost (sent to a queue no worker reads), so the photo waits,
    shown as being prepared; beat's sweep hands it to the real worker, which makes the copies."""
    from datetime import timedelta

    from workflow.articles.tasks import sweep_images
    from workflow.core.models import clock_set_to, utcnow

    png = large_png()
    assert len(png) < 200_000
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or real_load(self))

    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    response = _upload(owner, story.id, png, "wide.png", caption="Wide.", prepared=False)
    assert response.status_code == 303
    assert decoded == [], "the request decoded the photo"
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.PROCESSING and image.widths == [] and image.attempts == 0
    assert (image.width, image.height, image.content_type) == (7200, 5400, "image/png")
    assert _stored_files(app) - before == {_upload_path(app, image)}  # the upload as it came, no copy yet
    panel = owner.get(f"/submissions/{story.id}")
    assert "Being prepared" in text_of(panel) and f'src="/images/{image.key}/' not in panel.get_data(as_text=True)
    assert owner.get(f"/images/{image.key}/480").status_code == 404

    # Nobody reads the held queue: the sweep finds the photo once the grace has passed, and the worker takes it.
    monkeypatch.setitem(app.config, "IMAGE_QUEUE", "")
    with app.app_context():
        assert sweep_images.run() == 0  # still within the grace a task has to arrive
        with clock_set_to(utcnow() + timedelta(minutes=1)):
            assert sweep_images.run() == 1
    image = _wait_for(app, story.id, ImageStatus.READY)
    assert decoded == []  # the worker decoded it, in its own process
    assert image.widths == [480, 800, 1200, 1600] and (image.width, image.height) == (1600, 1200)
    assert not _upload_path(app, image).exists()  # the upload goes once the copies are made
    assert len(_stored_files(app) - before) == 4
    with PILImage.open(io.BytesIO(owner.get(f"/images/{image.key}/1600").get_data())) as served:
        assert served.size == (1600, 1200) and served.format == "PNG"
    assert "Being prepared" not in text_of(owner.get(f"/submissions/{story.id}"))


def test_beat_sweeps_the_photos_every_minute_and_the_tasks_are_safe_to_run_twice(app):
    celery = app.extensions["celery"]
    sweep = celery.conf.beat_schedule["sweep-images"]
    assert sweep["task"] == "articles.sweep_images" and sweep["schedule"] == 60
    for name in ("articles.sweep_images", "articles.prepare_image"):
        assert name in celery.tasks and celery.tasks[name].acks_late is True


def test_the_task_is_idempotent_and_a_crash_before_the_commit_leaves_nothing_behind(app, factory, held):
    """acks_late: a task may run twice, or die half-way and run again. The copies are the same bytes at the same
    keys; a run that rolled back leaves no file; a photo that is ready is not touched again."""
    from datetime import timedelta

    from workflow.articles import images
    from workflow.articles.tasks import prepare_image
    from workflow.core.models import clock_set_to, utcnow

    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    assert _upload(owner, story.id, _photo(), prepared=False).status_code == 303
    [image] = _images(app, story.id)
    upload = _upload_path(app, image)

    with app.app_context():  # a worker takes it, makes the copies, and dies before its commit
        assert images.take(image.id)
        db.session.commit()
        assert images.prepare(image.id) == "ready"
        assert len(_stored_files(app) - before) == 5
        db.session.rollback()
    assert _stored_files(app) - before == {upload}  # the copies of the rolled-back run are gone
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.PROCESSING and image.attempts == 1

    with app.app_context():
        assert prepare_image.run(image.id) == "not taken"  # that worker's lease still holds it
        with clock_set_to(utcnow() + images.PREPARE_LEASE + timedelta(seconds=1)):
            assert prepare_image.run(image.id) == "ready"
    first = {path: path.read_bytes() for path in _stored_files(app) - before}
    assert len(first) == 4 and upload not in first
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.READY and image.attempts == 2 and image.widths == [480, 800, 1200, 1600]

    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"left behind by a worker that died after its commit")
    with app.app_context():
        assert prepare_image.run(image.id) == "not taken"  # the same task again: nothing to do ...
    assert not upload.exists()  # ... but the upload it should have deleted
    assert {path: path.read_bytes() for path in _stored_files(app) - before} == first
    assert _images(app, story.id)[0].attempts == 2

    # The same copies, byte for byte, when made again from the same upload.
    with app.app_context():
        again = images.process("photo.jpg", _photo())
    assert {images.storage_key(image, width): data for width, data in again.files.items()} == {
        path.name: data for path, data in first.items()}


def test_a_photo_that_cannot_be_read_is_marked_with_the_reason_and_kept_off_the_page(app, factory):
    """A truncated JPEG has a sound header: the request takes it, the worker finds it cannot be read."""
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    broken = _photo(metadata=False)[:3000]
    assert _upload(owner, story.id, broken, "broken.jpg", alt="Broken one").status_code == 303
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.FAILED and image.widths == []
    assert image.problem  # why, kept to be worded for each reader
    assert _stored_files(app) == before  # the upload is gone too
    page = text_of(owner.get(f"/submissions/{story.id}"))
    assert "Could not be prepared" in page
    assert "“broken.jpg” is damaged or incomplete: it cannot be read. Export it again." in page
    arabic = text_of(in_arabic(owner).get(f"/submissions/{story.id}"))
    assert "الملف «broken.jpg» تالف أو ناقص ولا يمكن قراءته. صدّره مرة أخرى." in arabic  # damaged or incomplete
    assert "delete it and upload the photo again" in page
    assert owner.get(f"/images/{image.key}/480").status_code == 404
    # The same file again is not "already among the story's images": it failed.
    assert _upload(owner, story.id, broken, "broken.jpg", alt="Broken one").status_code == 303
    token = owner.csrf_token(f"/submissions/{story.id}")
    assert owner.http.post(f"/submissions/{story.id}/images/{image.id}/delete",
                           data={"csrf_token": token}).status_code == 303
    assert [i.id for i in _images(app, story.id)] != [image.id]


def test_a_photo_that_kills_the_workers_is_given_up_after_three_attempts(app, factory, held):
    from datetime import timedelta

    from workflow.articles import images
    from workflow.articles.tasks import sweep_images
    from workflow.core.models import clock_set_to, utcnow

    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(), "heavy.jpg", prepared=False).status_code == 303
    [image] = _images(app, story.id)
    with app.app_context():
        for attempt in range(images.MAX_ATTEMPTS):  # each worker takes it, and is killed (out of memory)
            with clock_set_to(utcnow() + attempt * (images.PREPARE_LEASE + timedelta(seconds=1))):
                assert images.take(image.id)
                db.session.commit()
        with clock_set_to(utcnow() + images.MAX_ATTEMPTS * (images.PREPARE_LEASE + timedelta(seconds=1))):
            assert not images.take(image.id)
            db.session.rollback()
            assert sweep_images.run() == 0
    [image] = _images(app, story.id)
    assert image.status is ImageStatus.FAILED and image.attempts == images.MAX_ATTEMPTS
    page = text_of(owner.get(f"/submissions/{story.id}"))
    assert "“heavy.jpg” could not be prepared: it stopped the worker 3 times" in page
    assert not _upload_path(app, image).exists()


def test_readers_see_a_published_story_without_the_photos_being_prepared_then_with_them(app, factory, held):
    """Publishing does not wait for the photos: the story goes out on time (a scheduled one too), and readers see
    the text alone, then each photo, top image and social card included, once it is ready (the page's ETag
    changes then, so no cache keeps the text without it)."""
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(size=(1700, 1000)), prepared=False).status_code == 303
    assert _upload(owner, story.id, _photo(size=(900, 600), metadata=False), alt="The road out",
                   prepared=False).status_code == 303
    top, inside = _images(app, story.id)
    assert top.status is inside.status is ImageStatus.PROCESSING
    slug = _publish(app, editor, reporter, story, f"First.\n\n![r](image:{inside.key})\n\nLast.", top_image_id=top.id)

    reader = Client(app)
    response = reader.get(f"/articles/{slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<img" not in html and "<figure" not in html
    assert "og:image" not in html and '<meta name="twitter:card" content="summary">' in html
    assert "First." in text_of(response) and "Last." in text_of(response)
    assert "image:" not in html  # the placement is not shown as words either
    listing = reader.get("/").get_data(as_text=True)
    assert slug in listing and f"/images/{top.key}/" not in listing
    etag = response.headers["ETag"]

    prepare_images(app)
    again = reader.get(f"/articles/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert len(re.findall(r"<img\b", html)) == 2 and f'content="http://desk.test/images/{top.key}/1200"' in html
    assert f"/images/{top.key}/" in reader.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["contributor", "editor"])
def test_photo_uploads_are_limited_per_person_and_the_refusal_keeps_what_was_typed(app, factory, who):
    from workflow.core.limits import PHOTO_UPLOADS

    assert PHOTO_UPLOADS.startswith("30 per hour")
    editor, reporter, story = _assigned(factory)
    person = {"contributor": reporter, "editor": editor}[who]
    client = signed_in(app, person)
    refused = _upload(client, story.id, b"not a photo", "notes.jpg", prepared=False)
    assert refused.status_code == 422  # refused uploads are not counted
    for n in range(30):  # headers only: the request never decodes them, so these cost nothing here
        assert _upload(client, story.id, _png_declaring(400 + n, 300), f"p{n}.png", alt=f"Photo {n}",
                       prepared=False).status_code == 303, n
    response = _upload(client, story.id, _png_declaring(500, 300), "one-more.png", alt="What I typed",
                       caption="My caption, kept", credit="My credit, kept", prepared=False)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    html = response.get_data(as_text=True)
    error = _field_error(html, "upload-image")
    assert "You have uploaded 30 photos in the last hour: the desk takes the next one in" in error
    assert "Your description, caption and credit are kept here; choose the photo again then." in error
    assert 'value="What I typed"' in html and "My caption, kept</textarea>" in html
    assert 'value="My credit, kept"' in html
    assert len(_images(app, story.id)) == 30
    # Someone else is not concerned.
    other = {"contributor": editor, "editor": reporter}[who]
    assert _upload(signed_in(app, other), story.id, _png_declaring(600, 300), "theirs.png",
                   prepared=False).status_code == 303


# Who may fetch, upload, change and delete ------------------------------------------------------------------------

def test_before_publication_only_the_owner_and_the_desk_see_a_photo_after_it_everyone_does(app, factory):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo()).status_code == 303
    [image] = _images(app, story.id)
    path = f"/images/{image.key}/800"

    for someone in (Client(app), signed_in(app, factory.user())):  # a reader; another contributor
        assert someone.get(path).status_code == 404
    for allowed in (owner, signed_in(app, editor)):
        response = allowed.get(path)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert owner.get(f"/images/{image.key}/801").status_code == 404
    assert owner.get("/images/0000000000000000000000000000000f/800").status_code == 404

    _publish(app, editor, reporter, story, "Text.", top_image_id=image.id)
    reader = Client(app)
    response = reader.get(path)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "public" in response.headers["Cache-Control"] and "max-age=" in response.headers["Cache-Control"]
    assert reader.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("who, state, expected", [
    ("owner", "pitched", 303),
    ("owner", "assigned", 303),
    ("editor", "assigned", 303),
    ("other contributor", "assigned", 404),  # as the submission page: someone else's work does not exist
    ("owner", "edited", 403),  # the text is the desk's now, and so are the photos
    ("owner", "withdrawn", 403),  # as with the draft and the messages: the contributor left the story
    ("owner", "declined", 403),
    ("owner", "published", 403),  # published: the desk changes its photos
    ("editor", "published", 303),
    ("editor", "edited", 303),
])
def test_who_may_upload_change_and_delete(app, factory, who, state, expected):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    if state == "pitched":
        story = factory.submission(reporter, "pitched")
    assert _upload(owner, story.id, _photo(size=(900, 600))).status_code == 303
    [image] = _images(app, story.id)
    if state == "published":
        _publish(app, editor, reporter, story, "Text.")
    elif state in ("edited", "withdrawn", "declined"):
        from workflow.people.models import User
        from workflow.submissions import services

        action, actor = {"edited": ("mark_edited", editor), "withdrawn": ("withdraw", reporter),
                         "declined": ("decline", editor)}[state]
        with app.app_context():
            submission = db.session.get(Submission, story.id)
            if state == "edited":
                services.save_draft(db.session.get(User, reporter.id), submission, submission.headline, "Dek.",
                                    "Text.")
            services.transition(db.session.get(User, actor.id), submission, services.TransitionInput(
                action=action, seen_version=submission.version, comment="Not for us."))
            db.session.commit()
    client = {"owner": owner, "editor": signed_in(app, editor),
              "other contributor": signed_in(app, factory.user())}[who]
    token = client.csrf_token()
    base, prefix = f"/submissions/{story.id}/images", f"image{image.id}"

    uploaded = client.http.post(base, data={
        "upload-csrf_token": token, "upload-image": (io.BytesIO(_photo(size=(640, 480))), "second.jpg"),
        "upload-alt": "A second photo"}, content_type="multipart/form-data")
    assert uploaded.status_code == expected
    prepare_images(app)
    edited = client.http.post(f"{base}/{image.id}", data={
        f"{prefix}-csrf_token": token, f"{prefix}-alt": "New alt", f"{prefix}-caption": "", f"{prefix}-credit": ""})
    assert edited.status_code == expected
    left = _images(app, story.id)
    assert [i.alt for i in left if i.id == image.id] == ["New alt" if expected == 303 else "Bread on racks"]
    assert len(left) == (2 if expected == 303 else 1)
    deleted = client.http.post(f"{base}/{image.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == expected
    assert (image.id in [i.id for i in _images(app, story.id)]) is (expected != 303)


def test_the_panel_shows_the_photos_with_their_line_to_paste_and_forms_only_to_those_who_may_change_them(
        app, factory):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo()).status_code == 303
    [image] = _images(app, story.id)
    html = owner.get(f"/submissions/{story.id}").get_data(as_text=True)
    assert 'id="images"' in html
    assert f'>![Bread on racks](image:{image.key})</textarea>' in html
    assert f'src="/images/{image.key}/480"' in html  # the thumbnail
    assert 'name="upload-image"' in html and f'action="/submissions/{story.id}/images/{image.id}/delete"' in html
    assert "JPEG, PNG or WebP, up to 15 MB and 40 megapixels, at least 320 pixels wide" in text_of(
        owner.get(f"/submissions/{story.id}"))

    _publish(app, editor, reporter, story, "Text.")
    html = owner.get(f"/submissions/{story.id}").get_data(as_text=True)
    assert f'>![Bread on racks](image:{image.key})</textarea>' in html
    assert 'name="upload-image"' not in html and "/delete" not in html
    assert "ask your editor to change its photos" in html


def test_editing_the_words_of_a_photo_and_an_error_kept_next_to_its_field(app, factory):
    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo()).status_code == 303
    [image] = _images(app, story.id)
    prefix = f"image{image.id}"
    token = owner.csrf_token(f"/submissions/{story.id}")
    url = f"/submissions/{story.id}/images/{image.id}"
    refused = owner.http.post(url, data={f"{prefix}-csrf_token": token, f"{prefix}-alt": "  ",
                                         f"{prefix}-caption": "Typed caption", f"{prefix}-credit": "Typed credit"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Describe the photo" in _field_error(html, f"{prefix}-alt")
    assert "Typed caption</textarea>" in html and 'value="Typed credit"' in html
    assert _images(app, story.id)[0].caption == "The night shift at work."

    saved = owner.http.post(url, data={f"{prefix}-csrf_token": token, f"{prefix}-alt": "Loaves cooling",
                                       f"{prefix}-caption": "Dawn, Kharkiv.", f"{prefix}-credit": "R. Field"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#images")
    [image] = _images(app, story.id)
    assert (image.alt, image.caption, image.credit) == ("Loaves cooling", "Dawn, Kharkiv.", "R. Field")


def test_deleting_a_photo_removes_its_files_after_the_commit_and_the_top_image_goes(app, factory):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    assert _upload(owner, story.id, _photo()).status_code == 303
    [image] = _images(app, story.id)
    files = _stored_files(app) - before
    assert len(files) == len(image.widths) == 4
    with app.app_context():
        db.session.get(Submission, story.id).top_image_id = image.id
        db.session.commit()

    url = f"/submissions/{story.id}/images/{image.id}/delete"
    assert owner.http.post(url, data={"csrf_token": "forged"}).status_code == 400  # rolled back: files stay
    assert all(f.exists() for f in files)

    token = owner.csrf_token(f"/submissions/{story.id}")
    response = owner.http.post(url, data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("#images")
    assert _images(app, story.id) == []
    assert not any(f.exists() for f in files)
    with app.app_context():
        assert db.session.get(Submission, story.id).top_image_id is None
    assert owner.get(f"/images/{image.key}/800").status_code == 404


def test_files_are_not_removed_when_the_deletion_is_rolled_back(app, factory):
    from workflow.articles import images
    from workflow.people.models import User

    _, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    before = _stored_files(app)
    assert _upload(owner, story.id, _photo()).status_code == 303
    files = _stored_files(app) - before
    [image] = _images(app, story.id)
    with app.app_context():
        images.delete_image(db.session.get(User, reporter.id), db.session.get(Image, image.id))
        db.session.rollback()
    assert files and all(f.exists() for f in files)


# The article page ------------------------------------------------------------------------------------------------

def _attributes(tag: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in re.findall(r'\s([\w-]+)="([^"]*)"', tag)}


def test_the_article_shows_the_top_image_and_photos_in_the_body_at_every_stored_width(app, factory):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(size=(1700, 1000)), alt="Bread on racks", caption="The night shift.",
                   credit="A. Photographer").status_code == 303
    assert _upload(owner, story.id, _photo(size=(900, 600), metadata=False), alt="The road out",
                   caption="The only road still open.", credit="R. Field").status_code == 303
    top, inside = _images(app, story.id)
    body = (f"First paragraph.\n\n![a reminder](image:{inside.key})\n\n::: pullquote\n“We count the days.”\n:::"
            "\n\nLast paragraph.")
    slug = _publish(app, editor, reporter, story, body, top_image_id=top.id)

    reader = Client(app)
    response = reader.get(f"/articles/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tags = re.findall(r"<img\b[^>]*>", html)
    assert len(tags) == 2
    first, second = (_attributes(tag) for tag in tags)

    assert first["alt"] == "Bread on racks" and first["fetchpriority"] == "high" and "loading" not in first
    assert (first["width"], first["height"]) == ("1600", "941")
    assert re.search(r'<figure class="figure figure--top[^"]*">\s*<img', html)
    assert re.search(r'<figcaption dir="auto">The night shift\. <span class="figure__credit">Photo: '
                     r"<bdi>A\. Photographer</bdi></span>", html)

    assert second["alt"] == "The road out"  # the photo's own description, not the reminder in the text
    assert second["loading"] == "lazy" and second["decoding"] == "async" and "sizes" in second
    assert (second["width"], second["height"]) == ("900", "600")  # kept at its own width, the largest it has
    assert re.search(r'<figure class="figure"><img[^>]*><figcaption dir="auto">The only road still open\. '
                     r'<span class="figure__credit" dir="auto">Photo: <bdi>R\. Field</bdi></span>'
                     r'</figcaption></figure>', html)
    assert "<p><figure" not in html
    assert re.search(r'<aside class="pullquote" dir="auto">\s*<p dir="auto">“We count the days\.”</p>\s*</aside>', html)

    for attributes, image in ((first, top), (second, inside)):
        candidates = [part.strip().split(" ") for part in attributes["srcset"].split(",")]
        assert [int(w[:-1]) for _, w in candidates] == image.widths
        assert attributes["src"] in [u for u, _ in candidates]
        for url, descriptor in candidates:
            fetched = reader.get(url)
            assert fetched.status_code == 200 and fetched.mimetype == "image/jpeg"
            assert PILImage.open(io.BytesIO(fetched.get_data())).width == int(descriptor[:-1])

    # Social cards: an absolute address of a stored width, and the large card.
    og = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og == f"http://desk.test/images/{top.key}/1200"
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert f'<meta name="twitter:image" content="{og}">' in html


def test_without_a_top_image_the_card_is_the_small_one(app, factory):
    editor, reporter, story = _assigned(factory)
    slug = _publish(app, editor, reporter, story, "Text only.")
    html = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    assert '<meta name="twitter:card" content="summary">' in html and "og:image" not in html
    assert "<figure" not in html


def test_changing_a_caption_changes_the_page_etag(app, factory):
    editor, reporter, story = _assigned(factory)
    assert _upload(signed_in(app, reporter), story.id, _photo()).status_code == 303
    [image] = _images(app, story.id)
    slug = _publish(app, editor, reporter, story, "Text.", top_image_id=image.id)
    reader = Client(app)
    etag = reader.get(f"/articles/{slug}").headers["ETag"]
    desk = signed_in(app, editor)
    prefix = f"image{image.id}"
    assert desk.http.post(f"/submissions/{story.id}/images/{image.id}", data={
        f"{prefix}-csrf_token": desk.csrf_token(f"/submissions/{story.id}"), f"{prefix}-alt": "Bread",
        f"{prefix}-caption": "A corrected caption.", f"{prefix}-credit": ""}).status_code == 303
    again = reader.get(f"/articles/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and "A corrected caption." in again.get_data(as_text=True)


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
    "[x](javascript:alert(1))",
    "' onmouseover='alert(1)",
]


class _Tags(HTMLParser):
    """Every tag of a page with its attributes, as a browser parses them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def _assert_inert(html: str) -> None:
    tags = _Tags(html).tags
    assert [a.get("src") for t, a in tags if t == "script"] == ["/static/desk.js"]  # ours, nothing else
    for tag, attributes in tags:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src", "srcset", "action", "formaction"):
            value = attributes.get(name, "").strip().lower()
            assert not value.startswith("javascript:") and (not value.startswith("data:") or tag == "link"), attributes
        assert "evil.example" not in " ".join(attributes.values())
        if tag == "img":
            assert re.fullmatch(r"/images/[0-9a-f]{32}/\d+", attributes["src"]), attributes  # only our photos
    assert not [t for t, _ in tags if t in ("iframe", "object", "embed")]
    assert not [a for t, a in tags if t == "svg" and "bell__icon" not in a.get("class", "")]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_alt_caption_credit_and_body_images_render_inert(app, factory, payload):
    editor, reporter, story = _assigned(factory)
    owner = signed_in(app, reporter)
    assert _upload(owner, story.id, _photo(), alt=f"Alt {payload}", caption=f"Caption {payload}",
                   credit=f"Credit {payload}").status_code == 303
    [image] = _images(app, story.id)
    body = (f"Before.\n\n![{payload}](image:{image.key})\n\n![x](javascript:alert(1))\n\n"
            "![x](https://evil.example/track.png)\n\n![x](image:NOTAKEY)\n\n"
            f"Inline ![y](//evil.example/pixel.gif) and ![z](image:{'0' * 32}).\n\nAfter.")
    _assert_inert(owner.get(f"/submissions/{story.id}").get_data(as_text=True))
    slug = _publish(app, editor, reporter, story, body, top_image_id=image.id)
    response = Client(app).get(f"/articles/{slug}")
    html = response.get_data(as_text=True)
    _assert_inert(html)
    assert len(re.findall(r"<img\b", html)) == 2  # the top image and its place in the body; nothing else loads
    page = text_of(response)
    assert f"Caption {payload}" in page and f"Photo: Credit {payload}" in page  # shown as the words typed
    assert [_attributes(tag)["alt"] for tag in re.findall(r"<img\b[^>]*>", html)] == [f"Alt {payload}"] * 2
    assert "Before." in page and "After." in page


def test_markdown_loads_only_the_storys_own_photos():
    class Photo:
        key, widths, width, height = "a" * 32, [480, 800], 800, 533
        alt, caption, credit = "Road", "", ""

    photo = Photo()
    html = str(markdown_to_html("![x](image:NOTAKEY)\n\n![x](https://evil.example/t.png)\n\n![x](javascript:alert(1))"
                                f"\n\n![x](image:{photo.key})", {}))
    assert "<img" not in html and "evil.example" not in html
    html = str(markdown_to_html(f"![reminder](image:{photo.key})", {photo.key: photo}))
    assert html.startswith('<figure class="figure"><img src="/images/') and 'alt="Road"' in html
    assert "<figcaption" not in html  # no caption, no credit: no empty caption either
    html = str(markdown_to_html(f"Words ![x](image:{photo.key}) inline.", {photo.key: photo}))
    assert html.startswith('<p dir="auto">Words <img ') and "<figure" not in html

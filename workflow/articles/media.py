"""Story images: the Images panel of the submission page (upload, describe, delete), and the photos as readers
(and the desk) fetch them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow.articles import images
from workflow.articles.models import Image
from workflow.auth.forms import ActionForm
from workflow.core import limits, storage
from workflow.core.errors import DomainError
from workflow.core.views import FORM_ERROR_STATUS, attach_error
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

bp = Blueprint("media", __name__)

PUBLIC_MAX_AGE = 7 * 24 * 3600  # a week: long for a cache, short enough that a photo taken down stops circulating


class _ImageWords(FlaskForm):
    alt = StringField("Description (alt text)", validators=[
        DataRequired("Describe the photo for readers who cannot see it: what does it show?"),
        Length(max=images.ALT_LENGTH, message=f"At most {images.ALT_LENGTH} characters; the caption can say more.")],
        description="What the photo shows, for readers who cannot see it. Not a caption.")
    caption = TextAreaField("Caption (optional)", validators=[
        Optional(), Length(max=images.CAPTION_LENGTH, message=f"At most {images.CAPTION_LENGTH:,} characters.")],
        description="Shown under the photo: who, where, when.")
    credit = StringField("Credit (optional)", validators=[
        Optional(), Length(max=images.CREDIT_LENGTH, message=f"At most {images.CREDIT_LENGTH} characters.")],
        description="The photographer or agency, shown as “Photo: …”.")


class UploadForm(_ImageWords):
    image = FileField("Photo", render_kw={"accept": "image/jpeg,image/png,image/webp"})


class ImageForm(_ImageWords):
    """What is said about a photo already uploaded."""


def _upload_form(submitted: bool = False) -> UploadForm:
    form = UploadForm(prefix="upload") if submitted else UploadForm(formdata=None, prefix="upload")
    form.image.description = images.limits()
    return form


def _image_form(image: Image, submitted: bool = False) -> ImageForm:
    """Each photo's form has a prefix of its own, so that the fields' ids never repeat on the page."""
    if submitted:
        return ImageForm(prefix=f"image{image.id}")
    return ImageForm(formdata=None, prefix=f"image{image.id}", alt=image.alt, caption=image.caption,
                     credit=image.credit)


def images_panel(submission: Submission, upload_form: UploadForm | None = None,
                 edited: tuple[Image, ImageForm] | None = None, photos: list[Image] | None = None) -> dict:
    """What the Images panel of the submission page shows to the person looking at it. ``photos``: the story's
    images, when the caller has read them already."""
    can_manage = images.can_manage_images(current_user, submission)
    items = photos if photos is not None else images.images_of(submission)
    forms = {}
    if can_manage:
        forms = {image.id: (edited[1] if edited and edited[0].id == image.id else _image_form(image))
                 for image in items}
    return {
        "photos": items,
        "can_manage": can_manage,
        "upload_form": upload_form or (_upload_form() if can_manage else None),
        "forms": forms,
        "delete_form": ActionForm(formdata=None),
        "published": submission.state is State.PUBLISHED,
        "top_image_id": submission.top_image_id,
        "url": images.url,
        "srcset": images.srcset,
        "thumbnail_width": images.thumbnail_width,
        "snippet": images.snippet,
    }


def _load(submission_id: int, image_id: int | None = None) -> tuple[Submission, Image | None]:
    """The submission if this person may see it (404 otherwise, as the submission page does); and one of its
    images. Someone who may see it but not change its photos gets 403."""
    from workflow.submissions.views import load_visible

    submission = load_visible(submission_id)
    image = None
    if image_id is not None:
        image = db.session.get(Image, image_id)
        if image is None or image.submission_id != submission.id:
            abort(404)
    if not images.can_manage_images(current_user, submission):
        abort(403)
    return submission, image


def _again(submission: Submission, status: int, **panel):
    """The submission page again, the form with its errors and what was typed in it."""
    from workflow.submissions.views import detail_context

    context = detail_context(submission)
    context["images_panel"] = images_panel(submission, **panel)
    return render_template("submissions/detail.html", **context), status


def _back(submission: Submission):
    return redirect(url_for("submissions.detail", submission_id=submission.id) + "#images", 303)


@bp.post("/submissions/<int:submission_id>/images")
@login_required
def upload(submission_id: int):
    submission, _ = _load(submission_id)
    form = _upload_form(submitted=True)
    file = form.image.data
    valid = form.validate()
    if not file or not file.filename:
        form.image.errors = [*form.image.errors, "Choose the photo to upload."]
        return _again(submission, FORM_ERROR_STATUS, upload_form=form)
    if not valid:  # a browser never keeps a chosen file across pages: say so next to the field
        form.image.errors = [*form.image.errors, "Choose the photo again once the rest is right."]
        return _again(submission, FORM_ERROR_STATUS, upload_form=form)
    over = limits.photo_upload_wait(current_user.id)
    if over is not None:
        wait, reached = over
        form.image.errors = [*form.image.errors, (
            f"You have uploaded {reached}: the desk takes the next one in {_how_long(wait)}. Your description, "
            "caption and credit are kept here; choose the photo again then.")]
        response = make_response(_again(submission, 429, upload_form=form))
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        images.add_image(current_user, submission, file.filename, file.read(), alt=form.alt.data,
                         caption=form.caption.data or "", credit=form.credit.data or "")
    except DomainError as error:
        attach_error(form, error)
        return _again(submission, error.status_code, upload_form=form)
    limits.count_photo_upload(current_user.id)
    flash("Photo added. It is being prepared for the page, which takes a moment; paste its line into the draft "
          "to place it in the text.", "success")
    return _back(submission)


def _how_long(seconds: int) -> str:
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = -(-minutes // 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


@bp.post("/submissions/<int:submission_id>/images/<int:image_id>")
@login_required
def edit(submission_id: int, image_id: int):
    submission, image = _load(submission_id, image_id)
    form = _image_form(image, submitted=True)
    if form.validate():
        try:
            images.update_image(current_user, image, form.alt.data, form.caption.data or "", form.credit.data or "")
        except DomainError as error:
            attach_error(form, error)
        else:
            flash("Photo details saved.", "success")
            return _back(submission)
    return _again(submission, FORM_ERROR_STATUS, edited=(image, form))


@bp.post("/submissions/<int:submission_id>/images/<int:image_id>/delete")
@login_required
def delete(submission_id: int, image_id: int):
    submission, image = _load(submission_id, image_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    snippet = images.snippet(image)
    if images.delete_image(current_user, image):
        flash(f"Photo deleted. The text still places it: remove the line {snippet} from the draft.", "info")
    else:
        flash("Photo deleted.", "info")
    return _back(submission)


@bp.route("/images/<key>/<int:width>")
def image(key: str, width: int):
    """One stored width of a photo. Readers get it once the story is published; before, only whoever may see the
    submission. Anyone else gets 404, as if there were no such photo."""
    found = images.by_key(key)
    if found is None:
        abort(404)
    photo, submission = found
    if width not in photo.widths or not images.can_see(current_user, photo, submission):
        abort(404)
    response = send_file(storage.path_for(images.storage_key(photo, width)), mimetype=photo.content_type,
                         etag=f"{photo.key}-{width}", conditional=True, max_age=0)
    response.headers["Cross-Origin-Resource-Policy"] = "same-site"
    if submission.state is State.PUBLISHED:
        # The bytes at an address never change (a new photo has a new key); only access to them can.
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global("image_url")
def image_url(image: Image, width: int) -> str:
    return images.url(image, width)


@bp.app_template_global("image_srcset")
def image_srcset(image: Image) -> str:
    return images.srcset(image)


@bp.app_template_global("image_default_width")
def image_default_width(image: Image) -> int:
    return images.default_width(image)

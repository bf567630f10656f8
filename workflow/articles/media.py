"""Story images: the routes of the Images panel of the submission page (upload, describe, delete; the panel
itself is built in ``panels``), and the photos as readers (and the desk) fetch them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflow.articles import images
from workflow.articles.models import Image
from workflow.articles.panels import image_form, images_panel, new_upload_form
from workflow.core import limits, storage
from workflow.core.errors import DomainError
from workflow.core.forms import ActionForm
from workflow.core.views import FORM_ERROR_STATUS, attach_error
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.page import detail_context, load_visible
from workflow.submissions.workflow import State

bp = Blueprint("media", __name__)

PUBLIC_MAX_AGE = 7 * 24 * 3600  # a week: long for a cache, short enough that a photo taken down stops circulating


def _load(submission_id: int, image_id: int | None = None) -> tuple[Submission, Image | None]:
    """The submission if this person may see it (404 otherwise, as the submission page does); and one of its
    images. Someone who may see it but not change its photos gets 403."""
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
    context = detail_context(submission, images_panel=images_panel(submission, **panel))
    return render_template("submissions/detail.html", **context), status


def _back(submission: Submission):
    return redirect(url_for("submissions.detail", submission_id=submission.id) + "#images", 303)


@bp.post("/submissions/<int:submission_id>/images")
@login_required
def upload(submission_id: int):
    submission, _none = _load(submission_id)
    form = new_upload_form(submitted=True)
    file = form.image.data
    valid = form.validate()
    if not file or not file.filename:
        form.image.errors = [*form.image.errors, _("Choose the photo to upload.")]
        return _again(submission, FORM_ERROR_STATUS, upload_form=form)
    if not valid:  # a browser never keeps a chosen file across pages: say so next to the field
        form.image.errors = [*form.image.errors, _("Choose the photo again once the rest is right.")]
        return _again(submission, FORM_ERROR_STATUS, upload_form=form)
    over = limits.photo_upload_wait(current_user.id)
    if over is not None:
        wait, reached = over
        form.image.errors = [*form.image.errors, _(
            "You have uploaded %(reached)s: the desk takes the next one in %(wait)s. Your description, caption and "
            "credit are kept here; choose the photo again then.", reached=reached, wait=_how_long(wait))]
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
    flash(_("Photo added. It is being prepared for the page, which takes a moment; paste its line into the draft "
            "to place it in the text."), "success")
    return _back(submission)


def _how_long(seconds: int) -> str:
    minutes = -(-seconds // 60)
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    hours = -(-minutes // 60)
    return ngettext("%(num)d hour", "%(num)d hours", hours)


@bp.post("/submissions/<int:submission_id>/images/<int:image_id>")
@login_required
def edit(submission_id: int, image_id: int):
    submission, image = _load(submission_id, image_id)
    form = image_form(image, submitted=True)
    if form.validate():
        try:
            images.update_image(current_user, image, form.alt.data, form.caption.data or "", form.credit.data or "")
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Photo details saved."), "success")
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
        flash(_("Photo deleted. The text still places it: remove the line %(line)s from the draft.", line=snippet),
              "info")
    else:
        flash(_("Photo deleted."), "info")
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


bp.add_app_template_global(images.problem_text, "photo_problem")


@bp.app_template_global("image_url")
def image_url(image: Image, width: int) -> str:
    return images.url(image, width)


@bp.app_template_global("image_srcset")
def image_srcset(image: Image) -> str:
    return images.srcset(image)


@bp.app_template_global("image_default_width")
def image_default_width(image: Image) -> int:
    return images.default_width(image)

"""The editor's panel on the submission page: how the story's page looks, and when it is published."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from workflow.articles import editorial
from workflow.articles import images as image_files
from workflow.articles import services as articles
from workflow.articles.forms import PageForm, ScheduleForm, UnscheduleForm
from workflow.articles.models import Image, ImageStatus
from workflow.core.errors import Conflict, DomainError
from workflow.core.views import FORM_ERROR_STATUS, attach_error, staff_required
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

bp = Blueprint("editorial", __name__)


def publication_panel(submission: Submission, page_form: PageForm | None = None,
                      schedule_form: ScheduleForm | None = None, photos: list[Image] | None = None) -> dict | None:
    """The forms of the panel, for the desk, once the story is commissioned; None otherwise. ``photos``: the
    story's images, when the caller has read them already."""
    if not current_user.is_staff or submission.state not in editorial.EDITABLE_STATES:
        return None
    if page_form is None:
        page_form = PageForm(formdata=None, version=submission.version, section_id=submission.section_id,
                             top_image_id=submission.top_image_id, seo_description=submission.seo_description,
                             tags=", ".join(tag.name for tag in submission.tags))
    _choices(page_form, submission, photos)
    return {
        "page_form": page_form,
        "schedule_form": schedule_form or ScheduleForm(formdata=None, version=submission.version),
        "unschedule_form": UnscheduleForm(formdata=None, version=submission.version),
        "can_schedule": submission.state is State.EDITED,
    }


def _choices(form: PageForm, submission: Submission, photos: list[Image] | None = None) -> None:
    form.section_id.choices = [SelectChoice("", "No section")] + [
        SelectChoice(section.id, section.name) for section in articles.sections()]
    images = photos if photos is not None else image_files.images_of(submission)
    form.top_image_id.choices = [SelectChoice("", "No top image")] + [
        SelectChoice(image.id, (image.alt or image.caption[:60] or image.filename or f"Image {image.id}")
                     + (" (could not be prepared)" if image.status is ImageStatus.FAILED else ""))
        for image in images]


def _back(submission: Submission):
    return redirect(url_for("submissions.detail", submission_id=submission.id) + "#publication", 303)


def _again(submission: Submission, status: int, **forms):
    from workflow.submissions.views import detail_context

    context = detail_context(submission)
    panel = publication_panel(submission, **forms)
    context["publication"] = panel
    if panel is None:  # the story left the states the panel shows in: say why at the top of the page
        form = next(iter(forms.values()))
        context["refusals"] = [*context["refusals"], *form.form_errors,
                               *(message for field in form for message in field.errors)]
    return render_template("submissions/detail.html", **context), status


def _seen(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1


@bp.post("/submissions/<int:submission_id>/page")
@staff_required
def page(submission_id: int):
    from workflow.submissions.views import conflict_page, load_visible

    submission = load_visible(submission_id)
    form = PageForm()
    _choices(form, submission)
    if form.validate_on_submit():
        try:
            editorial.update_page(current_user, submission, editorial.PageSettings(
                section_id=form.section_id.data, tags=form.tags.data or "",
                seo_description=form.seo_description.data or "", top_image_id=form.top_image_id.data),
                seen_version=_seen(form))
        except Conflict as conflict:
            return conflict_page(conflict)
        except DomainError as error:
            attach_error(form, error)
            return _again(submission, error.status_code, page_form=form)
        flash("The story's page is set.", "success")
        return _back(submission)
    return _again(submission, FORM_ERROR_STATUS, page_form=form)


@bp.post("/submissions/<int:submission_id>/schedule")
@staff_required
def schedule(submission_id: int):
    from workflow.submissions.views import conflict_page, load_visible

    submission = load_visible(submission_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        at = form.publish_at.data.replace(tzinfo=UTC)
        try:
            editorial.schedule(current_user, submission, at, seen_version=_seen(form))
        except Conflict as conflict:
            return conflict_page(conflict)
        except DomainError as error:
            attach_error(form, error)
            return _again(submission, error.status_code, schedule_form=form)
        flash(f"Scheduled: it will be published on {at.strftime('%d %b %Y at %H:%M')} UTC.", "success")
        return _back(submission)
    return _again(submission, FORM_ERROR_STATUS, schedule_form=form)


@bp.post("/submissions/<int:submission_id>/schedule/cancel")
@staff_required
def unschedule(submission_id: int):
    from workflow.submissions.views import conflict_page, load_visible

    submission = load_visible(submission_id)
    form = UnscheduleForm()
    if form.validate_on_submit():
        try:
            editorial.unschedule(current_user, submission, seen_version=_seen(form))
        except Conflict as conflict:
            return conflict_page(conflict)
        except DomainError as error:
            flash(error.message, "error")
            return _back(submission)
        flash("The scheduled publication is cancelled.", "info")
    return _back(submission)

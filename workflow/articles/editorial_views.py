"""The routes of the "Publication" panel of the submission page: how the story's page looks, and when it is
published (the panel itself is built in ``panels``); and, for the templates, a story's language and translation
(the page settings that say them are set here)."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.articles import editorial
from workflow.articles.forms import PageForm, ScheduleForm, UnscheduleForm
from workflow.articles.panels import page_form_choices, publication_panel
from workflow.core.errors import Conflict, DomainError
from workflow.core.numbers import whole_number
from workflow.core.views import FORM_ERROR_STATUS, attach_error, staff_required
from workflow.submissions.models import Submission
from workflow.submissions.page import conflict_page, detail_context, error_messages, load_visible

bp = Blueprint("editorial", __name__)


@bp.app_template_global()
def story_language(story: Submission) -> editorial.StoryLanguageView:
    """The language a story is written in and its translation: the article page sets its ``lang`` and ``dir``
    and links to the translation with them, and the publication panel shows them. Looked up once a request:
    the page asks in its head and in its body."""
    known = g.setdefault("story_languages", {})
    if story.id not in known:
        known[story.id] = editorial.language_of(story)
    return known[story.id]


def _back(submission: Submission):
    return redirect(url_for("submissions.detail", submission_id=submission.id) + "#publication", 303)


def _again(submission: Submission, status: int, **forms):
    panel = publication_panel(submission, **forms)
    context = detail_context(submission, publication=panel)
    if panel is None:  # the story left the states the panel shows in: say why at the top of the page
        context["refusals"] = [*context["refusals"], *error_messages(next(iter(forms.values())))]
    return render_template("submissions/detail.html", **context), status


def _seen(form) -> int:
    seen = whole_number(form.version.data)
    return -1 if seen is None else seen


@bp.post("/submissions/<int:submission_id>/page")
@staff_required
def page(submission_id: int):
    submission = load_visible(submission_id)
    form = PageForm()
    page_form_choices(form, submission)
    if form.validate_on_submit():
        try:
            editorial.update_page(current_user, submission, editorial.PageSettings(
                section_id=form.section_id.data, tags=form.tags.data or "",
                seo_description=form.seo_description.data or "", top_image_id=form.top_image_id.data,
                language=form.language.data or None, translation=form.translation.data or ""),
                seen_version=_seen(form))
        except Conflict as conflict:
            return conflict_page(conflict)
        except DomainError as error:
            attach_error(form, error)
            return _again(submission, error.status_code, page_form=form)
        flash(_("The story's page is set."), "success")
        return _back(submission)
    return _again(submission, FORM_ERROR_STATUS, page_form=form)


@bp.post("/submissions/<int:submission_id>/schedule")
@staff_required
def schedule(submission_id: int):
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
        flash(_("Scheduled: it will be published on %(when)s UTC.", when=at.strftime("%d %b %Y at %H:%M")),
              "success")
        return _back(submission)
    return _again(submission, FORM_ERROR_STATUS, schedule_form=form)


@bp.post("/submissions/<int:submission_id>/schedule/cancel")
@staff_required
def unschedule(submission_id: int):
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
        flash(_("The scheduled publication is cancelled."), "info")
    return _back(submission)

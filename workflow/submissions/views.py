"""Pitches, the contributor's dashboard, the submission page, drafts, messages and the editor queue."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from workflow.auth import second_factor
from workflow.core import limits, metadata, storage
from workflow.core.errors import Conflict, DomainError
from workflow.core.forms import ActionForm
from workflow.core.numbers import record_id, whole_number
from workflow.core.views import FORM_ERROR_STATUS, attach_error, render_form, staff_required
from workflow.extensions import db
from workflow.submissions import activity, permissions, services
from workflow.submissions import desk_metrics as metrics
from workflow.submissions.diff import diff_revisions
from workflow.submissions.forms import DraftForm, MessageForm, PitchForm, SavedViewForm, TransitionForm
from workflow.submissions.models import Attachment, Revision, RevisionKind, SavedView, Submission
from workflow.submissions.page import conflict_page, detail_context, load_visible
from workflow.submissions.queue import ASSIGNEES, SORTS, QueueFilters, queue_page, response_promise
from workflow.submissions.workflow import DONE_BY_YOU, State, find_transition

bp = Blueprint("submissions", __name__)
bp.add_app_template_global(activity.sentence, "last_activity")


@bp.route("/dashboard")
@login_required
def dashboard():
    submissions = db.session.scalars(
        sa.select(Submission).where(Submission.contributor_id == current_user.id)
        .options(joinedload(Submission.editor), joinedload(Submission.last_activity_by))
        .order_by(Submission.last_activity_at.desc(), Submission.id.desc())
    ).all()
    return render_template("submissions/dashboard.html", submissions=submissions, resend_form=ActionForm(),
                           promise=response_promise(), offer_second_step=second_factor.offer_second_step(current_user))


@bp.route("/pitch", methods=["GET", "POST"])
@login_required
@limits.pitch
def pitch():
    form = PitchForm()
    form.attachments.description = " ".join((
        _("%(types)s, up to %(size)s each.", types=storage.ACCEPTED_SHORT, size=storage.upload_limit()),
        str(metadata.REMOVED_NOTICE)))
    files_sent = False
    if form.is_submitted():
        valid = form.validate()
        files = [(f.filename or "attachment", f.read()) for f in form.attachments.data or [] if f and f.filename]
        files_sent = bool(files)
        if not valid:
            try:  # say what is wrong with the files now, not after the other fields are fixed
                services.check_attachments(files)
            except DomainError as error:
                attach_error(form, error)
        else:
            try:
                submission = services.submit_pitch(current_user, services.PitchInput(
                    headline=form.headline.data, summary=form.summary.data, angle=form.angle.data,
                    sources=form.sources.data, proposed_words=form.proposed_words.data,
                    proposed_deadline=form.proposed_deadline.data, experience=form.experience.data or "",
                    files=files,
                ))
            except DomainError as error:
                attach_error(form, error)
            else:
                flash(_("Thank you. Your pitch is with the desk; we will write to you."), "success")
                return redirect(url_for("submissions.detail", submission_id=submission.id), 303)
    return render_form("submissions/pitch.html", form, needs_confirmation=not current_user.is_confirmed,
                       files_sent=files_sent, resend_form=ActionForm(formdata=None))


@bp.route("/submissions/<int:submission_id>")
@login_required
def detail(submission_id):
    submission = load_visible(submission_id)
    return render_template("submissions/detail.html", **detail_context(submission))


@bp.post("/submissions/<int:submission_id>/transition")
@login_required
def transition(submission_id):
    submission = load_visible(submission_id)
    form = TransitionForm()
    form.editor_id.choices = [SelectChoice(e.id, e.display_name) for e in services.active_editors()]
    if form.validate_on_submit():
        seen = whole_number(form.version.data)
        if seen is None:
            abort(400)
        try:
            rule = find_transition(submission.state, form.action.data)
            services.transition(current_user, submission, services.TransitionInput(
                action=form.action.data, seen_version=seen, comment=form.comment.data or "",
                editor_id=form.editor_id.data, deadline=form.deadline.data,
                assigned_words=form.assigned_words.data, fee=form.fee.data,
            ))
        except Conflict as conflict:
            return conflict_page(conflict)
        except DomainError as error:
            attach_error(form, error)
            return render_template("submissions/detail.html",
                                   **detail_context(submission, transition_form=form)), error.status_code
        flash(str(DONE_BY_YOU[rule.done]) % {"state": str(rule.target.title).lower()}, "success")
        return redirect(url_for("submissions.detail", submission_id=submission.id), 303)
    return render_template("submissions/detail.html",
                           **detail_context(submission, transition_form=form)), FORM_ERROR_STATUS


@bp.route("/submissions/<int:submission_id>/draft", methods=["GET", "POST"])
@login_required
def draft(submission_id):
    submission = load_visible(submission_id)
    if not permissions.can_write_draft(current_user, submission):
        abort(403)
    latest = services.latest_revision(submission)
    if request.method == "GET":
        source = latest or submission
        form = DraftForm(formdata=None, version=submission.version,
                         headline=latest.headline if latest else submission.headline,
                         dek=latest.dek if latest else submission.summary,
                         body=source.body if latest else "")
        return render_template("submissions/draft.html", form=form, submission=submission, latest=latest)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            seen = whole_number(form.version.data) if form.version.data else None
            if form.version.data and seen is None:
                raise ValueError("not a version")  # as any other page that could not be read: reload it
            revision = services.save_draft(current_user, submission, form.headline.data, form.dek.data,
                                           form.body.data, form.note.data or "", seen_version=seen)
        except Conflict as conflict:
            return conflict_page(conflict, unsaved=form)  # what they wrote, to copy into the current draft
        except (DomainError, ValueError) as error:
            attach_error(form, error if isinstance(error, DomainError) else DomainError(_("Reload the page.")))
        else:
            flash(_("Saved as revision %(number)s.", number=revision.number), "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id) + "#draft", 303)
    return render_form("submissions/draft.html", form, submission=submission, latest=latest)


@bp.route("/submissions/<int:submission_id>/revisions/<int:number>")
@login_required
def revision(submission_id, number):
    submission = load_visible(submission_id)
    rev = db.session.scalar(sa.select(Revision).where(Revision.submission_id == submission.id,
                                                      Revision.number == number))
    if rev is None:
        abort(404)
    return render_template("submissions/revision.html", submission=submission, revision=rev)


@bp.route("/submissions/<int:submission_id>/diff")
@login_required
def diff(submission_id):
    """Compare two revisions; by default the editor's latest edit against the contributor's last draft."""
    submission = load_visible(submission_id)
    revisions = db.session.scalars(
        sa.select(Revision).where(Revision.submission_id == submission.id)
        .options(joinedload(Revision.author)).order_by(Revision.number)
    ).all()
    if len(revisions) < 2:
        return render_template("submissions/diff.html", submission=submission, revisions=revisions,
                               old=None, new=None, rows=[])
    by_number = {r.number: r for r in revisions}
    old_number = request.args.get("from", type=record_id)
    new_number = request.args.get("to", type=record_id)
    if old_number is None or new_number is None:
        editors = [r for r in revisions if r.kind is RevisionKind.EDITOR]
        contributors = [r for r in revisions if r.kind is RevisionKind.CONTRIBUTOR]
        new = editors[-1] if editors else revisions[-1]
        earlier_drafts = [r for r in contributors if r.number < new.number]
        if earlier_drafts:
            old = earlier_drafts[-1]
        else:  # no draft before the latest edit (the editor wrote first): the two latest revisions, in order
            old, new = revisions[-2], revisions[-1]
    else:
        old, new = by_number.get(old_number), by_number.get(new_number)
        if old is None or new is None:
            abort(404)
    return render_template("submissions/diff.html", submission=submission, revisions=revisions, old=old,
                           new=new, rows=diff_revisions(old, new))


@bp.post("/submissions/<int:submission_id>/messages")
@login_required
def post_message(submission_id):
    submission = load_visible(submission_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            services.post_message(current_user, submission, form.body.data,
                                  internal=bool(form.internal.data) and current_user.is_staff)
        except DomainError as error:
            attach_error(form, error)
            return render_template("submissions/detail.html",
                                   **detail_context(submission, message_form=form)), error.status_code
        flash(_("Internal note added.") if form.internal.data and current_user.is_staff else _("Message sent."),
              "success")
        return redirect(url_for("submissions.detail", submission_id=submission.id) + "#conversation", 303)
    return render_template("submissions/detail.html",
                           **detail_context(submission, message_form=form)), FORM_ERROR_STATUS


@bp.route("/submissions/<int:submission_id>/attachments/<int:attachment_id>")
@login_required
def attachment(submission_id, attachment_id):
    submission = load_visible(submission_id)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.submission_id != submission.id:
        abort(404)
    try:
        content = storage.read(item.storage_key)
    except FileNotFoundError:
        abort(404)
    response = send_file(io.BytesIO(content), mimetype=item.content_type, as_attachment=True,
                         download_name=storage.safe_filename(item.filename, item.content_type), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/queue")
@staff_required
def queue():
    filters = QueueFilters.from_args(request.args)
    page = queue_page(filters, current_user, after=request.args.get("after"), before=request.args.get("before"),
                      page_size=_page_size())
    views = db.session.scalars(sa.select(SavedView).where(SavedView.user_id == current_user.id)
                               .order_by(SavedView.name)).all()
    return render_template("queue/queue.html", page=page, filters=filters, states=list(State), sorts=SORTS,
                           assignees=ASSIGNEES, views=views,
                           view_form=SavedViewForm(formdata=None, query=filters.query_string()),
                           delete_form=ActionForm())


@bp.get("/desk/metrics")
@staff_required
def desk_metrics():
    """The desk's figures for a period the editor picks; a period not offered shows the default, and says so."""
    asked = request.args.get("weeks", "")
    weeks = whole_number(asked) if whole_number(asked) in metrics.PERIODS else None
    error = None if weeks or not asked else _(
        "“%(asked)s” is not a period this page offers: choose %(periods)s. Showing the last %(default)s.",
        # Translators: what separates the items of a list ("4 weeks, 12 weeks")
        asked=asked, periods=_(", ").join(str(label) for label in metrics.periods().values()),
        default=metrics.periods()[metrics.DEFAULT_WEEKS])
    figures = metrics.current(weeks or metrics.DEFAULT_WEEKS)
    return render_template("queue/metrics.html", m=figures, periods=metrics.periods(), error=error,
                           duration=metrics.readable_duration), 400 if error else 200


def _page_size() -> int:
    return current_app.config["QUEUE_PAGE_SIZE"]


@bp.post("/queue/views")
@staff_required
def save_view():
    form = SavedViewForm()
    query = QueueFilters.canonical(form.query.data or "")
    if form.validate_on_submit():
        view = services.save_view(current_user, form.name.data, query)
        flash(_("Saved the view “%(name)s”.", name=view.name), "success")
        return redirect(url_for("submissions.queue") + ("?" + view.query if view.query else ""), 303)
    flash(" ".join(str(error) for error in form.name.errors) or _("The view could not be saved."), "error")
    return redirect(url_for("submissions.queue") + ("?" + query if query else ""), 303)


@bp.post("/queue/views/<int:view_id>/delete")
@staff_required
def delete_view(view_id):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.delete_view(current_user, view_id)
        except DomainError:
            abort(404)
        flash(_("View deleted."), "info")
    return redirect(url_for("submissions.queue"), 303)

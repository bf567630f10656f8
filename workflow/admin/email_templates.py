"""The wording of each email, for the desk: the list, the edit page with its preview, and the reset.

Editors change the wording of the workflow's emails; the account and security emails only admins
(:func:`workflow.notifications.editing.can_edit_wording`). Registered on the ``admin`` blueprint.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from workflow.admin import bp
from workflow.core.forms import ActionForm
from workflow.core.security import allow_inline_styles
from workflow.core.views import render_form, staff_required
from workflow.notifications import editing, email_files, wording
from workflow.notifications.events import EVENTS, Event

SUBJECT_HINT = ("One line, at most 300 characters. A name in double braces is filled in for each email, "
                "for example {{ headline }}.")
BLOCK_FIELDS = {
    "lead": ("Opening paragraph", "The first paragraph, after the greeting (“Dear …,”)."),
    "quote": ("Quoted text", "Shown as a quotation, for example the editor's own words. When it comes out empty, "
                             "no quotation is shown."),
    "action_label": ("Button label", "The words on the button. Where the button leads is made by the desk for "
                                     "each email and cannot be changed here."),
    "next": ("Closing paragraph", "The last paragraph, before the desk's signature."),
}


def wording_form(current: wording.Wording) -> FlaskForm:
    """A form with the subject and the blocks this event's email has, filled with its current wording."""

    class WordingForm(FlaskForm):
        subject = StringField("Subject", description=SUBJECT_HINT)

    for name in current.blocks:
        label, hint = BLOCK_FIELDS[name]
        setattr(WordingForm, name, TextAreaField(label, description=hint,
                                                 render_kw={"rows": 2 if name == "action_label" else 5}))
    return WordingForm(data={"subject": current.subject, **current.blocks})


def _editable_event(event: str) -> Event:
    """The event, if it has an email file (404) and the signed-in person may change its wording (403)."""
    if event not in EVENTS or not email_files.has_file(event):
        abort(404)
    if not editing.can_edit_wording(current_user, event):
        abort(403)
    return EVENTS[event]


@bp.route("/emails")
@staff_required
def email_templates():
    events = [EVENTS[name] for name in email_files.editable_events()]
    return render_template("admin/email_templates.html", events=events, customised=wording.customisations(),
                           subjects={e.name: wording.wording_for(e.name).subject for e in events},
                           editable={e.name for e in events if editing.can_edit_wording(current_user, e.name)})


@bp.route("/emails/<event>", methods=["GET", "POST"])
@staff_required
def email_template(event: str):
    """Edit one email's wording. "Preview" renders it with sample values and saves nothing; "Save" uses it."""
    spec = _editable_event(event)
    allow_inline_styles()  # the preview frame shows the email's own HTML, styled inline as mail needs
    current = wording.wording_for(event)
    form = wording_form(current)
    shown = None
    if form.validate_on_submit():
        subject, blocks = form.subject.data, {name: form[name].data for name in current.blocks}
        try:
            if request.form.get("action") == "save":
                editing.save_wording(current_user, event, subject, blocks)
                flash(f"The wording of “{event}” is saved: the next emails use it.", "success")
                return redirect(url_for("admin.email_template", event=event), 303)
            shown = editing.preview(event, subject, blocks)
        except editing.WordingInvalid as error:
            for name, messages in error.errors.items():
                form[name].errors = [*form[name].errors, *messages]
    return render_form("admin/email_template.html", form, spec=spec, current=current, preview=shown,
                       row=wording.customisations().get(event), names=editing.context_names(event),
                       blocks=BLOCK_FIELDS, fixed=wording.fixed_blocks(event))


@bp.route("/emails/<event>/reset", methods=["GET", "POST"])
@staff_required
def reset_email_template(event: str):
    """Ask first (GET), then go back to the default wording (POST)."""
    spec = _editable_event(event)
    form = ActionForm()
    if form.validate_on_submit():
        if editing.reset_wording(current_user, event):
            flash(f"“{event}” uses the default wording again.", "success")
        else:
            flash(f"“{event}” already used the default wording.", "info")
        return redirect(url_for("admin.email_template", event=event), 303)
    return render_template("admin/email_template_reset.html", spec=spec, form=form,
                           current=wording.wording_for(event), default=wording.default_wording(event),
                           row=wording.customisations().get(event), blocks=BLOCK_FIELDS)

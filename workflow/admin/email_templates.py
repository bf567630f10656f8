"""The wording of each email, for the desk: the list, the edit page with its preview, and the reset, each for
one language (``?language=ar``; the default language's without it). The list says, for each email, in which
languages it has no wording of its own: their readers get the default language's.

Editors change the wording of the workflow's emails; the account and security emails only admins
(:func:`workflow.notifications.editing.can_edit_wording`). Registered on the ``admin`` blueprint.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from workflow.admin import bp
from workflow.core.forms import ActionForm
from workflow.core.i18n import LANGUAGES, desk_language, languages_desk_first
from workflow.core.security import allow_inline_styles
from workflow.core.views import asked_language, language_query, render_form, staff_required
from workflow.notifications import editing, email_files, wording
from workflow.notifications.events import EVENTS, Event

SUBJECT_HINT = _l("One line, at most 300 characters. A name in double braces is filled in for each email, "
                  "for example {{ headline }}.")
BLOCK_FIELDS = {
    "lead": (_l("Opening paragraph"), _l("The first paragraph, after the greeting (“Dear …,”).")),
    "quote": (_l("Quoted text"), _l("Shown as a quotation, for example the editor's own words. When it comes out "
                                    "empty, no quotation is shown.")),
    "action_label": (_l("Button label"), _l("The words on the button. Where the button leads is made by the desk "
                                            "for each email and cannot be changed here.")),
    "next": (_l("Closing paragraph"), _l("The last paragraph, before the desk's signature.")),
}


def wording_form(current: wording.Wording) -> FlaskForm:
    """A form with the subject and the blocks this event's email has, filled with its current wording."""

    class WordingForm(FlaskForm):
        subject = StringField(_l("Subject"), description=SUBJECT_HINT)

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


def _language_links(event: str, endpoint: str, chosen: str) -> list[dict]:
    return [{"code": code, "name": LANGUAGES[code].name, "current": code == chosen,
             "url": url_for(endpoint, event=event, language=code)} for code in languages_desk_first()]


@bp.route("/emails")
@staff_required
def email_templates():
    events = [EVENTS[name] for name in email_files.editable_events()]
    default = desk_language()
    rows = {code: wording.customisations(code) for code in languages_desk_first()}
    return render_template("admin/email_templates.html", events=events, customised=rows[default],
                           subjects={e.name: wording.wording_for(e.name, default).subject for e in events},
                           editable={e.name for e in events if editing.can_edit_wording(current_user, e.name)},
                           languages=[LANGUAGES[code] for code in languages_desk_first()], rows=rows,
                           missing={e.name: wording.missing_languages(e.name) for e in events},
                           default_language=LANGUAGES[default])


@bp.route("/emails/<event>", methods=["GET", "POST"])
@staff_required
def email_template(event: str):
    """Edit one email's wording. "Preview" renders it with sample values and saves nothing; "Save" uses it."""
    spec = _editable_event(event)
    language = asked_language()
    allow_inline_styles()  # the preview frame shows the email's own HTML, styled inline as mail needs
    current = wording.wording_for(event, language)
    form = wording_form(current)
    shown = None
    if form.validate_on_submit():
        subject, blocks = form.subject.data, {name: form[name].data for name in current.blocks}
        try:
            if request.form.get("action") == "save":
                editing.save_wording(current_user, event, subject, blocks, language)
                flash(_("The wording of “%(event)s” is saved: the next emails use it.", event=event), "success")
                return redirect(_here("admin.email_template", event, language), 303)
            shown = editing.preview(event, subject, blocks, language)
        except editing.WordingInvalid as error:
            for name, messages in error.errors.items():
                form[name].errors = [*form[name].errors, *messages]
    return render_form("admin/email_template.html", form, spec=spec, current=current, preview=shown,
                       row=wording.customisations(language).get(event), names=editing.context_names(event),
                       blocks=BLOCK_FIELDS, fixed=wording.fixed_blocks(event), language=LANGUAGES[language],
                       wording_links=_language_links(event, "admin.email_template", language),
                       default_language=LANGUAGES[desk_language()],
                       query=language_query(language))


def _here(endpoint: str, event: str, language: str) -> str:
    """The page of this email in this language (the desk's own language's address has no ``?language=``)."""
    return url_for(endpoint, event=event, **language_query(language))


@bp.route("/emails/<event>/reset", methods=["GET", "POST"])
@staff_required
def reset_email_template(event: str):
    """Ask first (GET), then go back to the default wording (POST)."""
    spec = _editable_event(event)
    language = asked_language()
    form = ActionForm()
    if form.validate_on_submit():
        if editing.reset_wording(current_user, event, language):
            flash(_("“%(event)s” uses the default wording again.", event=event), "success")
        else:
            flash(_("“%(event)s” already used the default wording.", event=event), "info")
        return redirect(_here("admin.email_template", event, language), 303)
    return render_template("admin/email_template_reset.html", spec=spec, form=form,
                           current=wording.wording_for(event, language),
                           default=wording.default_wording(event, language),
                           row=wording.customisations(language).get(event), blocks=BLOCK_FIELDS,
                           language=LANGUAGES[language],
                           query=language_query(language))

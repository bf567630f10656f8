"""The site's sections, for admins: the list with a form to add one, the edit page, and deletion after a page
that says how many stories the section holds (they stay, with no section). Registered on the ``admin``
blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from workflow.admin import bp
from workflow.articles import services
from workflow.articles.models import Section
from workflow.core.errors import DomainError
from workflow.core.forms import ActionForm
from workflow.core.views import FORM_ERROR_STATUS, admin_required, attach_error
from workflow.extensions import db


class SectionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(_l("Give the section a name.")),
        Length(max=services.SECTION_NAME_LENGTH, message=_l("At most %(max)d characters."))],  # WTForms fills max
        description=_l("As readers see it in the navigation, for example “Analysis”. Each section has its own name."),
        render_kw={"dir": "auto"})
    description = TextAreaField(_l("Description"), validators=[Length(max=300, message=_l("At most 300 characters."))],
                                description=_l("One or two sentences under the section's title, also shown by "
                                               "search engines. Optional."), render_kw={"rows": 3, "dir": "auto"})
    position = IntegerField(_l("Position in the navigation"), default=0,
                            validators=[InputRequired(_l("Give a whole number, for example 10.")),
                                        NumberRange(min=0, max=9999, message=_l("A whole number from 0 to 9999."))],
                            description=_l("Sections are listed by this number, smallest first (then by name)."),
                            render_kw={"inputmode": "numeric"})

    def data_in(self) -> services.SectionInput:
        return services.SectionInput(name=self.name.data or "", description=self.description.data or "",
                                     position=self.position.data or 0)


def _section(section_id: int) -> Section:
    return db.session.get(Section, section_id) or abort(404)


def _list(form: SectionForm, status: int = 200):
    return render_template("admin/sections.html", sections=services.sections(), form=form,
                           counts=services.stories_per_section()), status


@bp.route("/sections", methods=["GET", "POST"])
@admin_required
def sections():
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = services.create_section(current_user, form.data_in())
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("The section “%(name)s” is added, at %(address)s.", name=section.name,
                    address=url_for("articles.section", slug=section.slug)), "success")
            return redirect(url_for("admin.sections"), 303)
    return _list(form, FORM_ERROR_STATUS if form.is_submitted() else 200)


@bp.route("/sections/<int:section_id>", methods=["GET", "POST"])
@admin_required
def section(section_id: int):
    found = _section(section_id)
    form = SectionForm(obj=found)
    if form.validate_on_submit():
        try:
            services.update_section(current_user, found, form.data_in())
        except DomainError as error:
            attach_error(form, error)
            db.session.rollback()  # the page shows the section as it is stored, with the typed values in the form
            found = _section(section_id)
        else:
            flash(_("The section “%(name)s” is saved.", name=found.name), "success")
            return redirect(url_for("admin.sections"), 303)
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("admin/section.html", section=found, form=form,
                           count=services.stories_in_section(found)), status


@bp.route("/sections/<int:section_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_section(section_id: int):
    """Ask first (GET, with how many stories the section holds), then delete (POST)."""
    found = _section(section_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = found.name
        moved = services.delete_section(current_user, found)
        flash(ngettext("The section “%(name)s” is deleted. Its %(num)d story has no section now.",
                       "The section “%(name)s” is deleted. Its %(num)d stories have no section now.", moved, name=name)
              if moved else _("The section “%(name)s” is deleted.", name=name), "success")
        return redirect(url_for("admin.sections"), 303)
    return render_template("admin/section_delete.html", section=found, form=form,
                           count=services.stories_in_section(found))

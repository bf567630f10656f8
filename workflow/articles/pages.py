"""The outlet's own pages that admins write (the contributor guidelines), in Markdown like the stories: the public
page, in the reader's language, and the admins' edit page, one language at a time (``?language=ar``; the default
language's without it). What each language's readers get is chosen in ``outlet_pages``."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from workflow.articles import outlet_pages
from workflow.articles.rendering import markdown_to_html
from workflow.core import i18n
from workflow.core.views import admin_required, asked_language, language_query, render_form

bp = Blueprint("pages", __name__)


class OutletPageForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the page a title.")),
                                                 Length(max=200, message=_l("At most 200 characters."))])
    body = TextAreaField(_l("Text (Markdown)"), validators=[
        DataRequired(_l("The page is empty.")), Length(max=50000, message=_l("At most 50,000 characters."))],
        description=_l("Headings with ##, lists with -, links as [text](https://…)."))


def retention_periods() -> dict[str, int]:
    """How long the desk keeps what expires, in days, as configured (workflow/privacy/expiry.py applies them)."""
    config = current_app.config
    return {"pitches": config["RETENTION_DAYS"], "replies": config["LEDGER_REPLY_DAYS"],
            "notifications": config["READ_NOTIFICATION_DAYS"]}


@bp.route("/guidelines")
def guidelines():
    language = i18n.current_language()
    rows = outlet_pages.saved_rows("guidelines")
    page = outlet_pages.page_text("guidelines", language, rows)
    # Stated below the admins' text, from the configuration, so that the page never promises other periods than
    # the ones the desk applies.
    periods = retention_periods()
    response = make_response(render_template(
        "pages/page.html", page=page, body=markdown_to_html(page.body), show_pitch=True, retention=periods,
        languages=_language_links("guidelines", rows) if _is_admin() else None))
    # The version: the text shown (its save, or the default), every language's save (an admin's links say which
    # languages are written), the periods, and the reader's language (the page is framed in it).
    saves = ",".join(f"{code}@{row.updated_at.isoformat()}" for code, row in sorted(rows.items()))
    stamp = page.updated_at.isoformat() if page.updated_at else "default"
    kept = ":".join(str(days) for days in periods.values())
    response.set_etag(hashlib.sha256(
        f"{page.title}:{page.language}:{stamp}:{len(page.body)}:{saves}:{kept}:{language}".encode()).hexdigest()[:32])
    if rows:
        response.last_modified = max(row.updated_at for row in rows.values())
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.is_admin


def _edit_url(slug: str, language: str) -> str:
    """The edit page of this language (the desk's own language's address has no ``?language=``)."""
    return url_for("pages.edit", slug=slug, **language_query(language))


def _language_links(slug: str, rows: dict, chosen: str | None = None) -> list[dict]:
    """The page's edit page in each language, saying whether the language's readers have a text of their own."""
    return [{"code": state.asked, "name": state.asked_name, "current": state.asked == chosen,
             "url": _edit_url(slug, state.asked), "state": state.state, "shown": state.language}
            for state in outlet_pages.page_states(slug, rows)]


@bp.route("/admin/pages/<slug>", methods=["GET", "POST"])
@admin_required
def edit(slug: str):
    """Edit what readers of one language get of the page, starting from what they get now."""
    if slug not in outlet_pages.DEFAULTS:
        abort(404)
    language = asked_language()
    rows = outlet_pages.saved_rows(slug)
    page = outlet_pages.page_text(slug, language, rows)
    form = OutletPageForm(data={"title": page.title, "body": page.body}) if request.method == "GET" \
        else OutletPageForm()
    if form.validate_on_submit():
        outlet_pages.save_page(current_user, slug, language, form.title.data, form.body.data)
        flash(_("The page is saved and public."), "success")
        return redirect(_edit_url(slug, language), 303)
    return render_form("pages/edit.html", form, page=page, page_name=outlet_pages.DEFAULTS[slug][0],
                       public_url=url_for(f"pages.{slug}"),
                       language=i18n.LANGUAGES[language], text_links=_language_links(slug, rows, language),
                       default_language=i18n.desk_language(), action=_edit_url(slug, language))

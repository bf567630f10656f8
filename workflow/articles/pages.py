"""The outlet's own pages that admins write (the contributor guidelines), in Markdown like the stories."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from workflow.articles.models import Page
from workflow.articles.rendering import markdown_to_html
from workflow.core import i18n
from workflow.core.audit import record as record_admin_action
from workflow.core.views import admin_required, render_form
from workflow.extensions import db

bp = Blueprint("pages", __name__)
log = logging.getLogger(__name__)

# Pages that exist from the start; until an admin edits one, its text comes from the file beside this module, in
# the page's language when there is one ("guidelines.ar.md" beside "guidelines.md").
DEFAULTS = {"guidelines": (_l("Guidelines for contributors"), Path(__file__).with_name("guidelines.md"))}


def default_text(path: Path, language: str) -> str:
    """The default text in ``language`` if it has been written, else the English one."""
    translated = path.with_suffix(f".{language}{path.suffix}")
    if language != i18n.DEFAULT_LANGUAGE and translated.is_file():
        return translated.read_text(encoding="utf-8")
    return path.read_text(encoding="utf-8")


def page_of(slug: str) -> Page:
    """The page as written by an admin, or its default (not stored) in the language of the page."""
    page = db.session.get(Page, slug)
    if page is None:
        title, path = DEFAULTS[slug]
        page = Page(slug=slug, title=str(title), body=default_text(path, i18n.current_language()))
    return page


def save_page(actor, slug: str, title: str, body: str) -> Page:
    page = db.session.get(Page, slug)
    if page is None:
        page = Page(slug=slug)
        db.session.add(page)
    page.title = title.strip()
    page.body = body
    page.updated_by_id = actor.id
    db.session.flush()
    record_admin_action(actor, "edit_page", f"page {slug}")
    log.info("user %s edited the page %s", actor.id, slug)
    return page


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
    page = page_of("guidelines")
    # Stated below the admins' text, from the configuration, so that the page never promises other periods than
    # the ones the desk applies.
    periods = retention_periods()
    response = make_response(render_template("pages/page.html", page=page, body=markdown_to_html(page.body),
                                             show_pitch=True, retention=periods))
    stamp = page.updated_at.isoformat() if page.updated_at else "default"
    kept = ":".join(str(days) for days in periods.values())
    # The language is part of the version: the same text is framed (and its default written) in each language.
    language = i18n.current_language()
    response.set_etag(hashlib.sha256(f"{page.title}:{stamp}:{len(page.body)}:{kept}:{language}".encode())
                      .hexdigest()[:32])
    if page.updated_at:
        response.last_modified = page.updated_at
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.route("/admin/pages/<slug>", methods=["GET", "POST"])
@admin_required
def edit(slug: str):
    if slug not in DEFAULTS:
        abort(404)
    page = page_of(slug)
    form = OutletPageForm(obj=page) if request.method == "GET" else OutletPageForm()
    if form.validate_on_submit():
        save_page(current_user, slug, form.title.data, form.body.data)
        flash(_("The page is saved and public."), "success")
        return redirect(url_for("pages.edit", slug=slug), 303)
    return render_form("pages/edit.html", form, page=page, public_url=url_for(f"pages.{slug}"))

"""The outlet's own pages that admins write (the contributor guidelines), each in every language the desk speaks.

A reader of a language gets the page saved in that language; else the one saved in the default language (a
missing translation falls back to the default language's text, as the emails' wording does); else the default
text shipped beside this module in their language ("guidelines.ar.md" beside "guidelines.md"), else the English
one. :class:`PageText` says which, and in what language the text it holds is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from workflow.articles.models import Page
from workflow.core import i18n
from workflow.core.audit import record as record_admin_action
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.people.models import User

log = logging.getLogger(__name__)

# Pages that exist from the start, with their title and the file their default text comes from.
DEFAULTS = {"guidelines": (_l("Guidelines for contributors"), Path(__file__).with_name("guidelines.md"))}

SAVED, FALLBACK, DEFAULT = "saved", "fallback", "default"


@dataclass(frozen=True)
class PageText:
    """What readers of ``asked`` get of a page: its title and Markdown, written in ``language``.

    ``state`` is ``"saved"`` (an admin saved it in ``asked``), ``"fallback"`` (readers of ``asked`` get the
    default language's saved text: theirs is missing) or ``"default"`` (nothing is saved for them: the default
    text, in ``asked`` if it has been written, else in English). ``row`` is the saved row shown, if any."""

    slug: str
    asked: str
    language: str
    title: str
    body: str
    state: str
    row: Page | None = None

    @property
    def direction(self) -> str:
        return i18n.direction(self.language)

    @property
    def asked_name(self) -> str:
        """The name of the readers' language, in itself (as the language switcher names it)."""
        return i18n.LANGUAGES[self.asked].name

    @property
    def updated_at(self) -> datetime | None:
        return self.row.updated_at if self.row else None

    @property
    def updated_by(self) -> User | None:
        return self.row.updated_by if self.row else None


def saved_rows(slug: str) -> dict[str, Page]:
    """The page as saved by admins, by language (one query: a page of the desk lists every language's state)."""
    rows = db.session.scalars(sa.select(Page).where(Page.slug == slug).options(joinedload(Page.updated_by)))
    return {row.language: row for row in rows}


def default_text(slug: str, language: str) -> PageText:
    """The page's default text for readers of ``language``: its file in that language if one has been written,
    else the English one; titled in the language of the text."""
    title, path = DEFAULTS[slug]
    translated = path.with_suffix(f".{language}{path.suffix}")
    written = language if language != i18n.DEFAULT_LANGUAGE and translated.is_file() else i18n.DEFAULT_LANGUAGE
    with force_locale(written):
        title = str(title)
    body = (translated if written != i18n.DEFAULT_LANGUAGE else path).read_text(encoding="utf-8")
    return PageText(slug, language, written, title, body, DEFAULT)


def page_text(slug: str, language: str, rows: dict[str, Page] | None = None) -> PageText:
    """What readers of ``language`` get of the page now (``rows``: :func:`saved_rows`, when already read)."""
    rows = saved_rows(slug) if rows is None else rows
    if language in rows:
        row = rows[language]
        return PageText(slug, language, language, row.title, row.body, SAVED, row)
    fallback = rows.get(i18n.desk_language())
    if fallback is not None:
        return PageText(slug, language, fallback.language, fallback.title, fallback.body, FALLBACK, fallback)
    return default_text(slug, language)


def page_states(slug: str, rows: dict[str, Page] | None = None) -> list[PageText]:
    """The page as each language's readers get it, the default language first: where it is written or missing."""
    rows = saved_rows(slug) if rows is None else rows
    return [page_text(slug, code, rows) for code in i18n.languages_desk_first()]


def save_page(actor: User, slug: str, language: str, title: str, body: str) -> Page:
    """Publish the page's text for readers of ``language`` (the first save in a language gives its readers a
    text of their own), and record who did it."""
    if slug not in DEFAULTS or language not in i18n.LANGUAGES:
        raise LookupError((slug, language))
    page = db.session.get(Page, (slug, language))
    if page is None:
        try:
            with db.session.begin_nested():
                page = Page(slug=slug, language=language, title=title.strip(), body=body)
                db.session.add(page)
        except sa.exc.IntegrityError:  # another admin saved this language's first text meanwhile: the later wins
            page = db.session.get(Page, (slug, language))
    page.title = title.strip()
    page.body = body
    page.updated_by_id = actor.id
    page.updated_at = utcnow()
    db.session.flush()
    with force_locale(i18n.DEFAULT_LANGUAGE):
        name = i18n.language_name(language)
    record_admin_action(actor, "edit_page", f"page {slug}", name, {"language": language})
    log.info("user %s edited the page %s (%s)", actor.id, slug, language)
    return page

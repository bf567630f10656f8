"""The wording of each email, which the desk can change from the admin pages: the defaults, read from the
event's file, and the desk's own, stored in ``EmailTemplate`` rows (the subject and the blocks that differ),
each in one language.

An event's *wording* is its subject (``Event.subject``) and its text blocks (``email_files.EDITABLE_BLOCKS``
that the file defines, except a block that calls a link builder or loops, like the digest's list:
:func:`fixed_blocks`). Checking, saving and previewing new wording is in ``editing``; rendering an email with
the wording in force, in ``render``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.core.i18n import current_language, desk_language, languages_desk_first, supported
from workflow.extensions import db
from workflow.notifications.email_files import BASE_LANGUAGE, EDITABLE_BLOCKS, email_file, has_file
from workflow.notifications.events import EVENTS
from workflow.notifications.models import EmailTemplate

_CACHE_KEY = "workflow.email_wording"


@dataclass(frozen=True)
class Wording:
    """An event's subject and the source of its editable blocks, as they are used now in one language.

    ``language`` is the language the wording is written in: a language with no wording of its own is written
    to in the default language's (``wording_for``), and ``fallback`` says so."""

    event: str
    subject: str
    blocks: dict[str, str]
    customised: bool = False
    updated_at: datetime | None = None
    updated_by_id: int | None = None
    language: str = BASE_LANGUAGE
    fallback: bool = False


@dataclass(frozen=True)
class _Override:
    subject: str
    blocks: dict[str, str]
    updated_at: datetime
    updated_by_id: int | None


def overrides() -> dict[tuple[str, str], _Override]:
    """Every customised wording by (event, language), read once per transaction (a page lists many emails'
    subjects)."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    rows = {(row.event, row.language): _Override(row.subject, dict(row.blocks or {}), row.updated_at,
                                                 row.updated_by_id)
            for row in db.session.scalars(sa.select(EmailTemplate))}
    session.info[_CACHE_KEY] = (session.get_transaction(), rows)
    return rows


def forget_overrides() -> None:
    db.session().info.pop(_CACHE_KEY, None)


def fixed_blocks(event: str) -> list[str]:
    """The text blocks of the event's file that are not wording: they call link builders or loop over items
    (the digest's list), so they stay as the file has them."""
    structure = email_file(event)
    return [name for name in EDITABLE_BLOCKS if name in structure.blocks and name not in structure.editable]


def has_own_file(event: str, language: str) -> bool:
    """Whether the language's default wording of the event ships as a file (the base English one always does)."""
    return language == BASE_LANGUAGE or has_file(event, language)


def file_wording(event: str, language: str = BASE_LANGUAGE) -> Wording:
    """The wording of the event's file in ``language``: its ``subject`` block (``Event.subject`` for the base
    files) and its editable blocks, by the base file's block names. A language without the file: TemplateNotFound."""
    base = email_file(event)
    if language == BASE_LANGUAGE:
        return Wording(event, EVENTS[event].subject, {name: base.blocks[name] for name in base.editable})
    structure = email_file(event, language)
    subject = " ".join(structure.blocks.get("subject", EVENTS[event].subject).split())
    return Wording(event, subject, {name: structure.blocks.get(name, "") for name in base.editable},
                   language=language)


def default_wording(event: str, language: str | None = None) -> Wording:
    """What the wording of the event in ``language`` is without the desk's own: the language's file, or (no
    file: a translation is missing) the base English file. Only the blocks that differ from it are stored."""
    language = language or BASE_LANGUAGE
    if has_own_file(event, language):
        return file_wording(event, language)
    wording = file_wording(event)
    return Wording(event, wording.subject, wording.blocks, language=BASE_LANGUAGE, fallback=True)


def stored_wording(event: str, language: str) -> Wording | None:
    """The desk's own wording of the event in ``language``, over that language's default, or None."""
    override = overrides().get((event, language))
    if override is None:
        return None
    default = default_wording(event, language)
    blocks = {name: override.blocks.get(name, source) for name, source in default.blocks.items()}
    return Wording(event, override.subject, blocks, customised=True, updated_at=override.updated_at,
                   updated_by_id=override.updated_by_id, language=language)


def wording_for(event: str, language: str | None = None) -> Wording:
    """The wording the event's emails to a reader of ``language`` use now (the language being spoken if not
    given): the desk's own in that language, else the language's file; a language with neither (a missing
    translation) falls back to the default language's, then to the base English one. ``fallback`` tells."""
    language = supported(language) or current_language()
    chain = list(dict.fromkeys([language, desk_language(), BASE_LANGUAGE]))
    for code in chain:
        found = stored_wording(event, code)
        if found is None and has_own_file(event, code):
            found = file_wording(event, code)
        if found is not None:
            return replace(found, fallback=code != language)
    raise LookupError(event)  # never reached: the base file always exists


def subject_for(event: str, language: str) -> tuple[str, str, bool]:
    """The subject source the event's emails to a reader of ``language`` use, as (the language it is written
    in, the source, whether it is the desk's own): the same choice as :func:`wording_for`, reading no file in
    the base language (lists show many subjects)."""
    for code in dict.fromkeys([supported(language) or BASE_LANGUAGE, desk_language(), BASE_LANGUAGE]):
        override = overrides().get((event, code))
        if override is not None:
            return code, override.subject, True
        if code == BASE_LANGUAGE:
            return code, EVENTS[event].subject, False
        if has_file(event, code):
            return code, file_wording(event, code).subject, False
    raise LookupError(event)  # never reached: the base language is last


def missing_languages(event: str) -> list[str]:
    """The languages in which the event has no wording of its own (no file, no stored wording): their readers
    get the default language's."""
    stored = overrides()
    return [code for code in languages_desk_first()
            if (event, code) not in stored and not has_own_file(event, code)]


def customisations(language: str | None = None) -> dict[str, EmailTemplate]:
    """The customised events in ``language`` (the default language's if not given) with who changed them
    last, for the list of emails."""
    language = language or desk_language()
    rows = db.session.scalars(sa.select(EmailTemplate).where(EmailTemplate.language == language)
                              .options(joinedload(EmailTemplate.updated_by)))
    return {row.event: row for row in rows}

"""The wording of each email, which the desk can change from the admin pages: the defaults, read from the
event's file, and the desk's own, stored in ``EmailTemplate`` rows (the subject and the blocks that differ).

An event's *wording* is its subject (``Event.subject``) and its text blocks (``email_files.EDITABLE_BLOCKS``
that the file defines, except a block that calls a link builder or loops, like the digest's list:
:func:`fixed_blocks`). Checking, saving and previewing new wording is in ``editing``; rendering an email with
the wording in force, in ``render``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workflow.extensions import db
from workflow.notifications.email_files import EDITABLE_BLOCKS, email_file
from workflow.notifications.events import EVENTS
from workflow.notifications.models import EmailTemplate

_CACHE_KEY = "workflow.email_wording"


@dataclass(frozen=True)
class Wording:
    """An event's subject and the source of its editable blocks, as they are used now."""

    event: str
    subject: str
    blocks: dict[str, str]
    customised: bool = False
    updated_at: datetime | None = None
    updated_by_id: int | None = None


@dataclass(frozen=True)
class _Override:
    subject: str
    blocks: dict[str, str]
    updated_at: datetime
    updated_by_id: int | None


def overrides() -> dict[str, _Override]:
    """Every customised wording, read once per transaction (a page lists many emails' subjects)."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    rows = {row.event: _Override(row.subject, dict(row.blocks or {}), row.updated_at, row.updated_by_id)
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


def default_wording(event: str) -> Wording:
    """The wording of the event's file and of ``Event.subject``."""
    structure = email_file(event)
    return Wording(event, EVENTS[event].subject, {name: structure.blocks[name] for name in structure.editable})


def wording_for(event: str) -> Wording:
    """The wording the event's emails use now: the desk's own where it has one, the default elsewhere."""
    default = default_wording(event)
    override = overrides().get(event)
    if override is None:
        return default
    blocks = {name: override.blocks.get(name, source) for name, source in default.blocks.items()}
    return Wording(event, override.subject, blocks, customised=True, updated_at=override.updated_at,
                   updated_by_id=override.updated_by_id)


def customisations() -> dict[str, EmailTemplate]:
    """The customised events with who changed them last, for the list of emails."""
    rows = db.session.scalars(sa.select(EmailTemplate).options(joinedload(EmailTemplate.updated_by)))
    return {row.event: row for row in rows}

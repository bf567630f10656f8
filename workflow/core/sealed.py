"""Private columns and files, sealed with their owner's data key (:mod:`workflow.core.crypto`).

A model names a private attribute with :class:`SealedText` (or :class:`SealedJSON`) over the column that
stores it, and says whose data it is with ``sealed_owner_id()`` (a contributor's id: a story's messages and
drafts are sealed with its contributor's key, whoever wrote them, so that one key erases them all). Code reads
and writes the attribute as plain text; the column holds ``wf1:…`` from the flush on. Values written before
encryption was switched on are read as they are, and ``flask keys seal-existing`` seals them.

Which key belongs to whom is the table ``data_keys`` (owner → key id); the keys themselves are in the key store.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.core import crypto
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit, after_rollback
from workflow.extensions import db

log = logging.getLogger(__name__)

_PENDING = "_sealed_pending"  # attribute name -> plain value written, not yet sealed (sealed at the flush)
_OPENED = "_sealed_opened"  # attribute name -> (stored value, plain value): what was opened, kept while it holds
_PENDING_MARK = "wf1:pending"  # the column's value until the flush seals it (never written: the flush replaces it)
_SESSION_KEYS = "workflow.data_keys"  # owner -> key id, chosen in the session's transaction, not yet committed
_owner_keys: dict[int, tuple[float, bytes]] = {}  # owner -> (when, key id), committed; kept a few minutes


class DataKey(db.Model):
    """Whose data key is which: the key itself lives in the key store, never in the database."""

    __tablename__ = "data_keys"
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _insert(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(DataKey.__table__)


def key_for(session: Session, owner_id: int) -> bytes:
    """The data key of ``owner_id``, made (in the key store and in ``data_keys``) the first time it is needed.

    Two processes making one at once: both write a key file, one row wins, the other's file is destroyed. A
    key made in a transaction that rolls back is destroyed too, so no key is used that ``data_keys`` forgot."""
    pending = session.info.setdefault(_SESSION_KEYS, {})
    if owner_id in pending:
        return pending[owner_id]
    cached = _owner_keys.get(owner_id)
    if cached is not None and time.monotonic() - cached[0] < crypto.CACHE_SECONDS:
        return cached[1]
    table = DataKey.__table__
    connection = session.connection()
    stored = connection.scalar(sa.select(table.c.key_id).where(table.c.owner_id == owner_id))
    if stored is None:
        store = crypto.store()
        made = store.create()
        connection.execute(_insert(connection.dialect.name).values(owner_id=owner_id, key_id=made.hex(),
                                                                  created_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["owner_id"]))
        stored = connection.scalar(sa.select(table.c.key_id).where(table.c.owner_id == owner_id))
        if stored != made.hex():
            store.destroy(made)  # another process made this owner's key first
        else:
            after_rollback(session, lambda: store.destroy(made))
            log.info("made a data key for user %s", owner_id)
    key_id = bytes.fromhex(stored)
    pending[owner_id] = key_id
    after_commit(session, lambda: _owner_keys.__setitem__(owner_id, (time.monotonic(), key_id)))
    return key_id


def destroy_key_of(session: Session, owner_id: int) -> bool:
    """Erase ``owner_id``'s data key once the transaction commits: what it sealed can never be read again, in
    the database or in any copy of it. True if there was one."""
    table = DataKey.__table__
    connection = session.connection()
    stored = connection.scalar(sa.select(table.c.key_id).where(table.c.owner_id == owner_id))
    if stored is None:
        return False
    connection.execute(sa.delete(table).where(table.c.owner_id == owner_id))
    session.info.get(_SESSION_KEYS, {}).pop(owner_id, None)
    store = crypto.store()

    def destroy() -> None:
        _owner_keys.pop(owner_id, None)
        store.destroy(bytes.fromhex(stored))
        log.info("destroyed the data key of user %s", owner_id)

    after_commit(session, destroy)
    return True


def forget_cached_keys() -> None:
    """Forget which key is whose (a process that may have missed a key's destruction; tests)."""
    _owner_keys.clear()


# --- attributes -----------------------------------------------------------------------------------------------

class SealedText:
    """A private text attribute stored sealed in the mapped column attribute ``column``.

    ``None`` and ``""`` are stored as they are (an empty field tells nothing and needs no key)."""

    def __init__(self, column: str):
        self.column = column

    def __set_name__(self, owner, name: str) -> None:
        self.owner, self.name = owner, name
        self.context = f"{owner.__tablename__}.{name}"

    def _plain(self, value: Any) -> bool:
        return value is None or value == ""

    def encode(self, value: Any) -> str:
        return value

    def decode(self, text: str) -> Any:
        return text

    def __get__(self, obj, cls=None):
        if obj is None:
            return getattr(cls, self.column)  # in a query, the column
        pending = obj.__dict__.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name]
        stored = getattr(obj, self.column)
        if not crypto.is_sealed_text(stored):
            return stored  # empty, or written before encryption
        opened = obj.__dict__.setdefault(_OPENED, {})
        cached = opened.get(self.name)
        if cached is not None and cached[0] == stored:
            return cached[1]
        try:
            value = self.decode(crypto.open_text(crypto.store(), stored, self.context))
        except crypto.MissingKey:
            log.warning("%s of %s %s cannot be read: its data key was destroyed", self.name,
                        type(obj).__name__, getattr(obj, "id", None))
            value = self.decode("")
        opened[self.name] = (stored, value)
        return value

    def __set__(self, obj, value) -> None:
        pending = obj.__dict__.setdefault(_PENDING, {})
        if self._plain(value):
            pending.pop(self.name, None)
            setattr(obj, self.column, value)
            return
        pending[self.name] = value
        setattr(obj, self.column, _PENDING_MARK)  # the row is dirty; the flush seals the value

    def seal_pending(self, session: Session, obj) -> None:
        pending = obj.__dict__.get(_PENDING) or {}
        if self.name not in pending:
            return
        value = pending.pop(self.name)
        owner_id = obj.sealed_owner_id()
        if owner_id is None:
            setattr(obj, self.column, value)  # nobody's private data (an email to a bare address)
            return
        stored = crypto.seal_text(crypto.store(), key_for(session, owner_id), self.encode(value), self.context)
        setattr(obj, self.column, stored)
        obj.__dict__.setdefault(_OPENED, {})[self.name] = (stored, value)


class SealedJSON(SealedText):
    """A private JSON object (a mapping) stored sealed as one string in a JSON column."""

    def _plain(self, value: Any) -> bool:
        return value is None or value == {}

    def encode(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), default=str)

    def decode(self, text: str) -> Any:
        return json.loads(text) if text else {}


@functools.cache
def sealed_attributes(cls) -> tuple[SealedText, ...]:
    """A model's private attributes (looked up once per model: every flush that seals asks)."""
    return tuple(value for klass in cls.__mro__ for value in vars(klass).values() if isinstance(value, SealedText))


@event.listens_for(Session, "before_flush")
def _seal_before_flush(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        if obj.__dict__.get(_PENDING):
            for attribute in sealed_attributes(type(obj)):
                attribute.seal_pending(session, obj)


@event.listens_for(Session, "after_soft_rollback")
def _forget_session_keys(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_SESSION_KEYS, None)
        for obj in session.identity_map.values():  # what was written and rolled back is not read back
            obj.__dict__.pop(_PENDING, None)


@event.listens_for(Session, "after_commit")
def _forget_committed_session_keys(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_SESSION_KEYS, None)


# --- files ----------------------------------------------------------------------------------------------------

def seal_file(session: Session, owner_id: int, data: bytes) -> bytes:
    return crypto.seal_file(crypto.store(), key_for(session, owner_id), data)


def open_file(data: bytes) -> bytes:
    """A stored file's content: opened if it was sealed, as it is if it was stored before encryption."""
    return crypto.open_file(crypto.store(), data) if crypto.is_sealed_file(data) else data

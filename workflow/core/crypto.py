"""Envelope encryption of private data at rest: AES-256-GCM, one data key per contributor.

Each data key is kept in the key store, a folder of its own (``WORKFLOW_KEY_DIR``), wrapped (encrypted) by the
master key (``WORKFLOW_DATA_KEY`` or the file ``WORKFLOW_DATA_KEY_FILE``). The database and the uploads folder
hold only what was sealed with a data key, and each sealed value names its key. So:

- a copy of the database or of the uploads, without the key store and the master key, tells nothing;
- destroying a person's data key (their account is deleted) makes their private data unreadable everywhere,
  old database dumps included, once the key store's own backups have aged out;
- ``flask keys rotate`` re-wraps every data key under a new master key; the data is not touched.

Keys are never logged. This module knows nothing of the database: :mod:`workflow.core.sealed` maps people to
their keys and seals the columns.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context

log = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
KEY_ID_BYTES = 8
TEXT_PREFIX = "wf1:"  # a sealed text value: wf1:<base64url of key id, nonce, ciphertext and tag>
FILE_MAGIC = b"WFE1"  # a sealed file: these four bytes, the key id, the nonce, the ciphertext and tag
CACHE_SECONDS = 300  # how long a process keeps a data key it unwrapped (a destroyed key dies everywhere by then)


class SealError(Exception):
    """A problem with the keys: missing, destroyed, or not the ones the data was sealed with."""


class MissingKey(SealError):
    """The data key a value was sealed with is not in the key store: destroyed (its owner's account was
    deleted, or the pitch's retention ran out), or the store is not the one the data was written with."""


class MasterKeyProblem(SealError):
    """The master key is absent, malformed, or not the one a data key was wrapped with."""


def new_master_key() -> str:
    """A new master key, as ``WORKFLOW_DATA_KEY`` takes it (32 random bytes, base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def _decode_master(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raw = b""
    if len(raw) != KEY_BYTES:
        raise MasterKeyProblem(f"{where} is not a master key: it must be 32 random bytes in base64url "
                               f"(make one with: flask --app workflow keys new-master)")
    return raw


def master_id(key: bytes) -> str:
    """A master key's name, stored beside each data key it wraps: a hash, which reveals nothing of it."""
    return hashlib.sha256(b"workflow master key id\0" + key).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    current: bytes
    retired: tuple[bytes, ...] = ()  # older master keys, read while `keys rotate` moves their data keys over

    @property
    def current_id(self) -> str:
        return master_id(self.current)

    def by_id(self, wanted: str) -> bytes:
        for key in (self.current, *self.retired):
            if master_id(key) == wanted:
                return key
        raise MasterKeyProblem(f"a data key is wrapped by master key {wanted}, which is not configured (set it in "
                               f"WORKFLOW_DATA_KEYS_RETIRED until `flask keys rotate` has moved its data keys)")


def master_keys_from(config) -> MasterKeys:
    """The master keys a process was configured with; the quick start's is made once under ``instance/``."""
    text = config.get("DATA_KEY") or ""
    where = "WORKFLOW_DATA_KEY"
    if not text and config.get("DATA_KEY_FILE"):
        where = f"the key file {config['DATA_KEY_FILE']}"
        try:
            text = Path(config["DATA_KEY_FILE"]).read_text()
        except OSError as exc:
            raise MasterKeyProblem(f"cannot read {where}: {exc.strerror}") from None
    if not text:
        raise MasterKeyProblem("no master key: set WORKFLOW_DATA_KEY or WORKFLOW_DATA_KEY_FILE")
    retired = tuple(_decode_master(part, "a key in WORKFLOW_DATA_KEYS_RETIRED")
                    for part in (config.get("DATA_KEYS_RETIRED") or "").split(",") if part.strip())
    return MasterKeys(_decode_master(text, where), retired)


def make_quickstart_key(path: Path) -> bool:
    """Write a new master key to ``path`` (readable by its owner only) unless there is one; True if made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(new_master_key() + "\n")
    return True


# --- the key store: one small file per data key, named by its id --------------------------------------------

class KeyStore:
    """Data keys, each wrapped by a master key, in files of their own (``<id>.key``: JSON with the master key's
    id and the wrapped key). A folder, not a table, so that a dump of the database never holds them: erasing a
    key erases the data in every old dump. Web servers and workers share it, as they share the uploads."""

    def __init__(self, folder: Path, masters: MasterKeys):
        self.folder = folder
        self.masters = masters
        self._cache: dict[bytes, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def _path(self, key_id: bytes) -> Path:
        return self.folder / f"{key_id.hex()}.key"

    def create(self) -> bytes:
        """A new data key, wrapped under the current master key and written; its id."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # its owner alone reads the keys
        key_id, key = secrets.token_bytes(KEY_ID_BYTES), AESGCM.generate_key(bit_length=256)
        self._write(key_id, self._wrap(key_id, key), exclusive=True)
        with self._lock:
            self._cache[key_id] = (time.monotonic(), key)
        return key_id

    def _wrap(self, key_id: bytes, key: bytes) -> dict:
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = AESGCM(self.masters.current).encrypt(nonce, key, b"data key " + key_id)
        return {"master": self.masters.current_id, "wrapped": base64.b64encode(nonce + wrapped).decode()}

    def _write(self, key_id: bytes, record: dict, exclusive: bool = False) -> None:
        path = self._path(key_id)
        data = json.dumps(record).encode()
        if exclusive:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return
        tmp = path.with_suffix(".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def _read(self, key_id: bytes) -> dict:
        try:
            return json.loads(self._path(key_id).read_bytes())
        except FileNotFoundError:
            raise MissingKey(f"data key {key_id.hex()} is not in the key store") from None

    def get(self, key_id: bytes) -> bytes:
        """The data key ``key_id``, unwrapped (kept in memory a few minutes)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        record = self._read(key_id)
        blob = base64.b64decode(record["wrapped"])
        try:
            key = AESGCM(self.masters.by_id(record["master"])).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], b"data key " + key_id)
        except InvalidTag:
            raise MasterKeyProblem(f"data key {key_id.hex()} does not open with its master key") from None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_id] = (now, key)
        return key

    def destroy(self, key_id: bytes) -> None:
        """Erase a data key for good: what it sealed can never be read again."""
        with self._lock:
            self._cache.pop(key_id, None)
        try:
            self._path(key_id).unlink()
        except FileNotFoundError:
            pass

    def ids(self) -> Iterator[bytes]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.key")):
            try:
                yield bytes.fromhex(path.stem)
            except ValueError:
                continue

    def master_of(self, key_id: bytes) -> str:
        return self._read(key_id)["master"]

    def rewrap(self, key_id: bytes) -> bool:
        """Wrap a data key under the current master key, if another wraps it; True if it was moved."""
        if self.master_of(key_id) == self.masters.current_id:
            return False
        key = self.get(key_id)
        self._write(key_id, self._wrap(key_id, key))
        return True


# --- sealing values and files with a data key ---------------------------------------------------------------

def _encrypt(store: KeyStore, key_id: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return key_id + nonce + AESGCM(store.get(key_id)).encrypt(nonce, plaintext, context)


def _decrypt(store: KeyStore, blob: bytes, context: bytes) -> bytes:
    key_id, nonce = blob[:KEY_ID_BYTES], blob[KEY_ID_BYTES:KEY_ID_BYTES + NONCE_BYTES]
    try:
        return AESGCM(store.get(key_id)).decrypt(nonce, blob[KEY_ID_BYTES + NONCE_BYTES:], context)
    except InvalidTag:
        raise SealError(f"a value sealed with data key {key_id.hex()} does not open (damaged, or moved from "
                        "another place)") from None


def is_sealed_text(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def seal_text(store: KeyStore, key_id: bytes, text: str, context: str) -> str:
    """``text`` sealed with the data key ``key_id``; ``context`` (the column) must be given again to open it."""
    blob = _encrypt(store, key_id, text.encode(), context.encode())
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode().rstrip("=")


def open_text(store: KeyStore, value: str, context: str) -> str:
    body = value[len(TEXT_PREFIX):]
    blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return _decrypt(store, blob, context.encode()).decode()


def key_id_of(value: str | bytes) -> bytes:
    """The id of the data key a sealed text or file was sealed with."""
    if isinstance(value, bytes):
        return value[len(FILE_MAGIC):len(FILE_MAGIC) + KEY_ID_BYTES]
    body = value[len(TEXT_PREFIX):len(TEXT_PREFIX) + 12]  # 12 base64 characters hold the 8 bytes of the id
    return base64.urlsafe_b64decode(body)[:KEY_ID_BYTES]


def is_sealed_file(data: bytes) -> bool:
    return data[:len(FILE_MAGIC)] == FILE_MAGIC


def seal_file(store: KeyStore, key_id: bytes, data: bytes) -> bytes:
    return FILE_MAGIC + _encrypt(store, key_id, data, b"file")


def open_file(store: KeyStore, data: bytes) -> bytes:
    return _decrypt(store, data[len(FILE_MAGIC):], b"file")


_last_store: KeyStore | None = None  # the one a process's (last) app opened: for code outside an app context


def store() -> KeyStore:
    """The key store of the running app (or, outside any app context, of the process's last app: a value read
    from an object loaded earlier)."""
    if has_app_context():
        return current_app.extensions["workflow.keys"]
    if _last_store is None:
        raise MasterKeyProblem("no app has opened the key store in this process")
    return _last_store


def init_app(app) -> None:
    """Load the master keys (the quick start makes its own under ``instance/``) and open the key store."""
    if not app.config.get("DATA_KEY") and not app.config.get("DATA_KEY_FILE") \
            and app.config.get("WORKFLOW_ENV") != "production":
        path = Path(app.instance_path) / "data-key"
        if make_quickstart_key(path):
            log.warning("made a master key for private data at %s (quick start only: in production, set "
                        "WORKFLOW_DATA_KEY or WORKFLOW_DATA_KEY_FILE, and keep the key apart from the backups)", path)
        app.config["DATA_KEY_FILE"] = str(path)
    global _last_store
    app.extensions["workflow.keys"] = _last_store = KeyStore(Path(app.config["KEY_DIR"]),
                                                             master_keys_from(app.config))

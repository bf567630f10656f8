"""Test helpers: a browser-like client, a real SMTP catcher, and factories that use the real services."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import re
import socket
import struct
import threading
import time
import zlib
from datetime import timedelta
from email.message import EmailMessage
from html import unescape

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from workflow.core.models import utcnow
from workflow.extensions import db

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


class Client:
    """Flask's test client used like a browser: forms carry the CSRF token of the page they came from."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.user_email: str | None = None

    def get(self, path: str, **kwargs):
        return self.http.get(path, **kwargs)

    def csrf_token(self, page: str | None = None) -> str:
        if page is None:
            page = "/account" if self.user_email else "/login"
        response = self.http.get(page)
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no form with a CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, page: str | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token(page)
        return self.http.post(path, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD, remember: bool = False):
        response = self.post("/login", {"email": email, "password": password, "remember": "y" if remember else ""})
        if response.status_code == 303:
            self.user_email = email
        return response

    def logout(self):
        response = self.post("/logout")
        self.user_email = None
        return response


def run_reset_requests(app) -> int:
    """What a worker does with the password reset requests written so far: the task's own body, run here (the
    session's worker may take some first; a request is taken once, whoever takes it)."""
    from workflow.auth.models import PasswordResetRequest
    from workflow.auth.tasks import send_password_reset

    with app.app_context():
        ids = db.session.scalars(sa.select(PasswordResetRequest.id).order_by(PasswordResetRequest.id)).all()
        taken = sum(send_password_reset.run(request_id) for request_id in ids)
        db.session.remove()
    return taken


def prepare_images(app, timeout: float = 60.0) -> int:
    """What a worker does with the photos uploaded so far: the task's own body, run here, for each photo still
    being prepared. The session's worker may hold some: then wait until it has finished them."""
    from workflow.articles.models import Image, ImageStatus
    from workflow.articles.tasks import prepare_image

    prepared, deadline = 0, time.monotonic() + timeout
    with app.app_context():
        while True:
            ids = db.session.scalars(sa.select(Image.id).where(Image.status == ImageStatus.PROCESSING)
                                     .order_by(Image.id)).all()
            db.session.rollback()
            if not ids:
                break
            prepared += sum(prepare_image.run(image_id) in ("ready", "failed") for image_id in ids)
            if time.monotonic() > deadline:
                raise AssertionError(f"images {ids} are still being prepared after {timeout} s")
            time.sleep(0.1)
        db.session.remove()
    return prepared


class SoftKey:
    """A security key in software (ES256, "none" attestation) for tests over HTTP: it answers the options the desk
    sends as a browser and a key would, for the origin it is told (the desk's own, unless a test says otherwise)."""

    def __init__(self, origin: str = "http://desk.test"):
        import secrets

        from cryptography.hazmat.primitives.asymmetric import ec

        self.origin = origin
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0

    @staticmethod
    def _b64(data: bytes) -> str:
        import base64

        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    def _client_data(self, kind: str, challenge: str) -> bytes:
        import json

        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        self.counter += 1
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def create(self, options: dict) -> dict:
        """The answer to ``navigator.credentials.create`` for these options (JSON as the desk sends them)."""
        import cbor2

        numbers = self.private.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self._auth_data(options["rp"]["id"], 0x01 | 0x04 | 0x40, attested)
        return {"id": self._b64(self.credential_id), "rawId": self._b64(self.credential_id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": self._b64(self._client_data("webauthn.create", options["challenge"])),
                             "attestationObject": self._b64(cbor2.dumps({"fmt": "none", "attStmt": {},
                                                                         "authData": auth_data})),
                             "transports": ["usb"]}}

    def get(self, options: dict) -> dict:
        """The answer to ``navigator.credentials.get`` for these options."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = self._auth_data(options["rpId"], 0x01 | 0x04)
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self._b64(self.credential_id), "rawId": self._b64(self.credential_id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": self._b64(client_data), "authenticatorData": self._b64(auth_data),
                             "signature": self._b64(signature)}}


def second_step_code(app, email: str) -> str:
    """The code the person's authenticator app shows for their next sign-in: the current step's, or the next one's
    when the current one was taken already (the app shows it 30 seconds later; the desk takes it a step early)."""
    import pyotp

    from workflow.auth.models import TotpSecret
    from workflow.people.models import User

    with app.app_context():
        row = db.session.execute(sa.select(TotpSecret.secret, TotpSecret.last_step).join(
            User, User.id == TotpSecret.user_id).where(User.email == email)).one()
        db.session.remove()
    now = int(utcnow().timestamp()) // 30
    step = max(now, (row.last_step or 0) + 1)
    if step > now + 1:
        time.sleep((step - 1) * 30 - utcnow().timestamp() + 0.5)  # both steps used: wait for the next one
    return pyotp.TOTP(row.secret).generate_otp(step)


def redirect_path(response) -> str:
    """Where a redirect leads (its path); fails on anything but a redirect, with what the page said."""
    from urllib.parse import urlsplit

    assert response.status_code in (302, 303), (response.status_code, text_of(response)[:300])
    return urlsplit(response.location).path


def still_signed_in(client: Client, page: str = "/account") -> bool:
    """Whether the browser is signed in: ``page`` opens, or it is sent to sign in (anything else fails)."""
    response = client.get(page)
    if response.status_code == 200:
        return True
    assert redirect_path(response) == "/login", response.status_code
    return False


def cookie_copy(app, client: Client, *names: str) -> Client:
    """Another browser holding copies of ``client``'s cookies (all of them, or the ones named): a copied cookie."""
    copy = Client(app)
    for cookie in client.http._cookies.values():
        if not names or cookie.key in names:
            copy.http.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return copy


def page_version(client: Client, path: str) -> str:
    """The submission version a page's workflow forms carry (what the person saw)."""
    return VERSION_RE.search(client.get(path).get_data(as_text=True)).group(1)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def large_png(width: int = 7200, height: int = 5400) -> bytes:
    """A whole PNG of width × height black pixels (38.9 megapixels by default) in about 120 KB: rows of zeros
    compress a thousandfold. Written row by row, so the test never holds the pixels either."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer, row, parts = zlib.compressobj(9), b"\x00" * (1 + 3 * width), []
    for _ in range(height):
        parts.append(packer.compress(row))
    parts.append(packer.flush())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def empty_tables(app) -> None:
    """Delete every row (what ``clean_db`` does after each test).

    The worker may still be recording a delivery from the test that just ended. On PostgreSQL the tables
    are locked parents first, the order in which the worker takes them, so that the two never deadlock; a
    deadlock anyway is tried again.
    """
    with app.app_context():
        db.session.remove()
        parents_first = [t.name for t in db.metadata.sorted_tables]
        tables = list(reversed(parents_first))
        for attempt in range(10):
            try:
                with db.engine.begin() as connection:
                    if connection.dialect.name == "postgresql":
                        connection.execute(sa.text(f"LOCK TABLE {', '.join(parents_first)} IN ACCESS EXCLUSIVE MODE"))
                        # Ids go on counting: a task left over from an earlier test finds no row of this one.
                        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                    else:
                        for table in tables:
                            connection.execute(sa.text(f"DELETE FROM {table}"))
                        # Deleting submissions counted them down (the triggers): the counters go last.
                        connection.execute(sa.text("DELETE FROM submission_state_counts"))
                return
            except sa.exc.OperationalError:
                if attempt == 9:
                    raise
                time.sleep(0.2)


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace folded (what a person reads)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailCatcher:
    """A real SMTP server on loopback; keeps what it receives. ``refuse_with`` makes it answer an error."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self.refusals_left = 0  # with refuse_with: refuse this many messages, then accept again
        self.refuse_only_to: str | None = None  # refuse only messages to this address (others are accepted)
        self.stall_data = False  # hold every message at DATA until released, or until its sender dies
        self.stalled = 0
        self._lock = threading.Condition()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope: Envelope):
        if self.stall_data:
            with self._lock:
                self.stalled += 1
            try:  # if the sender dies meanwhile, aiosmtpd cancels us and the message is never accepted
                while self.stall_data:
                    await asyncio.sleep(0.05)
            finally:
                with self._lock:
                    self.stalled -= 1
        if self.refuse_with and (self.refuse_only_to is None or self.refuse_only_to in envelope.rcpt_tos):
            with self._lock:
                if self.refusals_left > 0:
                    self.refusals_left -= 1
                    if self.refusals_left == 0:
                        reply, self.refuse_with = self.refuse_with, None
                        return reply
                return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()
        return "250 OK queued as test"

    def start(self) -> None:
        self.port = free_port()
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()

    def refuse_next(self, count: int, reply: str, to: str | None = None) -> None:
        """Answer ``reply`` to the next ``count`` messages (to ``to`` only, if given: a late email from an earlier
        test, delivered meanwhile, must not use up the refusals), then accept again."""
        with self._lock:
            self.refusals_left = count
            self.refuse_with = reply
            self.refuse_only_to = to

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, predicate, timeout: float = 20.0) -> list[EmailMessage]:
        """Wait until some received messages satisfy ``predicate``; return those messages."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [m for m in self.messages if predicate(m)]
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [(m["To"], m["Subject"]) for m in self.messages]
                    raise AssertionError(f"no matching email within {timeout}s; received: {subjects}")
                self._lock.wait(remaining)

    def wait_for_count(self, count: int, timeout: float = 20.0) -> None:
        """Wait until at least ``count`` messages have arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.messages)} of {count} emails arrived within {timeout}s")
                self._lock.wait(remaining)

    def wait_for_subject(self, to: str, fragment: str, timeout: float = 20.0) -> EmailMessage:
        found = self.wait_for(lambda m: m["To"] == to and fragment in m["Subject"], timeout)
        return found[0]


def as_received(message) -> EmailMessage:
    """A composed message as a mail client would read it: its bytes parsed back (headers decoded)."""
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def composed(notification) -> EmailMessage:
    """The email the worker sends for a notification, as it is received (call inside an app context)."""
    from workflow.notifications import mail

    return as_received(mail.compose(notification))


def plain_body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_body(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def link_in(message: EmailMessage, pattern: str = r"http://desk\.test(/\S+)") -> str:
    """The first desk link in the plain-text part, as a path for the test client."""
    match = re.search(pattern, plain_body(message))
    assert match, f"no link in: {plain_body(message)}"
    return match.group(1)


class Factory:
    """Build people and submissions through the real services, committed like a request would."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, role: str = "contributor", email: str | None = None, confirmed: bool = True,
             name: str | None = None, byline: str | None = None):
        from workflow.auth import services
        from workflow.people.models import Role

        n = self._next()
        with self.app.app_context():
            user = services.create_user(email or f"{role}{n}@example.org", PASSWORD, name or f"{role.title()} {n}",
                                        byline, role=Role(role), confirmed=confirmed)
            db.session.commit()
            return _Ref(id=user.id, email=user.email, display_name=user.display_name, byline_name=user.byline_name)

    def submission(self, contributor, state: str = "pitched", editor=None, headline: str | None = None,
                   summary: str = "A story about bread queues at night.", with_draft: bool | None = None):
        """A submission walked through the real workflow up to ``state``, by the shortest path the workflow table
        allows, with a draft (written as soon as the contributor may) when ``with_draft`` says so or the path
        needs one."""
        from workflow.people.models import User
        from workflow.submissions import permissions, services
        from workflow.submissions.models import Submission
        from workflow.submissions.workflow import Actor, Requirement, State

        n = self._next()
        with self.app.app_context():
            author = db.session.get(User, contributor.id)
            # Where the contributor may write, asked of the permissions with a story that is never saved.
            path = self._path_to(State(state), with_draft, lambda s: permissions.can_write_draft(
                author, Submission(state=s, contributor_id=author.id)))
            if editor is None and any(not isinstance(step, str) and step.actor is not Actor.OWNER for step in path):
                raise ValueError(f"a {state} submission needs an editor= to act on it")
            submission = services.submit_pitch(author, services.PitchInput(
                headline=headline or f"Story number {n}", summary=summary, angle="Why now.",
                sources="Residents.", proposed_words=1000, proposed_deadline=None, experience=""))
            desk = db.session.get(User, editor.id) if editor else None
            for step in path:
                if isinstance(step, str):  # "draft"
                    services.save_draft(author, submission, submission.headline, "The dek.",
                                        "First paragraph.\n\nSecond paragraph.")
                    continue
                fields = {}
                if Requirement.ASSIGNMENT in step.requires:
                    fields.update(editor_id=desk.id, deadline=utcnow().date() + timedelta(days=10))
                if Requirement.COMMENT in step.requires:
                    fields.update(comment="Not for us.")
                services.transition(author if step.actor is Actor.OWNER else desk, submission,
                                    services.TransitionInput(action=step.action, seen_version=submission.version,
                                                             **fields))
            db.session.commit()
            stored = db.session.get(Submission, submission.id)
            return _Ref(id=stored.id, version=stored.version, state=stored.state.value, headline=stored.headline)

    @staticmethod
    def _path_to(target, with_draft: bool | None, can_draft) -> list:
        """The fewest steps from a new pitch to ``target`` over the workflow table's rows, a step being a row or
        "draft" (possible where ``can_draft(state)``): with a draft if ``with_draft``, without one if it is False,
        and with one only if a row on the way requires it if it is None."""
        from collections import deque

        from workflow.submissions.workflow import INITIAL_STATE, TRANSITIONS, Requirement

        start = (INITIAL_STATE, False)
        paths, todo = {start: []}, deque([start])
        while todo:
            state, drafted = todo.popleft()
            moves = [(t, (t.target, drafted)) for t in TRANSITIONS
                     if t.source is state and (drafted or Requirement.DRAFT not in t.requires)]
            if not drafted and with_draft is not False and can_draft(state):
                moves.append(("draft", (state, True)))
            for step, node in moves:
                if node not in paths:
                    paths[node] = [*paths[(state, drafted)], step]
                    todo.append(node)
        ends = [(target, with_draft)] if with_draft is not None else [(target, False), (target, True)]
        found = [paths[end] for end in ends if end in paths]
        if not found:
            raise ValueError(f"the workflow table has no way to a {target.value} submission "
                             f"{'with' if with_draft else 'without'} a draft")
        return min(found, key=len)

    def message(self, author, submission, body: str, internal: bool = False):
        from workflow.people.models import User
        from workflow.submissions import services
        from workflow.submissions.models import Submission

        with self.app.app_context():
            services.post_message(db.session.get(User, author.id), db.session.get(Submission, submission.id), body,
                                  internal=internal)
            db.session.commit()

    def version_of(self, submission) -> int:
        from workflow.submissions.models import Submission

        with self.app.app_context():
            return db.session.get(Submission, submission.id).version


class _Ref:
    """A plain record of what a factory made (no session attached)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"<{self.__dict__}>"


# The Celery worker of the test session goes on delivering the emails the fixture's actions wrote, meanwhile:
# what it writes (the delivery columns of the outbox, and its ledger) is left out; what requests write is not.
DELIVERY_COLUMNS = {"status", "attempts", "queued_at", "attempts_at_retry", "next_attempt_at", "locked_until",
                    "sent_at", "last_error", "server_reply"}
WORKER_TABLES = {"delivery_attempts"}
# A session's last-seen time is bookkeeping that any request may write (at most once a minute), a GET too.
BOOKKEEPING_COLUMNS = {("user_sessions", "last_seen_at")}


def fingerprint(app) -> str:
    """A hash of every row of every table: equal before and after means no request changed anything."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in WORKER_TABLES:
                continue
            columns = [c for c in table.columns if not (table.name == "notifications" and c.name in DELIVERY_COLUMNS)
                       and (table.name, c.name) not in BOOKKEEPING_COLUMNS]
            order = list(table.primary_key.columns) or columns
            for row in db.session.execute(sa.select(*columns).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
        db.session.remove()
    return digest.hexdigest()


def url_of(app, rule, values: dict, slugs: dict) -> str:
    """The URL of a rule of the URL map, its arguments filled from ``values`` (``slug`` from ``slugs``, by
    endpoint)."""
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{name: slugs[rule.endpoint] if name == "slug" else values[name]
                                         for name in rule.arguments})


def path_of(rule, values: dict, slugs: dict, **raw) -> str:
    """The path of a rule of the URL map with its arguments filled in, as ``url_of`` does; the arguments named in
    ``raw`` are put in as given (percent-encoded, never converted), so that a test can send what no ``url_for``
    would build: text where an id belongs, an id too large for the database, a NUL byte."""
    from urllib.parse import quote

    def argument(match: re.Match) -> str:
        name = match.group(1)
        if name in raw:
            return quote(raw[name], safe="")
        return quote(str(slugs[rule.endpoint] if name == "slug" else values[name]), safe="")

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", argument, rule.rule)


class HtmlForm:
    """A form of a page as a browser would post it: its action, method, encoding, and the fields with the values
    the page gave them (the selected option of a select, checked boxes only, the text of a textarea)."""

    def __init__(self, action: str, method: str, enctype: str):
        self.action, self.method, self.enctype = action, method, enctype
        self.fields: list[tuple[str, str]] = []
        self.files: list[str] = []

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.fields))

    def data(self, **overrides) -> dict:
        """The fields as posted, with ``overrides`` in place of the page's values."""
        posted: dict[str, list[str]] = {}
        for name, value in self.fields:
            posted.setdefault(name, []).append(value)
        for name, value in overrides.items():
            posted[name] = [value]
        return {name: values if len(values) > 1 else values[0] for name, values in posted.items()}

    def __repr__(self) -> str:
        return f"<form {self.method} {self.action} {self.names}>"


def forms_on(html: str, page: str) -> list[HtmlForm]:
    """Every form of a page (``page`` is its path, for forms without an action)."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin, urlsplit

    forms: list[HtmlForm] = []

    class Parser(HTMLParser):
        form: HtmlForm | None = None
        select: str | None = None
        options: list[tuple[str, bool]] = []
        textarea: str | None = None
        text = ""

        def handle_starttag(self, tag, attrs):
            a = {key: value or "" for key, value in attrs}
            if tag == "form":
                action = urlsplit(urljoin(page, a.get("action") or page))
                target = action.path + (f"?{action.query}" if action.query else "")
                self.form = HtmlForm(target, a.get("method", "get").lower(),
                                     a.get("enctype", "application/x-www-form-urlencoded"))
                forms.append(self.form)
            elif tag == "option" and self.select is not None:
                self.options.append((a.get("value", ""), "selected" in a))
            elif self.form is None or "name" not in a or "disabled" in a:
                return
            elif tag == "input":
                kind = a.get("type", "text").lower()
                if kind == "file":
                    self.form.files.append(a["name"])
                elif kind in ("checkbox", "radio"):
                    if "checked" in a:
                        self.form.fields.append((a["name"], a.get("value", "on")))
                elif kind not in ("submit", "button", "image", "reset"):
                    self.form.fields.append((a["name"], a.get("value", "")))
            elif tag == "select":
                self.select, self.options = a["name"], []
            elif tag == "textarea":
                self.textarea, self.text = a["name"], ""
            elif tag == "button" and a.get("value") and a.get("type", "submit") == "submit":
                self.form.fields.append((a["name"], a["value"]))

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)

        def handle_data(self, data):
            if self.textarea is not None:
                self.text += data

        def handle_endtag(self, tag):
            if tag == "form":
                self.form = None
            elif tag == "textarea" and self.textarea is not None and self.form is not None:
                self.form.fields.append((self.textarea, self.text.removeprefix("\n")))
                self.textarea = None
            elif tag == "select" and self.select is not None and self.form is not None:
                chosen = [value for value, selected in self.options if selected] or [v for v, _ in self.options[:1]]
                self.form.fields.extend((self.select, value) for value in chosen[:1])
                self.select = None

    parser = Parser()
    parser.feed(html)
    return forms

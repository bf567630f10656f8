"""Email in tests: a real SMTP server on loopback, and the outbox read as the worker composes and sends it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from contextlib import contextmanager
from email.message import EmailMessage

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tests.support.ports import free_port
from workflow.extensions import db


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


def finish_reset_requests(app, timeout: float = 10.0) -> None:
    """Every password reset request written so far is looked up, here or by the session's worker, before this
    returns: a test measuring the database sees none of that work land later."""
    from workflow.auth.models import PasswordResetRequest

    run_reset_requests(app)
    deadline = time.monotonic() + timeout
    with app.app_context():
        while db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)):
            db.session.rollback()
            assert time.monotonic() < deadline, f"reset requests still waiting after {timeout} s"
            time.sleep(0.05)
        db.session.remove()


def outbox(app, to: str, subject: str = "") -> list[EmailMessage]:
    """The emails for an address (those whose subject holds ``subject``), composed exactly as the worker sends
    them, oldest first."""
    from workflow.notifications.models import Notification

    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(Notification.email == to)
                                  .order_by(Notification.id)).all()
        messages = [composed(row) for row in rows]
    return [m for m in messages if subject in m["Subject"]]


def latest_link(app, to: str, subject: str) -> str:
    """The link in the latest email about ``subject`` to ``to`` (after a worker has looked up the reset requests
    written so far: none is taken twice)."""
    run_reset_requests(app)
    messages = outbox(app, to, subject)
    assert messages, f"no email about {subject!r} for {to}; outbox: {[m['Subject'] for m in outbox(app, to)]}"
    return link_in(messages[-1])


@contextmanager
def links_signed_ago(seconds: int):
    """Links made inside this block carry a signing time ``seconds`` in the past (an old email)."""
    import pytest
    from itsdangerous import TimestampSigner

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - seconds)
        yield


def tampered(path: str) -> str:
    """The link with one character of its signature changed."""
    position = len(path) - 6
    replacement = "A" if path[position] != "A" else "B"
    return path[:position] + replacement + path[position + 1:]


def delivered(app, mailbox, notification_id: int) -> EmailMessage:
    """Deliver one notification as a worker does, and the message as the mail server received it. (A commit
    hands notifications to the broker too: the session's worker, once a test has started it, may send it first,
    to the same mail server; so the mailbox is not emptied here, and "skipped" is as good as "sent".)"""
    from workflow.notifications import delivery

    with app.app_context():
        assert delivery.deliver_batch([notification_id])[notification_id].outcome in ("sent", "skipped")
        db.session.remove()
    [message] = mailbox.wait_for(lambda m: str(m["Message-ID"]).startswith(f"<notification-{notification_id}@"),
                                 timeout=30)
    return message

"""One SMTP connection for many messages.

A worker delivering a batch opens one connection (TLS and login as configured), sends each message in its own
MAIL/RCPT/DATA transaction, and quits. A refusal (4xx, 5xx) ends only that message's transaction: the
connection is reset and the next message goes through it. A broken connection is dropped, and the next
message opens a new one.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app

log = logging.getLogger(__name__)

# What a connection that was fine a moment ago says when the server has dropped it meanwhile.
_DROPPED = (smtplib.SMTPServerDisconnected, ConnectionError)
SERVICE_CLOSING = 421


class Connection:
    """``with Connection() as smtp: smtp.send(message)``; opens lazily, reopens after a broken connection.

    :meth:`send` returns the server's reply to the end of the data, or raises what smtplib raises:
    ``SMTPSenderRefused``, ``SMTPRecipientsRefused``, ``SMTPDataError`` (each with the server's code) for a
    refusal of this message, ``SMTPServerDisconnected``, ``OSError`` or ``TimeoutError`` when the
    conversation broke.
    """

    def __init__(self, config: dict | None = None):
        self.config = config if config is not None else current_app.config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, message: EmailMessage) -> str:
        sender = parseaddr(message["From"])[1]
        recipient = parseaddr(message["To"])[1]
        # The policy the message was built with, with the CRLF line ends of the wire (for an EmailMessage
        # that is email.policy.SMTP).
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        reused = self._smtp is not None
        try:
            return self._transaction(sender, recipient, data)
        except _BeforeData as stopped:
            if not reused:
                raise stopped.error from None
            # The server dropped a connection that sat open between two messages. Nothing of this message
            # went past MAIL FROM, so trying it once more on a new connection cannot send it twice.
            log.info("the SMTP connection was dropped (%s); reconnecting", stopped.error)
            try:
                return self._transaction(sender, recipient, data)
            except _BeforeData as again:
                raise again.error from None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        config = self.config
        connection_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
        smtp = connection_class(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
        try:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _transaction(self, sender: str, recipient: str, data: bytes) -> str:
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            try:
                code, reply = smtp.mail(sender)
            except _DROPPED as exc:
                raise _BeforeData(exc) from exc
            if code == SERVICE_CLOSING:
                raise _BeforeData(smtplib.SMTPSenderRefused(code, reply, sender))
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
            code, reply = smtp.data(data)
            if code != 250:  # smtplib raises only when DATA itself is refused, not the message after it
                raise smtplib.SMTPDataError(code, reply)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            # This message was refused; end its transaction so that the next one starts clean.
            code = exc.smtp_code if isinstance(exc, smtplib.SMTPResponseException) else 0
            if code == SERVICE_CLOSING or not self._reset():
                self._drop()
            raise
        except BaseException:
            # A broken conversation (timeout, reset, EOF, or anything else): its state is unknown, so the
            # connection is never used again.
            self._drop()
            raise
        return f"{code} {reply.decode(errors='replace')}"

    def _reset(self) -> bool:
        try:
            return self._smtp.rset()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


class _BeforeData(Exception):
    """The connection broke before this message's transaction got anywhere (``error`` is why)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error

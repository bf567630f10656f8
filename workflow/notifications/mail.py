"""Compose a notification as a multipart email and send it over SMTP, in the recipient's language and time
zone (:func:`compose`)."""

from __future__ import annotations

from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr

import sqlalchemy as sa
from flask import current_app

from workflow.core.i18n import speaking
from workflow.core.urls import external_url
from workflow.extensions import db
from workflow.notifications import links, render, smtp
from workflow.notifications.events import EVENTS, READERS
from workflow.notifications.models import Notification


def message_id(notification: Notification) -> str:
    """Stable across retries, so a mail server or client can recognise a repeat."""
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<notification-{notification.id}@{domain}>"


def unsubscribe_url(notification: Notification) -> str | None:
    """The one-click unsubscribe link (RFC 8058) for everything that is not about the account's security; for
    the newsletter, the subscriber's own link (it names the subscriber and the address)."""
    spec = EVENTS[notification.event]
    if spec.audience == READERS:
        subscriber_id = (notification.params or {}).get("subscriber_id")
        if not spec.one_click_unsubscribe or subscriber_id is None:
            return None
        return links.link("reader_unsubscribe_link", subscriber_id, notification.email)
    if notification.recipient_id is None or not spec.one_click_unsubscribe:
        return None
    if discreet(notification):
        # Its link would name the kind of news (the token is signed, not secret), and every discreet email looks
        # alike, so "stop emails like this one" could not say which: the email links to the choices instead.
        return None
    return external_url("notifications.unsubscribe",
                        token=links.unsubscribe_token(notification.recipient_id, notification.event))


def discreet(notification: Notification) -> bool:
    """Whether this email goes out discreet: the one place that decides, when the email is composed, from the
    recipient's setting at that moment (so a change reaches mail still waiting in the outbox or for a retry).

    Discreet means that the email names no story, no person and nothing anyone wrote. Security notices are
    never discreet (their links must work, and they name no story anyway); mail to a bare address (an
    invitation, the newsletter) has no recipient whose choice could apply.
    """
    recipient = notification.recipient
    return recipient is not None and recipient.discreet_emails and not EVENTS[notification.event].security


def render_bodies(notification: Notification, unsubscribe: str | None = "") -> tuple[str, str]:
    """The plain-text and HTML bodies of the event's email (``emails/<event>.html``) in the desk's wording, or
    the discreet email (:func:`discreet`); ``unsubscribe`` is the notification's unsubscribe link if the caller
    has made it already."""
    if unsubscribe == "":
        unsubscribe = unsubscribe_url(notification)
    preferences = external_url("notifications.preferences") if unsubscribe else None
    if discreet(notification):
        return render.render_discreet_bodies(action_url=external_url("notifications.inbox"), unsubscribe_url=None,
                                             preferences_url=external_url("notifications.preferences"))
    recipient = notification.recipient
    # Someone who chose discreet emails is not greeted by name in the emails that stay plain either (a name in
    # a mailbox read by someone else ties the mailbox to the desk's pen name).
    recipient_name = recipient.display_name if recipient is not None and not recipient.discreet_emails else None
    # The recipient's id is there for the emails' links ("This was not me"), also in notifications written before
    # an event's params named it.
    params = {"user_id": notification.recipient_id, **(notification.params or {})} \
        if notification.recipient_id is not None else (notification.params or {})
    if notification.event == "digest.daily":
        params = _digest_in_this_language(params)
    return render.render_bodies(notification.event, params, recipient_name=recipient_name, links=links.builders(),
                                unsubscribe_url=unsubscribe, preferences_url=preferences)


def _digest_in_this_language(params: dict) -> dict:
    """A digest lists the subjects of the notifications it carries: written again now, in the language being
    spoken (a digest written before they carried their notification's id keeps the subjects it has)."""
    held = params.get("held") or []
    ids = [item["notification_id"] for item in held if isinstance(item, dict) and item.get("notification_id")]
    if not ids:
        return params
    found = {n.id: n for n in db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids)))}
    return {**params, "held": [{**item, "subject": subject_of(found[item["notification_id"]])}
                               if isinstance(item, dict) and item.get("notification_id") in found else item
                               for item in held]}


def speaker(notification: Notification) -> tuple[str | None, str | None]:
    """The language and time zone of the recipient (None: the desk's defaults, as for a bare address)."""
    recipient = notification.recipient
    if recipient is None:
        return None, None
    return recipient.locale, recipient.time_zone


def subject_of(notification: Notification) -> str:
    """The subject in the desk's wording, over the notification's params and ``outlet``: what the lists behind
    sign-in show. The email's own subject is this one unless the email is discreet (:func:`compose`)."""
    return render.render_subject(notification.event, notification.params or {})


def subjects_of(notifications) -> dict[int, str]:
    """Each notification's subject by its id, for a page that lists them behind sign-in (the view reads them;
    the page only shows them)."""
    return {notification.id: subject_of(notification) for notification in notifications}


def email_subject(notification: Notification) -> str:
    """The subject the email itself carries: a discreet email's says only that there is news."""
    return render.discreet_subject() if discreet(notification) else subject_of(notification)


def email_subjects_of(notifications) -> dict[int, str]:
    """Each notification's email subject by its id, for a page that says what was emailed (a story's timeline,
    the deliveries): never one the email did not carry."""
    return {notification.id: email_subject(notification) for notification in notifications}


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, _UTF8_WORDS)


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset=_UTF8_WORDS)


def _text_part(body: str, subtype: str) -> MIMEText:
    return MIMEText(body, subtype, _UTF8_QP)


# Long headers (the unsubscribe link) stay on one line (RFC 5322 allows 998 characters); encoded words fold
# themselves.
_POLICY = compat32.clone(max_line_length=998)
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any mail client's source view, unlike base64
_UTF8_WORDS = Charset("utf-8")
_UTF8_WORDS.header_encoding = BASE64  # choosing the shorter of Q and B per header costs more than the rest


def compose(notification: Notification) -> Message:
    """The multipart (plain text + HTML) email for a notification.

    Built with the ``email.mime`` classes: the modern ``EmailMessage`` parses and refolds every header it is
    given, which cost more than all the rest of a delivery. Non-ASCII subjects and names are encoded as
    RFC 2047 words, bodies as quoted-printable UTF-8. Written in the recipient's language and time zone.
    """
    with speaking(*speaker(notification)):
        return _compose(notification)


def _compose(notification: Notification) -> Message:
    unsubscribe = unsubscribe_url(notification)
    text_body, html_body = render_bodies(notification, unsubscribe)
    is_discreet = discreet(notification)
    message = MIMEMultipart("alternative", policy=_POLICY)
    message["Subject"] = _header(email_subject(notification))
    message["From"] = _address(current_app.config["MAIL_FROM"])
    message["To"] = _address(notification.email)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(notification)
    # A discreet email's source does not say what kind of news it is either.
    message["X-Workflow-Event"] = "discreet" if is_discreet else notification.event
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(_text_part(text_body, "plain"))
    message.attach(_text_part(html_body, "html"))
    return message


def send(message: Message | EmailMessage) -> str:
    """Send one message on a connection of its own; return the server's reply to the end of data. (Delivery
    sends a batch over one connection: see :class:`workflow.notifications.smtp.Connection`.)"""
    with smtp.Connection() as connection:
        return connection.send(message)

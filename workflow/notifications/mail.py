"""Compose a notification as a multipart email and send it over SMTP."""

from __future__ import annotations

import email.policy
import html
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app, render_template, url_for
from jinja2.sandbox import SandboxedEnvironment

from workflow.notifications.events import EVENTS
from workflow.notifications.models import Notification


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, built from WORKFLOW_BASE_URL (workers have no request)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def message_id(notification: Notification) -> str:
    """Stable across retries, so a mail server or client can recognise a repeat."""
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<notification-{notification.id}@{domain}>"


def _links() -> dict:
    """Link builders for the email templates; tokens are made at send time and never stored."""
    from workflow.auth import services as accounts
    from workflow.auth.models import User
    from workflow.extensions import db

    def reset_link(user_id: int) -> str:
        return external_url("auth.reset_password", token=accounts.reset_token(db.session.get(User, user_id)))

    return {
        "confirm_link": lambda user_id, email: external_url(
            "auth.confirm", token=accounts.confirmation_token(user_id, email)),
        "reset_link": reset_link,
        "invitation_link": lambda invitation_id: external_url(
            "auth.accept_invitation", token=accounts.invitation_token(invitation_id)),
        "submission_link": lambda submission_id: external_url("submissions.detail", submission_id=submission_id),
        "external_url": external_url,
    }


def unsubscribe_url(notification: Notification) -> str | None:
    """The one-click unsubscribe link (RFC 8058) for everything that is not about the account's security."""
    if notification.recipient_id is None or not EVENTS[notification.event].one_click_unsubscribe:
        return None
    from workflow.notifications.services import unsubscribe_token

    return external_url("notifications.unsubscribe",
                        token=unsubscribe_token(notification.recipient_id, notification.event))


def render_bodies(notification: Notification) -> tuple[str, str]:
    """The plain-text and HTML bodies, both from the event's one template (``emails/<event>.html``)."""
    params = dict(notification.params or {})
    unsubscribe = unsubscribe_url(notification)
    context = {
        "notification": notification,
        "recipient": notification.recipient,
        "outlet": current_app.config["OUTLET_NAME"],
        "unsubscribe_url": unsubscribe,
        "preferences_url": external_url("notifications.preferences") if unsubscribe else None,
        **_links(),
        **params,
    }
    template = f"emails/{notification.event}.html"
    html_body = render_template(template, layout="emails/_layout.html", **context)
    # The template is autoescaped for HTML; the plain-text part is never read as HTML, so undo the escaping.
    text_body = html.unescape(render_template(template, layout="emails/_layout.txt", **context))
    return text_body, html_body


_subjects = SandboxedEnvironment(autoescape=False)


def subject_of(notification: Notification) -> str:
    params = {"outlet": current_app.config["OUTLET_NAME"], **(notification.params or {})}
    return " ".join(_subjects.from_string(EVENTS[notification.event].subject).render(**params).split())


def compose(notification: Notification) -> EmailMessage:
    text_body, html_body = render_bodies(notification)
    message = EmailMessage()
    message["Subject"] = subject_of(notification)
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = notification.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(notification)
    message["X-Workflow-Event"] = notification.event
    unsubscribe = unsubscribe_url(notification)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    return message


def send(message: EmailMessage) -> str:
    """Send through the configured SMTP server; return the server's reply to the end of data."""
    config = current_app.config
    connection_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
    with connection_class(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.ehlo_or_helo_if_needed()
        sender = parseaddr(message["From"])[1]
        recipient = parseaddr(message["To"])[1]
        code, reply = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = smtp.data(message.as_bytes(policy=email.policy.SMTP))
        if code != 250:  # smtplib raises only when DATA itself is refused, not the message after it
            raise smtplib.SMTPDataError(code, reply)
        return f"{code} {reply.decode(errors='replace')}"

"""Every kind of notification: its subject and whether it is about account security.

The email body is ``templates/emails/<event>.txt`` (plain text) and ``templates/emails/<event>.html``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    name: str
    subject: str  # a str.format template over the notification's params
    security: bool = False


EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        Event("account.confirm_email", "Confirm your email address", security=True),
        Event("account.already_registered", "About your {outlet} account", security=True),
        Event("account.confirm_new_email", "Confirm your new email address", security=True),
        Event("account.email_changed", "Your email address was changed", security=True),
        Event("account.reset_password", "Reset your password", security=True),
        Event("account.password_changed", "Your password was changed", security=True),
        Event("account.invitation", "You are invited to join the {outlet} desk as {role}", security=True),
        Event("account.role_changed", "Your role on the desk is now {role}", security=True),
        Event("submission.received", "We received your pitch: {headline}"),
        Event("submission.new_pitch", "New pitch: {headline}"),
        Event("submission.assigned", "Your pitch was commissioned: {headline}"),
        Event("submission.assigned_to_you", "Assigned to you: {headline}"),
        Event("submission.declined", "About your pitch: {headline}"),
        Event("submission.draft_saved", "New draft from {author}: {headline}"),
        Event("submission.edited", "Your story is edited and ready: {headline}"),
        Event("submission.revision_requested", "Your editor asks for a revision: {headline}"),
        Event("submission.published", "Published: {headline}"),
        Event("submission.unpublished", "Unpublished: {headline}"),
        Event("submission.reopened", "Your pitch is back in the queue: {headline}"),
        Event("submission.withdrawn", "Withdrawn by the contributor: {headline}"),
        Event("submission.message", "New message from {author} about: {headline}"),
    )
}

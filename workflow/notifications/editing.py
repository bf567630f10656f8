"""Changing the wording of an email (admins and editors, from the admin pages): who may, checking new wording
field by field against each event's samples, saving and resetting it (in the action log), and the preview."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup

from workflow.core.audit import record
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.i18n import _, format_number
from workflow.core.models import utcnow
from workflow.core.urls import external_url
from workflow.extensions import db
from workflow.notifications import links
from workflow.notifications.email_files import BASE_LANGUAGE, email_file, fixed_names
from workflow.notifications.events import EVENTS, NO_RECIPIENT, SAMPLE_RECIPIENT, SAMPLES
from workflow.notifications.models import EmailTemplate
from workflow.notifications.render import plain_context, render_bodies, render_subject, subject_context, trusted_parts
from workflow.notifications.safe_html import html_problems
from workflow.notifications.sandbox import line_of, message, problems, render
from workflow.notifications.wording import Wording, default_wording, forget_overrides

log = logging.getLogger(__name__)

MAX_LENGTH = {"subject": 300, "action_label": 200}
MAX_BLOCK_LENGTH = 5000


class WordingInvalid(DomainError):
    """Some fields of a wording do not work; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("The wording cannot be used as it is. Check the fields marked below."))
        self.errors = errors


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class ContextName:
    """One name the wording of an event can use, with a sample value, for the edit page."""

    name: str
    example: str
    in_subject: bool
    about: str = ""


def can_edit_wording(user, event: str) -> bool:
    """Editors change the wording of the workflow's emails; the account and security emails, which carry
    sign-in links, only admins."""
    spec = EVENTS.get(event)
    if spec is None or not getattr(user, "is_staff", False):
        return False
    return user.is_admin or not spec.security


def _normalised(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def check(event: str, subject: str | None, blocks: Mapping[str, str | None],
          language: str = BASE_LANGUAGE) -> Wording:
    """The wording typed into the form for readers of ``language``, checked field by field; WordingInvalid
    lists every problem."""
    default = default_wording(event, language)
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = [_("A subject is one line: remove the line breaks.")]
    elif len(subject) > MAX_LENGTH["subject"]:
        errors["subject"] = [_("A subject has at most %(limit)s characters.", limit=MAX_LENGTH["subject"])]
    texts = {name: _normalised(blocks.get(name)) for name in default.blocks}
    for name, text in texts.items():
        limit = MAX_LENGTH.get(name, MAX_BLOCK_LENGTH)
        if len(text) > limit:
            errors[name] = [_("At most %(limit)s characters.", limit=format_number(limit))]
        elif name == "action_label" and not text:
            errors[name] = [_("Write the label of the button.")]
    samples = sample_context(event)
    subject_samples = subject_context(sample_params(event))
    for name, source, context in [("subject", subject, subject_samples),
                                  *((name, text, samples) for name, text in texts.items())]:
        if name in errors:
            continue
        found = problems(source, context)
        if not found:
            try:  # with sample values: a refused attribute, a comparison that cannot be made
                render(source, context, autoescape=name != "subject", strict=True)
            except Exception as error:  # whatever the wording does wrong is told to whoever wrote it
                line = line_of(error)
                found = [f"{f'Line {line}: ' if line else ''}{message(error)}"]
        if not found and name != "subject":  # the subject is plain text; the blocks are HTML
            found = html_problems(source, context)
        if found:
            errors[name] = found
    if errors:
        raise WordingInvalid(errors)
    # Blocks left as the file has them are not stored: they follow the file if a developer improves it.
    unchanged = {name for name, text in texts.items() if text == _normalised(default.blocks[name])}
    return Wording(event, subject, {name: default.blocks[name] if name in unchanged else text
                                    for name, text in texts.items()}, customised=True, language=language)


def _key(event: str, language: str) -> dict:
    return {"event": event, "language": language}


def save_wording(actor, event: str, subject: str, blocks: Mapping[str, str],
                 language: str = BASE_LANGUAGE) -> EmailTemplate | None:
    """Use this wording for the event's emails to readers of ``language`` from now on. Checks it first
    (WordingInvalid); only the blocks that differ from the language's default are stored, and wording identical
    to that default removes the customisation."""
    if not can_edit_wording(actor, event):
        raise PermissionDenied(_("You cannot change the wording of this email."))
    wording = check(event, subject, blocks, language)
    default = default_wording(event, language)
    changed = {name: text for name, text in wording.blocks.items() if text != default.blocks[name]}
    row = db.session.get(EmailTemplate, _key(event, language))
    forget_overrides()
    if not changed and wording.subject == default.subject:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        _record(actor, "save_email_wording", event, language, "the default", {"default": True})
        log.info("user %s saved the default wording of %s (%s)", actor.id, event, language)
        return None
    if row is None:
        try:
            with db.session.begin_nested():
                row = EmailTemplate(event=event, language=language, subject=wording.subject, blocks=changed)
                db.session.add(row)
        except sa.exc.IntegrityError:  # someone saved this email's first wording meanwhile: the later save wins
            row = db.session.get(EmailTemplate, _key(event, language))
    row.subject = wording.subject
    row.blocks = changed
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    _record(actor, "save_email_wording", event, language)
    log.info("user %s saved the wording of %s (%s: subject and %s)", actor.id, event, language,
             ", ".join(sorted(changed)) or "no block")
    return row


def _record(actor, action: str, event: str, language: str, detail: str = "", params: dict | None = None) -> None:
    # The default language's entries read as they always did.
    about = f"email {event}" if language == BASE_LANGUAGE else f"email {event} ({language})"
    record(actor, action, about, detail, params)


def reset_wording(actor, event: str, language: str = BASE_LANGUAGE) -> bool:
    """Go back to the language's default wording; False if the event had no wording of its own in it."""
    if not can_edit_wording(actor, event):
        raise PermissionDenied(_("You cannot change the wording of this email."))
    row = db.session.get(EmailTemplate, _key(event, language))
    forget_overrides()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _record(actor, "reset_email_wording", event, language)
    log.info("user %s reset the wording of %s (%s) to the default", actor.id, event, language)
    return True


def sample_params(event: str) -> dict:
    """Sample params for a preview: the known ones, and a placeholder for any other name the file uses."""
    params = dict(SAMPLES.get(event, {}))
    for name in email_file(event).params:
        if name not in params:
            params[name] = 42 if name.endswith("_id") or name == "number" else f"[{name}]"
    return params


def _sample_urls(event: str) -> tuple[str | None, str | None]:
    if not EVENTS[event].one_click_unsubscribe:
        return None, None
    return (external_url("notifications.unsubscribe", token=links.PREVIEW_TOKEN),
            external_url("notifications.preferences"))


def _sample_recipient(event: str) -> str | None:
    return None if event in NO_RECIPIENT else SAMPLE_RECIPIENT


def sample_context(event: str) -> dict:
    """What the wording of a preview sees (the link made without any token)."""
    unsubscribe, preferences = _sample_urls(event)
    plain = plain_context(sample_params(event), recipient_name=_sample_recipient(event), action_url="",
                          unsubscribe_url=unsubscribe, preferences_url=preferences)
    link = trusted_parts(event, plain, links.builders(sample=True)).get("action_url", Markup())
    plain["action_url"] = link.unescape().strip()
    return plain


def context_names(event: str) -> list[ContextName]:
    """The names the wording of this event can use, with sample values, for the edit page."""
    structure = email_file(event)
    params = sample_params(event)
    names = [ContextName(name, str(value), True) for name, value in params.items()]
    samples = sample_context(event)
    for name, about in fixed_names(event, structure.has_link).items():
        example = samples[name]["display_name"] if name == "recipient" and samples[name] else samples[name]
        names.append(ContextName("recipient.display_name" if name == "recipient" else name, str(example or ""),
                                 name == "outlet", about))
    return names


def preview(event: str, subject: str, blocks: Mapping[str, str], language: str = BASE_LANGUAGE) -> Preview:
    """The email as it would be sent with this wording to a reader of ``language``, over sample values;
    nothing is saved. Checks the wording first, as saving does (WordingInvalid)."""
    wording = check(event, subject, blocks, language)
    unsubscribe, preferences = _sample_urls(event)
    params = sample_params(event)
    text_body, html_body = render_bodies(
        event, params, recipient_name=_sample_recipient(event),
        links=links.builders(sample=True), unsubscribe_url=unsubscribe, preferences_url=preferences, wording=wording)
    return Preview(render_subject(event, params, wording), text_body, html_body)

"""The wording of each email, which the desk can change from the admin pages.

An event's email is its file ``templates/emails/<event>.html``: a child of the two layouts that fills the blocks
``lead``, ``quote``, ``action_url``, ``action_label`` and ``next``. Its *wording* is its subject
(``Event.subject``) and its text blocks (:data:`EDITABLE_BLOCKS`, those the file defines, except a block whose
default calls a link builder or loops, like the digest's list: :func:`fixed_blocks`). The desk may replace any
of them; an ``EmailTemplate`` row holds the subject and the blocks that differ from the file's.

The link (``action_url``) is not wording. It is rendered from the file's own block in the app's trusted Jinja
environment, where the link builders that make tokens live. Wording is rendered in a sandbox that sees plain
values only (:func:`plain_context`): the notification's params, ``outlet``, the recipient's display name, the
link as a string already made, and the unsubscribe and preferences addresses. No function is reachable from the
wording, so no wording can make a token, and only names, filters and ``{% if %}`` are allowed in it.

A real email (``mail.render_bodies``) and a preview (:func:`preview`) go through the same :func:`render_bodies`.
"""

from __future__ import annotations

import html
import logging
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app, render_template
from jinja2 import (
    Environment,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    Undefined,
    meta,
    nodes,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import concat
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.events import EVENTS
from workflow.notifications.models import EmailTemplate

log = logging.getLogger(__name__)

LAYOUT_BLOCKS = ("lead", "quote", "action_url", "action_label", "next")
EDITABLE_BLOCKS = ("lead", "quote", "action_label", "next")
MAX_LENGTH = {"subject": 300, "action_label": 200}
MAX_BLOCK_LENGTH = 5000

# Filters that cannot make a long text out of a short one (no center, format, indent, join, replace, wordwrap).
SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "last",
                "length", "lower", "round", "string", "striptags", "title", "trim", "truncate", "upper",
                "wordcount")
# What wording may contain: text, names, attributes and items, filters, tests, comparisons, and/or/not,
# ``~``, conditional expressions and ``{% if %}``. No calls, loops, assignments, macros, includes or arithmetic.
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const,
                  nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test, nodes.Keyword,
                  nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Compare, nodes.Operand,
                  nodes.Concat, nodes.Tuple, nodes.List)
_CONSTRUCTS = {nodes.For: "{% for %}", nodes.Call: "calling a function or method", nodes.Assign: "{% set %}",
               nodes.AssignBlock: "{% set %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
               nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from %}",
               nodes.Extends: "{% extends %}", nodes.Block: "{% block %}", nodes.FilterBlock: "{% filter %}",
               nodes.With: "{% with %}", nodes.Mod: "%", nodes.Pow: "**", nodes.Mul: "*"}

# Names the file's trusted blocks may use that the sandbox never has (besides the link builders and the app's
# template globals, which are looked up when needed).
_TRUSTED_ONLY = frozenset({"notification", "current_user", "logout_form", "super", "self", "caller", "loop",
                           "varargs", "kwargs"})

# The shell that puts the rendered parts into the layouts; a block the file does not define keeps the layout's.
_SHELL = "{% extends layout %}" + "".join(
    f'{{% block {name} %}}{{% if "{name}" in parts %}}{{{{ parts["{name}"] }}}}{{% else %}}{{{{ super() }}}}'
    f"{{% endif %}}{{% endblock %}}" for name in LAYOUT_BLOCKS)

_BLOCK_RE = re.compile(r"{%(-?)\s*block\s+(\w+)\s*(-?)%}(.*?){%(-?)\s*endblock(?:\s+\w+)?\s*(-?)%}", re.S)
_CACHE_KEY = "workflow.email_wording"


class WordingInvalid(DomainError):
    """Some fields of a wording do not work; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The wording cannot be used as it is. Check the fields marked below.")
        self.errors = errors


class NotExtractable(Exception):
    """An email file whose blocks cannot be read apart (a developer's mistake, found by the tests)."""


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


@dataclass(frozen=True)
class _File:
    blocks: dict[str, str]  # every block of the file: name -> source
    editable: tuple[str, ...]  # the wording: blocks that the sandbox can render
    params: tuple[str, ...]  # the notification params its blocks and subject use
    has_link: bool


# The sandbox ------------------------------------------------------------------------------------------------

class _Sandbox(ImmutableSandboxedEnvironment):
    """A sandbox with no globals and a short list of filters, where ``a.b`` and ``a["b"]`` read a mapping's keys
    (and a list's or a text's items) and nothing else: the wording sees plain data and has no use for any
    method or attribute of it. Anything else is an error, where the standard sandbox renders an unsafe
    attribute as an empty string and so hides the mistake from whoever wrote it."""

    def getattr(self, obj, attribute):
        if isinstance(obj, Mapping):
            return self.getitem(obj, attribute)
        if isinstance(obj, Undefined):
            return obj  # it tells what was missing in the first place
        if obj is None:
            return self.undefined(obj=obj, name=attribute)
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, (Mapping, list, tuple, str)):
            try:
                return obj[argument]
            except (TypeError, LookupError):
                pass
        if isinstance(obj, Undefined):
            return obj
        if obj is None or isinstance(obj, (Mapping, list, tuple, str)):
            return self.undefined(obj=obj, name=argument)
        return self.unsafe_undefined(obj, argument)

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"“{attribute}” of a {type(obj).__name__} cannot be used in an email.")


def _sandbox(autoescape: bool, strict: bool = False) -> Environment:
    # keep_trailing_newline: a block's source renders as it did inside its file, up to {% endblock %}.
    env = _Sandbox(autoescape=autoescape, keep_trailing_newline=True,
                   undefined=StrictUndefined if strict else Undefined)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    return env


# The text part is the HTML-escaped output unescaped (as ever); subjects are plain. The strict ones check new
# wording against the samples: there ``recipient.nmae`` is a mistake to show, while in a real email a param
# that an older notification lacks is better left empty.
_SANDBOXES = {(autoescape, strict): _sandbox(autoescape, strict) for autoescape in (True, False)
              for strict in (True, False)}
_HTML = _SANDBOXES[True, False]


@lru_cache(maxsize=512)
@lru_cache(maxsize=1024)
def _compile(source: str, autoescape: bool, strict: bool = False) -> Template:
    """Compiled once per source (``from_string`` does not cache, and compiling costs more than rendering)."""
    return _SANDBOXES[autoescape, strict].from_string(source)


def _problems(source: str, allowed: Mapping[str, object] | None, forbidden: frozenset[str] = frozenset()) -> list:
    """What is wrong with a piece of wording, as "Line n: ..." messages, one per line at most (empty if
    nothing). Names must be in ``allowed`` (when given) and never in ``forbidden``."""
    try:
        ast = _HTML.parse(source)
    except TemplateSyntaxError as error:
        return [f"Line {error.lineno}: {error.message}"]
    problems: dict[int, str] = {}

    def refuse(node: nodes.Node) -> None:
        what = next((label for kind, label in _CONSTRUCTS.items() if isinstance(node, kind)), "this")
        problems.setdefault(node.lineno, f"Line {node.lineno}: {what} cannot be used in an email's wording; "
                                         "use names like {{ headline }}, filters and {% if %}.")

    refused = [node for node in ast.find_all(nodes.Node) if not isinstance(node, _ALLOWED_NODES)]
    for node in refused:  # {% for %} before the names it declares; a call after the name it calls
        if not isinstance(node, nodes.Call):
            refuse(node)
    for node in ast.find_all(nodes.Name):
        if node.name in forbidden or (allowed is not None and node.name not in allowed):
            problems.setdefault(node.lineno, f"Line {node.lineno}: there is no “{node.name}” in this email "
                                             "(the names you can use are listed on the page).")
    for node in refused:
        refuse(node)
    if not problems:
        try:  # unknown filters and tests are found here
            _compile(source, True)
        except TemplateSyntaxError as error:
            problems[error.lineno] = f"Line {error.lineno}: {error.message}"
    return [problems[line] for line in sorted(problems)]


def _line_of(error: BaseException) -> int | None:
    """The line of the wording where a rendering error happened (Jinja puts template lines in the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else None


def _render(source: str, context: Mapping, autoescape: bool, strict: bool = False) -> str:
    return _compile(source, autoescape, strict).render(context)


# The event's file -------------------------------------------------------------------------------------------

def template_name(event: str) -> str:
    return f"emails/{event}.html"


def _file_source(event: str) -> str:
    env = current_app.jinja_env
    return env.loader.get_source(env, template_name(event))[0]


def has_file(event: str) -> bool:
    try:
        _file_source(event)
    except TemplateNotFound:
        return False
    return True


def editable_events() -> list[str]:
    """The events whose wording can be edited: every event that has an email file, in the order of EVENTS."""
    return [name for name in EVENTS if has_file(name)]


def _trusted_only() -> frozenset[str]:
    from workflow.notifications.mail import _links

    return _TRUSTED_ONLY | frozenset(_links(sample=True)) | frozenset(current_app.jinja_env.globals)


def _structure(event: str) -> _File:
    return _read_file(event, _file_source(event), _trusted_only())


@lru_cache(maxsize=256)
def _read_file(event: str, source: str, trusted_only: frozenset[str]) -> _File:
    """Take the file apart: each block's source, which blocks are wording, which params they use."""
    blocks = {}
    for match in _BLOCK_RE.finditer(source):
        _, name, strip_inside, body, strip_end, _ = match.groups()
        # "{% block x -%}" and "{%- endblock %}" trim the block's own text, as Jinja does.
        if strip_inside:
            body = body.lstrip()
        if strip_end:
            body = body.rstrip()
        blocks[name] = body
    env = current_app.jinja_env
    ast = env.parse(source)
    in_ast = {block.name for block in ast.find_all(nodes.Block)}
    if in_ast != set(blocks):
        raise NotExtractable(f"{template_name(event)}: blocks {sorted(in_ast ^ set(blocks))} cannot be read apart")
    for node in ast.body:  # only {% extends %}, blocks and blank lines: nothing outside a block may matter
        if isinstance(node, nodes.Output) and all(isinstance(n, nodes.TemplateData) and not n.data.strip()
                                                  for n in node.nodes):
            continue
        if not isinstance(node, (nodes.Extends, nodes.Block)):
            raise NotExtractable(f"{template_name(event)} line {node.lineno}: content outside a block")
    editable = tuple(name for name in EDITABLE_BLOCKS
                     if name in blocks and not _problems(blocks[name], None, forbidden=trusted_only))
    used = set()
    for part in [EVENTS[event].subject, *blocks.values()]:
        used |= meta.find_undeclared_variables(env.parse(part))
    params = tuple(sorted(used - trusted_only - set(_fixed_names(event, "action_url" in blocks))))
    return _File(blocks=blocks, editable=editable, params=params, has_link="action_url" in blocks)


def _fixed_names(event: str, has_link: bool) -> dict[str, str]:
    """The names every email of this event has besides its params (name -> what it is)."""
    names = {"outlet": "the outlet's name"}
    if event not in _NO_RECIPIENT:
        names["recipient"] = "the person the email is for"
    if has_link:
        names["action_url"] = "the link of the button, made by the desk"
    if not EVENTS[event].security:
        names["unsubscribe_url"] = "the link that stops emails like this one"
        names["preferences_url"] = "the page where the recipient chooses their emails"
    return names


# Wording: the defaults and the desk's own -------------------------------------------------------------------

@dataclass(frozen=True)
class _Override:
    subject: str
    blocks: dict[str, str]
    updated_at: datetime
    updated_by_id: int | None


def _overrides() -> dict[str, _Override]:
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


def _forget_overrides() -> None:
    db.session().info.pop(_CACHE_KEY, None)


def fixed_blocks(event: str) -> list[str]:
    """The text blocks of the event's file that are not wording: they call link builders or loop over items
    (the digest's list), so they stay as the file has them."""
    structure = _structure(event)
    return [name for name in EDITABLE_BLOCKS if name in structure.blocks and name not in structure.editable]


def default_wording(event: str) -> Wording:
    """The wording of the event's file and of ``Event.subject``."""
    structure = _structure(event)
    return Wording(event, EVENTS[event].subject, {name: structure.blocks[name] for name in structure.editable})


def wording_for(event: str) -> Wording:
    """The wording the event's emails use now: the desk's own where it has one, the default elsewhere."""
    default = default_wording(event)
    override = _overrides().get(event)
    if override is None:
        return default
    blocks = {name: override.blocks.get(name, source) for name, source in default.blocks.items()}
    return Wording(event, override.subject, blocks, customised=True, updated_at=override.updated_at,
                   updated_by_id=override.updated_by_id)


def customisations() -> dict[str, EmailTemplate]:
    """The customised events with who changed them last, for the list of emails."""
    rows = db.session.scalars(sa.select(EmailTemplate).options(joinedload(EmailTemplate.updated_by)))
    return {row.event: row for row in rows}


def can_edit_wording(user, event: str) -> bool:
    """Editors change the wording of the workflow's emails; the account and security emails, which carry
    sign-in links, only admins."""
    spec = EVENTS.get(event)
    if spec is None or not getattr(user, "is_staff", False):
        return False
    return user.is_admin or not spec.security


def _normalised(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _checked(event: str, subject: str | None, blocks: Mapping[str, str | None]) -> Wording:
    """The wording typed into the form, checked field by field; WordingInvalid lists every problem."""
    default = default_wording(event)
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = ["Write a subject."]
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = ["A subject is one line: remove the line breaks."]
    elif len(subject) > MAX_LENGTH["subject"]:
        errors["subject"] = [f"A subject has at most {MAX_LENGTH['subject']} characters."]
    texts = {name: _normalised(blocks.get(name)) for name in default.blocks}
    for name, text in texts.items():
        limit = MAX_LENGTH.get(name, MAX_BLOCK_LENGTH)
        if len(text) > limit:
            errors[name] = [f"At most {limit:,} characters."]
        elif name == "action_label" and not text:
            errors[name] = ["Write the label of the button."]
    samples = sample_context(event)
    subject_samples = _subject_context(sample_params(event))
    for name, source, context in [("subject", subject, subject_samples),
                                  *((name, text, samples) for name, text in texts.items())]:
        if name in errors:
            continue
        problems = _problems(source, context)
        if not problems:
            try:  # with sample values: a refused attribute, a comparison that cannot be made
                _render(source, context, autoescape=name != "subject", strict=True)
            except Exception as error:  # whatever the wording does wrong is told to whoever wrote it
                line = _line_of(error)
                problems = [f"{f'Line {line}: ' if line else ''}{_message(error)}"]
        if problems:
            errors[name] = problems
    if errors:
        raise WordingInvalid(errors)
    # Blocks left as the file has them are not stored: they follow the file if a developer improves it.
    unchanged = {name for name, text in texts.items() if text == _normalised(default.blocks[name])}
    return Wording(event, subject, {name: default.blocks[name] if name in unchanged else text
                                    for name, text in texts.items()}, customised=True)


def _message(error: Exception) -> str:
    if isinstance(error, SecurityError):
        return str(error)
    if isinstance(error, TemplateError):
        return f"{error.message or type(error).__name__}."
    return f"This cannot be shown ({type(error).__name__}: {error})."


def save_wording(actor, event: str, subject: str, blocks: Mapping[str, str]) -> EmailTemplate | None:
    """Use this wording for the event's emails from now on. Checks it first (WordingInvalid); only the blocks
    that differ from the file's are stored, and wording identical to the default removes the customisation."""
    if not can_edit_wording(actor, event):
        raise PermissionDenied("You cannot change the wording of this email.")
    wording = _checked(event, subject, blocks)
    default = default_wording(event)
    changed = {name: text for name, text in wording.blocks.items() if text != default.blocks[name]}
    row = db.session.get(EmailTemplate, event)
    _forget_overrides()
    if not changed and wording.subject == default.subject:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        _record(actor, "save_email_wording", event, "the default")
        log.info("user %s saved the default wording of %s", actor.id, event)
        return None
    if row is None:
        try:
            with db.session.begin_nested():
                row = EmailTemplate(event=event, subject=wording.subject, blocks=changed)
                db.session.add(row)
        except sa.exc.IntegrityError:  # someone saved this email's first wording meanwhile: the later save wins
            row = db.session.get(EmailTemplate, event)
    row.subject = wording.subject
    row.blocks = changed
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    _record(actor, "save_email_wording", event)
    log.info("user %s saved the wording of %s (subject and %s)", actor.id, event,
             ", ".join(sorted(changed)) or "no block")
    return row


def _record(actor, action: str, event: str, detail: str = "") -> None:
    from workflow.core.audit import record

    record(actor, action, f"email {event}", detail)


def reset_wording(actor, event: str) -> bool:
    """Go back to the file's wording; False if the event had no wording of its own."""
    if not can_edit_wording(actor, event):
        raise PermissionDenied("You cannot change the wording of this email.")
    row = db.session.get(EmailTemplate, event)
    _forget_overrides()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _record(actor, "reset_email_wording", event)
    log.info("user %s reset the wording of %s to the default", actor.id, event)
    return True


# Rendering --------------------------------------------------------------------------------------------------

def _plain(value):
    """Only plain data reaches the sandbox (params come from JSON; this keeps it so)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def plain_context(params: Mapping, *, recipient_name: str | None, action_url: str,
                  unsubscribe_url: str | None, preferences_url: str | None) -> dict:
    """What the wording sees: plain values only, never a model or a function."""
    return {
        **_plain(dict(params)),
        "outlet": current_app.config["OUTLET_NAME"],
        "recipient": {"display_name": recipient_name} if recipient_name is not None else None,
        "action_url": action_url,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }


@lru_cache(maxsize=8)
def _shell(env: Environment) -> Template:
    return env.from_string(_SHELL)


def _subject_context(params: Mapping) -> dict:
    return {**_plain(dict(params)), "outlet": current_app.config["OUTLET_NAME"]}


def render_subject(event: str, params: Mapping, wording: Wording | None = None) -> str:
    """The subject line over the params and ``outlet``, on one line (the default if the desk's fails).
    Lists of notifications show many subjects: this reads no file and, per transaction, one query."""
    override = _overrides().get(event) if wording is None else None
    source = wording.subject if wording is not None else override.subject if override else EVENTS[event].subject
    context = _subject_context(params)
    try:
        subject = _render(source, context, autoescape=False)
    except Exception:
        if override is None:
            raise
        log.exception("the desk's subject for %s cannot be rendered; the default subject is sent", event)
        subject = _render(EVENTS[event].subject, context, autoescape=False)
    return " ".join(subject.split())


def render_bodies(event: str, params: Mapping, *, recipient_name: str | None, links: Mapping,
                  unsubscribe_url: str | None = None, preferences_url: str | None = None,
                  wording: Wording | None = None) -> tuple[str, str]:
    """The plain-text and HTML bodies of an event's email, in its current wording or in ``wording``.

    The file's link (and any block of it that is not wording) is rendered in the app's environment with the
    link builders; the wording in the sandbox with plain values. Both bodies come from the same rendered parts,
    put into ``emails/_layout.html`` and ``emails/_layout.txt``; the text part is the HTML-escaped output
    unescaped, as it always was. If the desk's stored wording fails with these params, the default is sent
    (and the failure logged): an email is never held back by its wording. An explicit ``wording`` (a
    preview) is never replaced.
    """
    plain = plain_context(params, recipient_name=recipient_name, action_url="",
                          unsubscribe_url=unsubscribe_url, preferences_url=preferences_url)
    parts = _trusted_parts(event, plain, links)
    plain["action_url"] = parts.get("action_url", Markup()).unescape().strip()  # a plain str
    chosen = wording or wording_for(event)
    try:
        parts |= {name: Markup(_render(source, plain, autoescape=True)) for name, source in chosen.blocks.items()}
    except Exception:
        if wording is not None or not chosen.customised:
            raise
        log.exception("the desk's wording of %s cannot be rendered; the default wording is sent", event)
        parts |= {name: Markup(_render(source, plain, autoescape=True))
                  for name, source in default_wording(event).blocks.items()}
    shell = _shell(current_app.jinja_env)
    from workflow.notifications.events import EVENTS, READERS

    for_readers = EVENTS[event].audience == READERS  # a newsletter reader: no account, no preferences page
    context = {"outlet": plain["outlet"], "recipient": plain["recipient"], "unsubscribe_url": unsubscribe_url,
               "preferences_url": None if for_readers else preferences_url, "for_readers": for_readers,
               "parts": parts}
    html_body = render_template(shell, layout="emails/_layout.html", **context)
    text_body = html.unescape(render_template(shell, layout="emails/_layout.txt", **context))
    return text_body, html_body


def _trusted_parts(event: str, plain: dict, links: Mapping) -> dict[str, Markup]:
    """The file's blocks that are not wording (the link above all), rendered by the app's own environment
    with the link builders, as the whole file was rendered before the wording could be edited."""
    structure = _structure(event)
    template = current_app.jinja_env.get_template(template_name(event))
    variables = {**plain, **links}
    current_app.update_template_context(variables)
    context = template.new_context(variables)
    return {name: Markup(concat(template.blocks[name](context)))
            for name in LAYOUT_BLOCKS if name in structure.blocks and name not in structure.editable}


# Samples and preview ----------------------------------------------------------------------------------------

_STORY = {"submission_id": 42, "headline": "The night bakers of the old city"}
_TRANSITION = {**_STORY, "actor": "Sam Editor", "comment": ""}
# The params of each event as notify() is called with them in workflow/ (auth and submissions services).
SAMPLES: dict[str, dict] = {
    "account.already_registered": {},
    "account.confirm_email": {"user_id": 7, "email_to_confirm": "rana.field@example.org"},
    "account.confirm_new_email": {"user_id": 7, "email_to_confirm": "rana.new@example.org"},
    "account.email_changed": {"new_email": "rana.new@example.org"},
    "account.reset_password": {"user_id": 7},
    "account.password_changed": {"user_id": 7},
    "account.invitation": {"invitation_id": 3, "role": "editor", "inviter": "Ada Admin"},
    "account.role_changed": {"role": "editor"},
    "account.sign_in_link": {"user_id": 7, "remember": False, "next_page": ""},
    "account.new_sign_in": {"user_id": 7, "device": "Firefox on Windows"},
    "account.factor_added": {"user_id": 7, "factor": "authenticator app"},
    "account.factor_removed": {"user_id": 7, "factor": "authenticator app", "by_admin": False},
    "account.recovery_code_used": {"user_id": 7, "left": 9},
    "account.recovery_codes_regenerated": {"user_id": 7},
    "submission.received": dict(_STORY),
    "submission.new_pitch": {**_STORY, "author": "R. Field"},
    "submission.assigned": {**_TRANSITION, "deadline": "2026-05-04", "editor": "Sam Editor",
                            "assigned_words": 1200, "fee": "450.00"},
    "submission.assigned_to_you": {**_TRANSITION, "actor": "Ada Admin", "deadline": "2026-05-04"},
    "submission.declined": {**_TRANSITION, "comment": "We covered the bakeries last month; the millers would be new."},
    "submission.edited": dict(_TRANSITION),
    "submission.revision_requested": {**_TRANSITION, "comment": "Please add a second source for the flour prices."},
    "submission.published": dict(_TRANSITION),
    "submission.unpublished": {**_TRANSITION, "comment": "A source asked us to check a figure."},
    "submission.reopened": {**_TRANSITION, "comment": "The story is timely again."},
    "submission.withdrawn": {**_TRANSITION, "actor": "Rana Field", "comment": "I cannot reach my sources now."},
    "submission.message": {**_STORY, "author": "Sam Editor", "body": "Could you send the photos by Friday?"},
    "submission.draft_saved": {**_STORY, "author": "Rana Field", "number": 2, "note": "Added the millers' union."},
    # workflow/notifications/schedule.py
    "reminder.deadline_soon": {**_STORY, "deadline": "04 May 2026", "editor": "Sam Editor"},
    "reminder.overdue": {**_STORY, "deadline": "04 May 2026", "editor": "Sam Editor"},
    "digest.daily": {
        "day": "02 May 2026", "staff": True, "desk": True, "promise_days": 7,
        "held": [{"subject": "New message from Rana Field about: The night bakers of the old city",
                  "submission_id": 42, "at": "01 May, 16:20 UTC"}], "held_more": 0,
        "new_pitches": [{"id": 43, "headline": "Water trucks at dawn", "author": "R. Field", "editor": "",
                         "date": "01 May 2026"}], "new_pitches_more": 0,
        "due_today": [], "due_today_more": 0, "overdue": [], "overdue_more": 0,
        "past_promise": [], "past_promise_more": 0,
    },
}
_NO_RECIPIENT = {"account.invitation"}  # sent to an address, not to an account
SAMPLE_RECIPIENT = "Rana Field"
PREVIEW_TOKEN = "preview-no-token"


def sample_params(event: str) -> dict:
    """Sample params for a preview: the known ones, and a placeholder for any other name the file uses."""
    params = dict(SAMPLES.get(event, {}))
    for name in _structure(event).params:
        if name not in params:
            params[name] = 42 if name.endswith("_id") or name == "number" else f"[{name}]"
    return params


def _sample_urls(event: str) -> tuple[str | None, str | None]:
    if not EVENTS[event].one_click_unsubscribe:
        return None, None
    from workflow.notifications.mail import external_url

    return (external_url("notifications.unsubscribe", token=PREVIEW_TOKEN),
            external_url("notifications.preferences"))


def _sample_recipient(event: str) -> str | None:
    return None if event in _NO_RECIPIENT else SAMPLE_RECIPIENT


def sample_context(event: str) -> dict:
    """What the wording of a preview sees (the link made without any token)."""
    from workflow.notifications.mail import _links

    unsubscribe, preferences = _sample_urls(event)
    plain = plain_context(sample_params(event), recipient_name=_sample_recipient(event), action_url="",
                          unsubscribe_url=unsubscribe, preferences_url=preferences)
    link = _trusted_parts(event, plain, _links(sample=True)).get("action_url", Markup())
    plain["action_url"] = link.unescape().strip()
    return plain


def context_names(event: str) -> list[ContextName]:
    """The names the wording of this event can use, with sample values, for the edit page."""
    structure = _structure(event)
    params = sample_params(event)
    names = [ContextName(name, str(value), True) for name, value in params.items()]
    samples = sample_context(event)
    for name, about in _fixed_names(event, structure.has_link).items():
        example = samples[name]["display_name"] if name == "recipient" and samples[name] else samples[name]
        names.append(ContextName("recipient.display_name" if name == "recipient" else name, str(example or ""),
                                 name == "outlet", about))
    return names


def preview(event: str, subject: str, blocks: Mapping[str, str]) -> Preview:
    """The email as it would be sent with this wording, over sample values; nothing is saved. Checks the
    wording first, as saving does (WordingInvalid)."""
    from workflow.notifications.mail import _links

    wording = _checked(event, subject, blocks)
    unsubscribe, preferences = _sample_urls(event)
    params = sample_params(event)
    text_body, html_body = render_bodies(
        event, params, recipient_name=_sample_recipient(event),
        links=_links(sample=True), unsubscribe_url=unsubscribe, preferences_url=preferences, wording=wording)
    return Preview(render_subject(event, params, wording), text_body, html_body)

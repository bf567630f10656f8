"""An event's email file, ``templates/emails/<event>.html``, taken apart: its blocks, which of them are wording
(text the desk may replace, rendered in the sandbox) and which are fixed (the link, and blocks that call a link
builder or loop), and the notification params it uses.

A file is a child of the two layouts (``emails/_layout.html`` and ``emails/_layout.txt``) that fills the blocks
``lead``, ``quote``, ``action_url``, ``action_label`` and ``next``. The English files are the base; another
language's default wording is ``templates/emails/<language>/<event>.html``, with the same blocks and a
``subject`` block of its own (the English subject is ``Event.subject``). Its blocks are read with Jinja's own lexer
and parser, so a block's text is what Jinja renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from jinja2 import TemplateNotFound, meta, nodes
from jinja2 import lexer as tokens

from workflow.core.i18n import _
from workflow.notifications import links
from workflow.notifications.events import EVENTS, NO_RECIPIENT
from workflow.notifications.sandbox import problems

LAYOUT_BLOCKS = ("lead", "quote", "action_url", "action_label", "next")
EDITABLE_BLOCKS = ("lead", "quote", "action_label", "next")

# Names the file's trusted blocks may use that the sandbox never has (besides the link builders and the app's
# template globals, which are looked up when needed).
_TRUSTED_ONLY = frozenset({"notification", "current_user", "logout_form", "super", "self", "caller", "loop",
                           "varargs", "kwargs"})

class NotExtractable(Exception):
    """An email file whose blocks cannot be read apart (a developer's mistake, found by the tests)."""


@dataclass(frozen=True)
class EmailFile:
    blocks: dict[str, str]  # every block of the file: name -> source
    editable: tuple[str, ...]  # the wording: blocks that the sandbox can render
    params: tuple[str, ...]  # the notification params its blocks and subject use
    has_link: bool


BASE_LANGUAGE = "en"  # the language of templates/emails/<event>.html and of Event.subject


def template_name(event: str, language: str | None = None) -> str:
    if language is None or language == BASE_LANGUAGE:
        return f"emails/{event}.html"
    return f"emails/{language}/{event}.html"


def file_source(event: str, language: str | None = None) -> str:
    env = current_app.jinja_env
    return env.loader.get_source(env, template_name(event, language))[0]


def has_file(event: str, language: str | None = None) -> bool:
    try:
        file_source(event, language)
    except TemplateNotFound:
        return False
    return True


def editable_events() -> list[str]:
    """The events whose wording can be edited: every event that has an email file, in the order of EVENTS."""
    return [name for name in EVENTS if has_file(name)]


def trusted_only() -> frozenset[str]:
    return _TRUSTED_ONLY | links.names() | frozenset(current_app.jinja_env.globals)


def email_file(event: str, language: str | None = None) -> EmailFile:
    """The file of the event in ``language`` (the base English file by default): TemplateNotFound if that
    language has none."""
    return _read_file(event, file_source(event, language), trusted_only())


@lru_cache(maxsize=256)
def _read_file(event: str, source: str, trusted_only: frozenset[str]) -> EmailFile:
    """Take the file apart: each block's source, which blocks are wording, which params they use."""
    blocks = _blocks(source)
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
                     if name in blocks and not problems(blocks[name], None, forbidden=trusted_only))
    used = set()
    for part in [EVENTS[event].subject, *blocks.values()]:
        used |= meta.find_undeclared_variables(env.parse(part))
    params = tuple(sorted(used - trusted_only - set(fixed_names(event, "action_url" in blocks))))
    return EmailFile(blocks=blocks, editable=editable, params=params, has_link="action_url" in blocks)


def fixed_names(event: str, has_link: bool) -> dict[str, str]:
    """The names every email of this event has besides its params (name -> what it is, for the edit page)."""
    names = {"outlet": _("the outlet's name")}
    if event not in NO_RECIPIENT:
        names["recipient"] = _("the person the email is for")
    if has_link:
        names["action_url"] = _("the link of the button, made by the desk")
    if not EVENTS[event].security:
        names["unsubscribe_url"] = _("the link that stops emails like this one")
        names["preferences_url"] = _("the page where the recipient chooses their emails")
    return names


def _blocks(source: str) -> dict[str, str]:
    """Each block's text, as Jinja's lexer reads it ("{% block x -%}" and "{%- endblock %}" trim it, as Jinja
    does); a block inside another is also part of the outer one's text."""
    stream = [(kind, value) for _, kind, value in current_app.jinja_env.lexer.tokeniter(source, None)]
    blocks: dict[str, str] = {}
    opened: list[tuple[str, int]] = []
    position = 0
    while position < len(stream):
        kind, _ = stream[position]
        if kind != tokens.TOKEN_BLOCK_BEGIN:
            position += 1
            continue
        words = []
        end = position + 1
        while stream[end][0] != tokens.TOKEN_BLOCK_END:
            if stream[end][0] == tokens.TOKEN_NAME:
                words.append(stream[end][1])
            end += 1
        if words[:1] == ["block"]:
            opened.append((words[1], end + 1))
        elif words[:1] == ["endblock"]:
            name, start = opened.pop()
            blocks[name] = "".join(value for _, value in stream[start:position])
        position = end + 1
    return blocks

"""Render an event's email: the subject, and the plain-text and HTML bodies, with the wording in force (or a
wording being previewed).

The link (``action_url``) is not wording. It is rendered from the file's own block in the app's trusted Jinja
environment, where the link builders that make tokens live (``links``). Wording is rendered in the sandbox with
plain values only (:func:`plain_context`). A real email (``mail``) and a preview (``editing``) go through the
same :func:`render_bodies`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from functools import lru_cache

from flask import current_app, render_template
from jinja2 import Environment, Template
from jinja2.utils import concat
from markupsafe import Markup

from workflow.notifications.email_files import LAYOUT_BLOCKS, email_file, template_name
from workflow.notifications.events import EVENTS, READERS
from workflow.notifications.safe_html import clean
from workflow.notifications.sandbox import render
from workflow.notifications.wording import Wording, default_wording, overrides, wording_for

log = logging.getLogger(__name__)

# The shell that puts the rendered parts into the layouts; a block the file does not define keeps the layout's.
_SHELL = "{% extends layout %}" + "".join(
    f'{{% block {name} %}}{{% if "{name}" in parts %}}{{{{ parts["{name}"] }}}}{{% else %}}{{{{ super() }}}}'
    f"{{% endif %}}{{% endblock %}}" for name in LAYOUT_BLOCKS)


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


def subject_context(params: Mapping) -> dict:
    return {**_plain(dict(params)), "outlet": current_app.config["OUTLET_NAME"]}


def render_subject(event: str, params: Mapping, wording: Wording | None = None) -> str:
    """The subject line over the params and ``outlet``, on one line (the default if the desk's fails).
    Lists of notifications show many subjects: this reads no file and, per transaction, one query."""
    override = overrides().get(event) if wording is None else None
    source = wording.subject if wording is not None else override.subject if override else EVENTS[event].subject
    context = subject_context(params)
    try:
        subject = render(source, context, autoescape=False)
    except Exception:
        if override is None:
            raise
        log.exception("the desk's subject for %s cannot be rendered; the default subject is sent", event)
        subject = render(EVENTS[event].subject, context, autoescape=False)
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
    parts = trusted_parts(event, plain, links)
    plain["action_url"] = parts.get("action_url", Markup()).unescape().strip()  # a plain str
    chosen = wording or wording_for(event)
    default = default_wording(event)

    def rendered(name: str, source: str) -> Markup:
        html_part = render(source, plain, autoescape=True)
        # The desk's own wording is cleaned every time (rows saved before the checks too); the file's is not.
        return Markup(html_part if source == default.blocks.get(name) else clean(html_part))

    try:
        parts |= {name: rendered(name, source) for name, source in chosen.blocks.items()}
    except Exception:
        if wording is not None or not chosen.customised:
            raise
        log.exception("the desk's wording of %s cannot be rendered; the default wording is sent", event)
        parts |= {name: Markup(render(source, plain, autoescape=True)) for name, source in default.blocks.items()}
    shell = _shell(current_app.jinja_env)
    for_readers = EVENTS[event].audience == READERS  # a newsletter reader: no account, no preferences page
    context = {"outlet": plain["outlet"], "recipient": plain["recipient"], "unsubscribe_url": unsubscribe_url,
               "preferences_url": None if for_readers else preferences_url, "for_readers": for_readers,
               "parts": parts}
    html_body = render_template(shell, layout="emails/_layout.html", **context)
    text_body = html.unescape(render_template(shell, layout="emails/_layout.txt", **context))
    return text_body, html_body


DISCREET_TEMPLATE = "emails/_discreet.html"
DISCREET_SUBJECT = "There is news on the desk"


def render_discreet_bodies(*, action_url: str, unsubscribe_url: str | None,
                           preferences_url: str | None) -> tuple[str, str]:
    """The plain-text and HTML bodies of a discreet email: the same for every event, with no params at all (so
    nothing of the notification can reach it), no greeting by name, and a link to the list of notifications."""
    context = {"outlet": current_app.config["OUTLET_NAME"], "recipient": None, "action_url": action_url,
               "unsubscribe_url": unsubscribe_url, "preferences_url": preferences_url, "for_readers": False}
    html_body = render_template(DISCREET_TEMPLATE, layout="emails/_layout.html", **context)
    text_body = html.unescape(render_template(DISCREET_TEMPLATE, layout="emails/_layout.txt", **context))
    return text_body, html_body


def trusted_parts(event: str, plain: dict, links: Mapping) -> dict[str, Markup]:
    """The file's blocks that are not wording (the link above all), rendered by the app's own environment
    with the link builders, as the whole file was rendered before the wording could be edited."""
    parts_of = email_file(event)
    template = current_app.jinja_env.get_template(template_name(event))
    variables = {**plain, **links}
    current_app.update_template_context(variables)
    context = template.new_context(variables)
    return {name: Markup(concat(template.blocks[name](context)))
            for name in LAYOUT_BLOCKS if name in parts_of.blocks and name not in parts_of.editable}

"""Render an event's email: the subject, and the plain-text and HTML bodies, with the wording in force (or a
wording being previewed).

The link (``action_url``) is not wording. It is rendered from the file's own block in the app's trusted Jinja
environment, where the link builders that make tokens live (``links``). Wording is rendered in the sandbox with
plain values only (:func:`plain_context`). A real email (``mail``) and a preview (``editing``) go through the
same :func:`render_bodies`.

An email speaks the language being spoken when it is rendered (``core.i18n.speaking``: the recipient's, from
``mail``): the wording of that language (``wording.wording_for``), the file's fixed blocks of that language, the
layouts' own words, and the dates its params carry as machine values (:func:`localised`), written for that
reader in their time zone.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache

import flask_babel
from flask import current_app, render_template
from jinja2 import Environment, Template
from jinja2.utils import concat
from markupsafe import Markup

from workflow.core.devices import device_name
from workflow.core.i18n import _, current_direction, current_language, format_date, format_datetime, speaking
from workflow.notifications.email_files import LAYOUT_BLOCKS, email_file, has_file, template_name
from workflow.notifications.events import EVENTS, READERS
from workflow.notifications.safe_html import clean
from workflow.notifications.sandbox import render
from workflow.notifications.wording import Wording, default_wording, subject_for, wording_for

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


# The params that carry a moment or a day as a machine value (an ISO string), written at render time for the
# reader: top-level ones, and those of the items of a list (the digest's). Notifications written before carry
# the English text itself ("04 May 2026"), which is left as it is.
_DAYS = {"deadline", "day"}
_ITEM_DAYS = {"date"}
_ITEM_MOMENTS = {"at"}
LOCALISED_EVENTS = frozenset({"reminder.deadline_soon", "reminder.overdue", "digest.daily"})
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _moment(value) -> datetime | date | None:
    if not isinstance(value, str):
        return None
    try:
        if _ISO_DAY.match(value):
            return date.fromisoformat(value)
        if _ISO_MOMENT.match(value):
            return datetime.fromisoformat(value)
    except ValueError:
        return None
    return None


def _day(value):
    moment = _moment(value)
    return format_date(moment) if moment is not None else value


def _at(value):
    moment = _moment(value)
    if isinstance(moment, datetime):
        return format_datetime(moment)
    return format_date(moment) if moment is not None else value


def localised(event: str, params: Mapping) -> dict:
    """The params with their days and moments written in the language being spoken, in the reader's zone, and
    a new device's name worded in it from its browser and system (those written before carry ``device``, the
    English name, alone: it is left as it is)."""
    params = dict(params)
    if event == "account.new_sign_in" and ("browser" in params or "system" in params):
        params["device"] = device_name(params.get("browser"), params.get("system"))
    if event not in LOCALISED_EVENTS:
        return params
    for name in _DAYS & params.keys():
        params[name] = _day(params[name])
    for name, value in params.items():
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            params[name] = [{key: _day(v) if key in _ITEM_DAYS else _at(v) if key in _ITEM_MOMENTS else v
                             for key, v in item.items()} for item in value]
    return params


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
    """The subject line over the params and ``outlet``, in the language being spoken, on one line (the default
    if the desk's fails). Lists of notifications show many subjects: in the base language this reads no file
    and, per transaction, one query."""
    language, source, customised = ((wording.language, wording.subject, False) if wording is not None
                                    else subject_for(event, current_language()))
    with _written_in(language):
        return _subject(event, params, language, source, customised)


def _subject(event: str, params: Mapping, language: str, source: str, customised: bool) -> str:
    context = subject_context(localised(event, params))
    try:
        subject = render(source, context, autoescape=False)
    except Exception:
        if not customised:
            raise
        log.exception("the desk's subject for %s cannot be rendered; the default subject is sent", event)
        subject = render(default_wording(event, language).subject, context, autoescape=False)
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
    chosen = wording or wording_for(event)
    with _written_in(chosen.language):
        return _bodies(event, params, chosen, recipient_name=recipient_name, links=links,
                       unsubscribe_url=unsubscribe_url, preferences_url=preferences_url, preview=wording is not None)


def _bodies(event: str, params: Mapping, chosen: Wording, *, recipient_name: str | None, links: Mapping,
            unsubscribe_url: str | None, preferences_url: str | None, preview: bool) -> tuple[str, str]:
    plain = plain_context(localised(event, params), recipient_name=recipient_name, action_url="",
                          unsubscribe_url=unsubscribe_url, preferences_url=preferences_url)
    parts = trusted_parts(event, plain, links, chosen.language)
    plain["action_url"] = parts.get("action_url", Markup()).unescape().strip()  # a plain str
    default = default_wording(event, chosen.language)

    def rendered(name: str, source: str) -> Markup:
        html_part = render(source, plain, autoescape=True)
        # The desk's own wording is cleaned every time (rows saved before the checks too); the file's is not.
        return Markup(html_part if source == default.blocks.get(name) else clean(html_part))

    try:
        parts |= {name: rendered(name, source) for name, source in chosen.blocks.items()}
    except Exception:
        if preview or not chosen.customised:
            raise
        log.exception("the desk's wording of %s cannot be rendered; the default wording is sent", event)
        parts |= {name: Markup(render(source, plain, autoescape=True)) for name, source in default.blocks.items()}
    shell = _shell(current_app.jinja_env)
    for_readers = EVENTS[event].audience == READERS  # a newsletter reader: no account, no preferences page
    context = {"outlet": plain["outlet"], "recipient": plain["recipient"], "unsubscribe_url": unsubscribe_url,
               "preferences_url": None if for_readers else preferences_url, "for_readers": for_readers,
               "parts": parts, **_language_of()}
    html_body = render_template(shell, layout="emails/_layout.html", **context)
    text_body = html.unescape(render_template(shell, layout="emails/_layout.txt", **context))
    return text_body, html_body


def _language_of() -> dict:
    """What the layouts say of the email's language (``<html lang dir>``)."""
    return {"email_lang": current_language(), "email_dir": current_direction()}


@contextmanager
def _written_in(language: str):
    """Write the whole email in the language of its wording: a reader whose language has no wording of the
    event (a missing translation) gets it all in the default language, not its greeting alone in theirs; the
    times stay in their zone."""
    if language == current_language():
        yield
        return
    with speaking(language, str(flask_babel.get_timezone())):
        yield


DISCREET_TEMPLATE = "emails/_discreet.html"
DISCREET_SUBJECT = "There is news on the desk"


def discreet_subject() -> str:
    return _("There is news on the desk")


def render_discreet_bodies(*, action_url: str, unsubscribe_url: str | None,
                           preferences_url: str | None) -> tuple[str, str]:
    """The plain-text and HTML bodies of a discreet email: the same for every event, with no params at all (so
    nothing of the notification can reach it), no greeting by name, and a link to the list of notifications."""
    context = {"outlet": current_app.config["OUTLET_NAME"], "recipient": None, "action_url": action_url,
               "unsubscribe_url": unsubscribe_url, "preferences_url": preferences_url, "for_readers": False,
               **_language_of()}
    html_body = render_template(DISCREET_TEMPLATE, layout="emails/_layout.html", **context)
    text_body = html.unescape(render_template(DISCREET_TEMPLATE, layout="emails/_layout.txt", **context))
    return text_body, html_body


def trusted_parts(event: str, plain: dict, links: Mapping, language: str | None = None) -> dict[str, Markup]:
    """The file's blocks that are not wording (the link above all), rendered by the app's own environment
    with the link builders, as the whole file was rendered before the wording could be edited; from the file
    of ``language`` where it has one (the digest's lists are written in it)."""
    if language is not None and not has_file(event, language):
        language = None
    parts_of = email_file(event)
    template = current_app.jinja_env.get_template(template_name(event, language))
    variables = {**plain, **links}
    current_app.update_template_context(variables)
    context = template.new_context(variables)
    return {name: Markup(concat(template.blocks[name](context)))
            for name in LAYOUT_BLOCKS if name in parts_of.blocks and name not in parts_of.editable}

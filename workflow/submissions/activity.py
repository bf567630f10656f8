"""A story's last activity: what the dashboard and the queue say happened to it last ("Olga pitched the story").

``submissions.last_activity`` holds a short code, not a sentence, so that each reader gets the sentence in their
own language, with the name of whoever did it as it is now (``last_activity_by``) and a moment in their own time
zone:

- ``pitched``; ``done:<what>`` for a row of the workflow table (``<what>`` is its ``done`` with hyphens for
  spaces: ``done:assigned-the-story``);
- ``message`` (a message to or from the contributor: internal notes are not a story's last activity);
- ``draft:<number>`` (the contributor saved a revision), ``edit:<number>`` (an editor did);
- ``page`` (the page settings), ``translation`` (which story is its translation), ``scheduled:<ISO moment>``,
  ``unscheduled``;
- ``deleted`` (the contributor's account was deleted: there is nobody to name).

A code has no space. A value with one is a sentence written before the codes (the name and what they did, in
English), and is shown as it was written.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from workflow.core import i18n
from workflow.submissions.workflow import DONE_BY_SOMEONE

PITCHED = "pitched"
MESSAGE = "message"
PAGE = "page"
TRANSLATION = "translation"
UNSCHEDULED = "unscheduled"
DELETED = "deleted"

_SENTENCES = {
    PITCHED: _l("%(name)s pitched the story"),
    MESSAGE: _l("%(name)s sent a message"),
    PAGE: _l("%(name)s set how the story's page looks"),
    TRANSLATION: _l("%(name)s changed the translation of the story"),
    UNSCHEDULED: _l("%(name)s cancelled the scheduled publication"),
    "draft": _l("%(name)s saved a draft (revision %(number)s)"),
    "edit": _l("%(name)s edited the draft (revision %(number)s)"),
    "scheduled": _l("%(name)s scheduled publication for %(when)s"),
}


def done(what: str) -> str:
    """The code of a workflow row taken (``what`` is the row's ``done``)."""
    return f"done:{what.replace(' ', '-')}"


def revision(number: int, by_editor: bool) -> str:
    return f"{'edit' if by_editor else 'draft'}:{number}"


def scheduled(at: datetime) -> str:
    return f"scheduled:{i18n.stored_moment(at)}"


def sentence(code: str | None, name: str | None) -> Markup:
    """The last activity ``code`` as a sentence in the reader's language, the name isolated (``<bdi>``) so that a
    name in one script does not run into a sentence in the other; ``name`` is who did it (their name as shown
    now), None when that person is unknown."""
    if not code:
        return Markup("")
    if code == DELETED:
        return Markup.escape(_("The contributor's account was deleted"))
    kind, _sep, argument = code.partition(":")
    who = Markup("<bdi>%s</bdi>") % (name if name is not None else _("Someone"))
    if kind == "done" and (what := argument.replace("-", " ")) in DONE_BY_SOMEONE:
        return _worded(DONE_BY_SOMEONE[what], name=who)
    if kind in ("draft", "edit") and argument.isdigit():
        return _worded(_SENTENCES[kind], name=who, number=i18n.format_number(int(argument)))
    if kind == "scheduled":
        return _worded(_SENTENCES[kind], name=who, when=i18n.worded_moment(argument))
    if code in _SENTENCES and not argument:
        return _worded(_SENTENCES[code], name=who)
    return Markup.escape(code)  # written before the codes: a sentence already


def _worded(words, **params) -> Markup:
    """The catalogue's sentence (the desk's own words) with ``params`` escaped into it."""
    return Markup(str(words)) % params

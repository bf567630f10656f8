"""The links an email's fixed blocks make (``{{ reset_link(user_id) }}``), in one place.

A link that carries a secret (a confirmation, a reset, "This was not me", a sign-in link, an invitation, an
unsubscribe link) is made at send time and never stored; a preview's links carry no token at all
(:data:`PREVIEW_TOKEN`). The features that own the tokens add their links here when the app is built
(``create_app``: ``auth.services.add_email_links``, ``newsletter.services.add_email_links``); notifications
know no feature. The wording never sees these builders: it gets the link as a string already made.
"""

from __future__ import annotations

from collections.abc import Callable

from workflow.core import tokens
from workflow.core.urls import external_url

PREVIEW_TOKEN = "preview-no-token"

# name -> (endpoint, what makes its token from the builder's arguments)
_TOKEN_LINKS: dict[str, tuple[str, Callable[..., str]]] = {}


def add_token_link(name: str, endpoint: str, make_token: Callable[..., str]) -> None:
    """Let emails call ``name(*args)`` for the address of ``endpoint`` with ``token=make_token(*args)``."""
    _TOKEN_LINKS[name] = (endpoint, make_token)


def unsubscribe_token(user_id: int, event: str) -> str:
    """The one-click unsubscribe link's token: this person, this kind of email (it never expires)."""
    return tokens.make_token(tokens.UNSUBSCRIBE, {"u": user_id, "e": event})


def _token_link(endpoint: str, make_token: Callable[..., str], sample: bool) -> Callable[..., str]:
    def link(*args) -> str:
        return external_url(endpoint, token=PREVIEW_TOKEN if sample else make_token(*args))

    return link


def builders(sample: bool = False) -> dict[str, Callable[..., str]]:
    """The link builders the email files' fixed blocks may call; ``sample`` (a preview) makes no token."""
    made = {name: _token_link(endpoint, make_token, sample) for name, (endpoint, make_token) in _TOKEN_LINKS.items()}
    made["submission_link"] = lambda submission_id: external_url("submissions.detail", submission_id=submission_id)
    made["external_url"] = external_url
    return made


def names() -> frozenset[str]:
    """The builders' names (the sandbox never has them)."""
    return frozenset(_TOKEN_LINKS) | {"submission_link", "external_url"}


def link(name: str, *args, sample: bool = False) -> str:
    """One link, made now (a KeyError names a link that no feature added)."""
    return builders(sample)[name](*args)

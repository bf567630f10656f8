"""What the desk's own wording of an email may contain as HTML: a few inline tags and links to the desk.

An email that loads an image, a style sheet or a font from elsewhere tells that server when, and from which
address, the reader opened it (a tracking pixel); a link to elsewhere can do the same when followed. So the
wording staff write is checked when it is saved (:func:`html_problems`: every tag or link that must go, by
line) and cleaned with nh3 whenever it is rendered (:func:`clean`), which also makes wording stored before
these rules, or behind the form's back, safe. The files' default wording is the developers' and is not touched.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from flask import current_app

from workflow.notifications.sandbox import render

TAGS = frozenset({"a", "abbr", "b", "br", "code", "em", "i", "s", "small", "strong", "sub", "sup", "u"})
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
_DROPPED_WITH_CONTENT = frozenset({"script", "style"})
_IMAGES = frozenset({"img", "image", "picture", "source", "svg", "video", "audio", "track", "input"})
_LOADERS = frozenset({"link", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta",
                      "form", "portal", "math"})
_LOADING_ATTRIBUTES = frozenset({"src", "srcset", "background", "poster", "data", "action", "formaction",
                                 "ping", "lowsrc", "dynsrc", "longdesc", "xlink:href"})

NO_IMAGES = "remove the image (emails carry no images from elsewhere)"


def allowed_hosts() -> frozenset[str]:
    """The desk's own host (``WORKFLOW_BASE_URL``) and the hosts of ``WORKFLOW_EMAIL_LINK_HOSTS``."""
    own = urlsplit(current_app.config["BASE_URL"]).hostname or ""
    return frozenset({own.lower(), *current_app.config.get("EMAIL_LINK_HOSTS", ())} - {""})


def link_allowed(url: str, hosts: frozenset[str]) -> bool:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed address (e.g. a bad port or IPv6 literal) leads nowhere we know
        return False
    return parts.scheme.lower() in ("http", "https") and host in hosts


def clean(fragment: str) -> str:
    """The rendered wording with only the allowed tags and links to the allowed hosts (other links lose their
    address, images and scripts are gone)."""
    hosts = allowed_hosts()

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href" and not link_allowed(value, hosts):
            return None
        return value

    return nh3.clean(fragment, tags=set(TAGS), attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
                     url_schemes={"http", "https"}, clean_content_tags=set(_DROPPED_WITH_CONTENT),
                     strip_comments=True, attribute_filter=attribute_filter)


def _where(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        host = None
    return host or f"“{url.strip()[:60]}”"


class _Checker(HTMLParser):
    """Collects (line, what must go) for each tag, attribute and link the wording may not carry."""

    def __init__(self, context: dict | None, hosts: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.context = context
        self.hosts = hosts
        self.found: list[tuple[int, str]] = []

    def _add(self, message: str) -> None:
        line = self.getpos()[0]
        if (line, message) not in self.found:
            self.found.append((line, message))

    def _value(self, value: str) -> str:
        """An attribute's value as it is sent: one written with ``{{ }}`` is rendered over the samples."""
        if self.context is not None and ("{{" in value or "{%" in value):
            try:
                return render(value, self.context, autoescape=False)
            except Exception:  # the wording's own errors are reported by the template check
                return value
        return value

    def handle_starttag(self, tag, attrs):
        if tag in _IMAGES:
            return self._add(NO_IMAGES)
        if tag == "script":
            return self._add("remove the <script> (emails run no code)")
        if tag == "style":
            return self._add("remove the <style> (emails keep the desk's own look and load nothing)")
        if tag in _LOADERS:
            return self._add(f"remove the <{tag}> (emails load nothing from elsewhere)")
        if tag not in TAGS:
            allowed = ", ".join(f"<{name}>" for name in sorted(TAGS))
            self._add(f"remove the <{tag}> tag (wording may use {allowed})")
        for name, value in attrs:
            value = value or ""
            if name == "href" and tag == "a":
                url = self._value(value)
                if not link_allowed(url, self.hosts):
                    self._add(f"remove the link to {_where(url)}: links may only lead to the desk")
            elif name == "style" and "url(" in value.replace(" ", "").lower():
                self._add("remove the url() from the style (emails load nothing from elsewhere)")
            elif name == "style":
                self._add("remove the style attribute (emails keep the desk's own look)")
            elif name.startswith("on"):
                self._add(f"remove the {name} attribute (emails run no code)")
            elif name in _LOADING_ATTRIBUTES:
                self._add(f"remove the {name} attribute (emails load nothing from elsewhere)")
            elif tag in TAGS and name not in ATTRIBUTES.get(tag, ()):
                self._add(f"remove the {name} attribute of <{tag}>")

    handle_startendtag = handle_starttag


def html_problems(source: str, context: dict) -> list[str]:
    """What the wording must lose before it can be saved, line by line: tags other than a few inline ones,
    anything that loads from elsewhere, links to any host but the desk's (and ``WORKFLOW_EMAIL_LINK_HOSTS``).
    The source is read for the lines; the wording rendered over the samples too, for HTML that only a
    ``{{ }}`` puts together."""
    hosts = allowed_hosts()
    checker = _Checker(context, hosts)
    checker.feed(source)
    checker.close()
    messages = [f"Line {line}: {message}" for line, message in checker.found]
    try:
        rendered = render(source, context, autoescape=True)
    except Exception:  # reported by the template check
        return messages
    after = _Checker(None, hosts)
    after.feed(rendered)
    after.close()
    seen = {message for _, message in checker.found}
    messages += [message[0].upper() + message[1:]
                 for message in dict.fromkeys(message for _, message in after.found) if message not in seen]
    return messages

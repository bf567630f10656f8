"""What a person reads on a page: its text, the errors next to fields, what the inputs show, the queue's counts."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

ROW_RE = re.compile(r'<a href="/submissions/(\d+)"')
STATES_RE = re.compile(r'<nav class="sidebar queue-states".*?</nav>', re.S)
STATE_COUNT_RE = re.compile(r'>\s*(All|Pitched|Assigned|Edited|Published|Declined|Withdrawn)\s*</a>\s*'
                            r'<span class="count"[^>]*>(\d+)</span>')


def html_of(response) -> str:
    return response.get_data(as_text=True)


def _plain(fragment: str) -> str:
    """An HTML fragment as a person reads it: tags dropped, entities decoded, whitespace folded. A ``<bdi>``
    (a name kept apart from the sentence around it) is read as if it were not there."""
    fragment = re.sub(r"</?bdi\b[^>]*>", "", fragment)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace folded (what a person reads)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return _plain(html)


HTML_TAG_RE = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def page_language(response) -> tuple[str, str]:
    """The language and direction a page says it is in, from its ``<html lang dir>``."""
    match = HTML_TAG_RE.search(html_of(response))
    assert match, f"no <html lang dir> on the page ({response.status_code})"
    return match.group(1), match.group(2)


def ok(response):
    """The response, once it is a page that opened (200); else fails with what the page said."""
    assert response.status_code == 200, (response.status_code, text_of(response)[:500])
    return response


def redirect_path(response) -> str:
    """Where a redirect leads (its path); fails on anything but a redirect, with what the page said."""
    assert response.status_code in (302, 303), (response.status_code, text_of(response)[:300])
    return urlsplit(response.location).path


def field_error(response, field_id: str) -> str:
    """The error shown next to a field (``<p class="error-message" id="<field>-error">``), as a person reads it;
    empty when there is none."""
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', html_of(response),
                      re.S)
    return _plain(match.group(1)) if match else ""


def fields_with_errors(response) -> set[str]:
    return set(re.findall(r'<p class="error-message" id="([^"]+)-error">', html_of(response)))


def error_summary(response) -> str | None:
    """The error summary at the top of a form, as text; None when the page has none."""
    match = re.search(r'<div class="error-summary".*?</div>', html_of(response), re.S)
    return _plain(match.group(0)) if match else None


def input_value(response, name: str) -> str | None:
    """The value an input shows; None when it shows none. Fails when there is no such input."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html_of(response))
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else None


def flashes(client, response) -> str:
    """Follow a redirect and read the page it leads to (where the flash messages are shown)."""
    assert response.status_code in (302, 303), (response.status_code, text_of(response))
    return text_of(client.get(response.location))


def sidebar_counts(response) -> dict[str, int]:
    """The queue's states with the count shown beside each (``{"All": 8, "Pitched": 1, ...}``)."""
    sidebar = STATES_RE.search(html_of(response))
    assert sidebar, "no list of states on the queue page"
    return {name: int(n) for name, n in STATE_COUNT_RE.findall(sidebar.group(0))}


def row_ids(response) -> list[int]:
    """The submissions listed in a table of submissions (the queue's), in the order shown."""
    table = re.search(r"<tbody>(.*?)</tbody>", html_of(response), re.S)
    return [int(i) for i in ROW_RE.findall(table.group(1))] if table else []

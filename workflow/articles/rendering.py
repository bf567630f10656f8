"""A story's Markdown as safe HTML, and how long it takes to read.

Markdown is parsed by markdown-it-py with raw HTML off, then the HTML is cleaned by nh3 (an allow-list
sanitiser): whatever a contributor or an editor typed, the page gets no script, no event handler, no style and
no ``javascript:`` link.
"""

from __future__ import annotations

import math
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

WORDS_PER_MINUTE = 200

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable(
    ["replacements", "smartquotes"])

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "em", "strong", "a", "code", "pre", "hr",
                "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_WORD = re.compile(r"\w+(?:[’'-]\w+)*")


def markdown_to_html(text: str | None) -> Markup:
    """Safe HTML for a story's body. Headings start at level 2: the page's headline is the only h1."""
    if not text:
        return Markup("")
    html = _markdown.render(text)
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer nofollow")
    return Markup(cleaned)


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def read_minutes(text: str | None) -> int:
    """Minutes to read at about 200 words a minute; at least one."""
    return max(1, math.ceil(word_count(text) / WORDS_PER_MINUTE))

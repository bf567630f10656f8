"""A story's Markdown as safe HTML, and how long it takes to read.

Markdown is parsed by markdown-it-py with raw HTML off, then the HTML is cleaned by nh3 (an allow-list
sanitiser): whatever a contributor or an editor typed, the page gets no script, no event handler, no style and
no ``javascript:`` link.

Two additions to CommonMark, for the story's photos and its pull quotes:

- ``![What the photo shows](image:KEY)`` places one of the story's own photos (``KEY`` is its key; the Images
  panel of the submission page gives the line to paste). On a paragraph of its own it becomes a figure with
  the photo's caption and credit; inside a sentence, just the photo. The text in brackets is only a reminder
  for the writer: readers get the alt text saved with the photo. Any other image (an address on another site,
  a key that is not one of this story's photos) is never loaded: its words are shown as text instead.
- A pull quote sits between two fences::

      ::: pullquote
      “We count the days by what we can still do.”
      :::

  and becomes ``<aside class="pullquote">``.

Every block of text (paragraph, heading, list item, quote, pull quote, caption) carries ``dir="auto"``: each
takes the direction of its own first letters, so that an Arabic paragraph in an English story (or an English
one in an Arabic story) reads right to left (or left to right), its full stop on the side where it ends.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin

from workflow.articles import images as photos

WORDS_PER_MINUTE = 200
IMAGE_SCHEME = "image:"
# How wide a photo in the body is drawn: the article's column (42rem), or the screen less its margins.
BODY_SIZES = "(min-width: 44.5rem) 42rem, calc(100vw - 2.5rem)"


def _render_pullquote(self, tokens, idx, options, env) -> str:
    return '<aside class="pullquote" dir="auto">\n' if tokens[idx].nesting == 1 else "</aside>\n"


# The blocks whose direction is their own text's.
_BLOCKS = {"paragraph_open", "heading_open", "list_item_open", "blockquote_open"}


def _own_direction(state) -> None:
    for token in state.tokens:
        if token.type in _BLOCKS:
            token.attrSet("dir", "auto")


_markdown = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
             .enable(["replacements", "smartquotes"])
             .use(container_plugin, "pullquote", render=_render_pullquote))
_markdown.core.ruler.push("own_direction", _own_direction)

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "em", "strong", "a", "code", "pre", "hr",
                "br", "figure", "figcaption", "img", "aside", "span", "bdi"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"},
                      "img": {"src", "srcset", "sizes", "width", "height", "alt"}}
ATTRIBUTE_VALUES = {"img": {"loading": {"lazy"}, "decoding": {"async"}},
                    **{tag: {"dir": {"auto"}} for tag in ("p", "h2", "h3", "h4", "li", "blockquote", "figcaption",
                                                          "aside", "span")}}
ALLOWED_CLASSES = {"figure": {"figure"}, "aside": {"pullquote"}, "span": {"figure__credit"}}
URL_SCHEMES = {"http", "https", "mailto"}

_WORD = re.compile(r"\w+(?:[’'-]\w+)*")
_NUMBER = re.compile(r"[1-9]\d{0,4}")


def markdown_to_html(text: str | None, images: Mapping[str, object] | None = None) -> Markup:
    """Safe HTML for a story's body. Headings start at level 2: the page's headline is the only h1.

    ``images`` maps the key of each of the story's photos to its Image; only those are ever drawn.
    """
    if not text:
        return Markup("")
    env = {"images": dict(images or {}), "sources": set()}
    tokens = _markdown.parse(text, env)
    _lift_figures(tokens, env["images"])
    html = _markdown.renderer.render(tokens, _markdown.options, env)
    html = re.sub(r"<(/?)h1\b", r"<\1h2", html)
    sources = env["sources"]

    def only_our_images(tag: str, attribute: str, value: str) -> str | None:
        # The img tags come from _render_image alone (raw HTML is off); this is the second lock on the door.
        if tag != "img":
            return value
        if attribute == "src":
            return value if value in sources else None
        if attribute == "srcset":
            candidates = [part.strip().rsplit(" ", 1) for part in value.split(",")]
            ok = all(len(c) == 2 and c[0] in sources and c[1].endswith("w") for c in candidates)
            return value if ok else None
        if attribute in ("width", "height"):
            return value if _NUMBER.fullmatch(value) else None
        return value

    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        tag_attribute_values=ATTRIBUTE_VALUES, allowed_classes=ALLOWED_CLASSES,
                        attribute_filter=only_our_images, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer nofollow")
    # An img whose src did not survive must not stay as an empty box (or fetch the page itself).
    cleaned = re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned)
    return Markup(cleaned)


def _key_of(token) -> str | None:
    src = token.attrGet("src") or ""
    return src[len(IMAGE_SCHEME):] if src.startswith(IMAGE_SCHEME) else None


def _lift_figures(tokens, images: dict) -> None:
    """A paragraph that holds one of the story's photos and nothing else becomes that photo's figure."""
    for i in range(1, len(tokens) - 1):
        opening, inline, closing = tokens[i - 1], tokens[i], tokens[i + 1]
        if opening.type != "paragraph_open" or inline.type != "inline" or closing.type != "paragraph_close":
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
                    and c.type not in ("softbreak", "hardbreak")]
        if len(children) == 1 and children[0].type == "image" and _key_of(children[0]) in images:
            children[0].meta["figure"] = True
            opening.hidden = closing.hidden = True


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    image = env.get("images", {}).get(_key_of(token))
    if image is None:  # not one of this story's photos: load nothing, keep the words
        return escapeHtml(self.renderInlineAsText(token.children or [], options, env))
    sources = [photos.url(image, width) for width in image.widths]
    env["sources"].update(sources)
    tag = (f'<img src="{escapeHtml(photos.url(image, photos.default_width(image)))}" '
           f'srcset="{escapeHtml(photos.srcset(image))}" sizes="{BODY_SIZES}" width="{int(image.width)}" '
           f'height="{int(image.height)}" alt="{escapeHtml(image.alt)}" loading="lazy" decoding="async">')
    if not token.meta.get("figure"):
        return tag
    caption = escapeHtml(image.caption)
    if image.credit:
        credit = _("Photo: %(credit)s", credit=Markup("<bdi>%s</bdi>") % image.credit)
        caption += f' <span class="figure__credit" dir="auto">{credit}</span>'
    figcaption = f'<figcaption dir="auto">{caption}</figcaption>' if image.caption or image.credit else ""
    return f'<figure class="figure">{tag}{figcaption}</figure>\n'


_markdown.add_render_rule("image", _render_image)


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def read_minutes(text: str | None) -> int:
    """Minutes to read at about 200 words a minute; at least one."""
    return max(1, math.ceil(word_count(text) / WORDS_PER_MINUTE))

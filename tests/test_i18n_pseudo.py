"""Every string on every page is marked for translation: the walk over the URL map, in a pseudo-language.

The test makes its own catalogue from the extracted template (workflow/translations/messages.pot): every entry
"translated" into look-alike accented letters (Ŝîĝñ îñ), placeholders and markup kept. The desk then speaks it
in place of Arabic (right to left, Arabic dates), and every GET page is opened for each role, as the access
matrix does. What a page shows in plain ASCII words was never marked, unless it is text people typed (which the
pages put in an element with dir="auto" or a <bdi>), a time (<time>), code, or one of the names below.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import get_babel

from tests.helpers import url_of
from workflow import ROOT

TEMPLATE = ROOT / "workflow" / "translations" / "messages.pot"
LOOK_ALIKES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥîĵķĺɱñöþʠŕšŧûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞɊŔŠŦÛṼŴẊÝŽ")
# What a translation must keep as written: placeholders, markup, entities, and LDML patterns' letters.
KEEP = re.compile(r"%\([a-z_]+\)[sdfr]|%[sdfr]|\{[a-z_]*\}|<[^>]+>|&[a-z#0-9]+;")
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
# Not for translating: the outlet's name (configuration), formats and standards named as such, and the fixture's
# people and things (see ``one_of_everything``) where a page lists them in a <select>, which cannot hold a <bdi>.
NAMES = ("Frontline Deeply", "PDF", "Word", "Excel", "PowerPoint", "OpenDocument", "ODT", "ODS", "ODP", "JPEG",
         "PNG", "WebP", "GIF", "HEIC", "DOCX", "XLSX", "PPTX", "Atom", "RSS", "UTC", "CSV", "JSON", "ZIP",
         "Markdown", "WebAuthn", "TOTP", "iOS", "Android", "Google Authenticator", "Authy", "Signal", "HTTPS",
         "QR", "MB", "KB", "px")
# What the fixture's people typed (``one_of_everything``), where a page puts it in a <title> or an aria-label, which
# cannot hold a <bdi>.
TYPED = ("Secret headline of A", "Night shifts at the bakery", "Bread keeps a city going.", "B's own pitch",
         "R. Field", "News", "Ports", "Mine", "The mayor's car")
SKIPPED_ELEMENTS = {"script", "style", "time", "code", "pre", "kbd", "samp", "bdi", "textarea", "svg"}
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")


def pseudo(text: str) -> str:
    """``text`` in look-alike letters, its placeholders and markup untouched."""
    kept, last, out = KEEP.finditer(text), 0, []
    for match in kept:
        out.append(text[last:match.start()].translate(LOOK_ALIKES))
        out.append(match.group(0))
        last = match.end()
    out.append(text[last:].translate(LOOK_ALIKES))
    return "".join(out)


def pseudo_catalogue(folder) -> int:
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    catalogue = Catalog(locale="ar")
    for message in template:
        if not message.id:
            continue
        is_pattern = any("pattern" in comment for comment in message.auto_comments)
        if isinstance(message.id, tuple):
            forms = tuple(pseudo(message.id[0] if n == 1 else message.id[1]) for n in range(6))
            catalogue.add(message.id, forms, context=message.context)
        else:
            catalogue.add(message.id, message.id if is_pattern else pseudo(message.id), context=message.context)
    target = folder / "ar" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    return len(catalogue)


class Untranslated(HTMLParser):
    """The ASCII words a person would read on a page, outside text people typed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        # Text people typed (dir="auto"), text in another language than the page's (a language's own name), and
        # what is not to be translated.
        skip = tag in SKIPPED_ELEMENTS or a.get("dir") == "auto" or a.get("translate") == "no" \
            or a.get("lang", "ar") != "ar"
        if not skip and not self.skipping:
            for name in ATTRIBUTES:
                if a.get(name):
                    self._check(a[name], f"{tag}[{name}]")
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self._check(a["value"], "input[value]")
        if tag not in ("input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base"):
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self._check(data, self.stack[-1][0] if self.stack else "?")

    def _check(self, text: str, where: str) -> None:
        for name in (*NAMES, *TYPED):
            text = text.replace(name, " ")
        text = re.sub(r"\b(Contributor|Editor|Admin) \d+\b", " ", text)  # the factory's people
        # Addresses, paths, a zone's name in the zone database (Asia/Beirut), an email's name (submission.assigned).
        text = re.sub(r"\S+@\S+|https?://\S+|\b[A-Z][\w+-]*(/[\w+-]+)+|/[\w./?=&%-]+|\b[a-z]+\.[a-z_]+\b", " ", text)
        words = ASCII_WORD.findall(text)
        if words:
            self.found.append(f"<{where}> {text.strip()[:90]!r} ({', '.join(words[:5])})")


@pytest.fixture
def pseudo_language(app, tmp_path):
    """The desk's Arabic replaced by the pseudo-language for the length of a test."""
    settings = get_babel(app)
    saved = settings.translation_directories
    count = pseudo_catalogue(tmp_path)
    with app.app_context():
        cache = settings.instance.domain_instance.cache
    settings.translation_directories = [str(tmp_path)]
    cache.clear()
    yield count
    settings.translation_directories = saved
    cache.clear()


def test_the_pseudo_language_replaces_every_letter():
    assert pseudo("Sign in") == "Šîĝñ îñ"
    assert pseudo('Hello %(name)s, <a href="%(url)s">open</a>') == 'Ĥéĺĺö %(name)s, <a href="%(url)s">öþéñ</a>'
    assert not ASCII_WORD.search(pseudo("Every page of the desk, in every role"))


def test_every_page_in_every_role_shows_only_marked_strings(app, one_of_everything, pseudo_language):
    values, slugs, clients = one_of_everything
    assert pseudo_language > 3
    rules = sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods), key=lambda r: r.rule)
    left, pages = {}, 0
    for rule in rules:
        url = url_of(app, rule, values, slugs)
        for role, client in clients.items():
            response = client.get(url, headers={"Accept-Language": "ar"})
            if response.status_code in (301, 302, 303) or response.mimetype != "text/html" \
                    or not response.get_data():
                continue
            html = response.get_data(as_text=True)
            assert '<html lang="ar" dir="rtl">' in html or "<html" not in html, f"{url} ({role}) is not in Arabic"
            pages += 1
            parser = Untranslated()
            parser.feed(html)
            for line in parser.found:
                left.setdefault(line, f"{rule.endpoint} ({role})")
    assert pages > 40, f"only {pages} pages opened: did the walk's sign-ins work?"
    report = "\n".join(f"{where}: {line}" for line, where in sorted(left.items(), key=lambda item: item[1]))
    assert not left, f"{len(left)} strings on the pages are not marked for translation:\n{report}"


def test_the_walk_sees_an_unmarked_string():
    """The check above can fail: a page that shows English the catalogue does not know is caught."""
    parser = Untranslated()
    parser.feed('<html lang="ar" dir="rtl"><p>' + pseudo("Your stories") + '</p><p>Forgot to mark this</p>'
                '<p dir="auto">Typed by a person</p><time>06 Dec</time></html>')
    assert parser.found == ["<p> 'Forgot to mark this' (Forgot, to, mark, this)"]

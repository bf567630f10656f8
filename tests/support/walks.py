"""Walking the URL map and the forms of its pages: a rule's path with hostile arguments, and each form of a page
as a browser would post it."""

from __future__ import annotations

import re


def path_of(rule, values: dict, slugs: dict, **raw) -> str:
    """The path of a rule of the URL map with its arguments filled in, as ``url_of`` does; the arguments named in
    ``raw`` are put in as given (percent-encoded, never converted), so that a test can send what no ``url_for``
    would build: text where an id belongs, an id too large for the database, a NUL byte."""
    from urllib.parse import quote

    def argument(match: re.Match) -> str:
        name = match.group(1)
        if name in raw:
            return quote(raw[name], safe="")
        return quote(str(slugs[rule.endpoint] if name == "slug" else values[name]), safe="")

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", argument, rule.rule)


class HtmlForm:
    """A form of a page as a browser would post it: its action, method, encoding, and the fields with the values
    the page gave them (the selected option of a select, checked boxes only, the text of a textarea)."""

    def __init__(self, action: str, method: str, enctype: str):
        self.action, self.method, self.enctype = action, method, enctype
        self.fields: list[tuple[str, str]] = []
        self.files: list[str] = []

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.fields))

    def data(self, **overrides) -> dict:
        """The fields as posted, with ``overrides`` in place of the page's values."""
        posted: dict[str, list[str]] = {}
        for name, value in self.fields:
            posted.setdefault(name, []).append(value)
        for name, value in overrides.items():
            posted[name] = [value]
        return {name: values if len(values) > 1 else values[0] for name, values in posted.items()}

    def __repr__(self) -> str:
        return f"<form {self.method} {self.action} {self.names}>"


def forms_on(html: str, page: str) -> list[HtmlForm]:
    """Every form of a page (``page`` is its path, for forms without an action)."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin, urlsplit

    forms: list[HtmlForm] = []

    class Parser(HTMLParser):
        form: HtmlForm | None = None
        select: str | None = None
        options: list[tuple[str, bool]] = []
        textarea: str | None = None
        text = ""

        def handle_starttag(self, tag, attrs):
            a = {key: value or "" for key, value in attrs}
            if tag == "form":
                action = urlsplit(urljoin(page, a.get("action") or page))
                target = action.path + (f"?{action.query}" if action.query else "")
                self.form = HtmlForm(target, a.get("method", "get").lower(),
                                     a.get("enctype", "application/x-www-form-urlencoded"))
                forms.append(self.form)
            elif tag == "option" and self.select is not None:
                self.options.append((a.get("value", ""), "selected" in a))
            elif self.form is None or "name" not in a or "disabled" in a:
                return
            elif tag == "input":
                kind = a.get("type", "text").lower()
                if kind == "file":
                    self.form.files.append(a["name"])
                elif kind in ("checkbox", "radio"):
                    if "checked" in a:
                        self.form.fields.append((a["name"], a.get("value", "on")))
                elif kind not in ("submit", "button", "image", "reset"):
                    self.form.fields.append((a["name"], a.get("value", "")))
            elif tag == "select":
                self.select, self.options = a["name"], []
            elif tag == "textarea":
                self.textarea, self.text = a["name"], ""
            elif tag == "button" and a.get("value") and a.get("type", "submit") == "submit":
                self.form.fields.append((a["name"], a["value"]))

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)

        def handle_data(self, data):
            if self.textarea is not None:
                self.text += data

        def handle_endtag(self, tag):
            if tag == "form":
                self.form = None
            elif tag == "textarea" and self.textarea is not None and self.form is not None:
                self.form.fields.append((self.textarea, self.text.removeprefix("\n")))
                self.textarea = None
            elif tag == "select" and self.select is not None and self.form is not None:
                chosen = [value for value, selected in self.options if selected] or [v for v, _ in self.options[:1]]
                self.form.fields.extend((self.select, value) for value in chosen[:1])
                self.select = None

    parser = Parser()
    parser.feed(html)
    return forms

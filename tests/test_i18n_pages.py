"""The guidelines, written by admins in each language the desk speaks.

Until an admin saves them, each reader gets the default text in their language. Once an admin saves the English
text, Arabic readers get it (marked as English, left to right, inside their Arabic page) until an admin writes
theirs; an Arabic text reaches Arabic readers only. The edit page works on one language at a time, says which
languages have a text of their own, and the action log names the language edited. The migration keeps the text
saved before as the default language's (English).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.helpers import Client, html_of, in_arabic, input_value, page_language, signed_in, text_of
from workflow.extensions import db

ENGLISH_BODY = "## What we pay\n\nWe pay on publication, within a week."
ARABIC_BODY = "## ما ندفعه\n\nندفع عند النشر، خلال أسبوع."
ARABIC_DEFAULT = "ما الذي نبحث عنه"  # a heading of the Arabic default text (guidelines.ar.md)


def element_with(html: str, text: str) -> str:
    """The opening tag of the innermost element with ``lang`` that holds ``text`` (the text shown is marked)."""
    before = html[:html.index(text)]
    tags = re.findall(r"<(?:div|header|article)\b[^>]*\blang=\"[^\"]*\"[^>]*>", before)
    assert tags, f"no element with a language around {text!r}"
    return tags[-1]


def save(client: Client, language: str | None, title: str, body: str):
    path = "/admin/pages/guidelines" + (f"?language={language}" if language else "")
    response = client.post(path, {"title": title, "body": body}, page=path)
    assert response.status_code == 303, text_of(response)
    return response


@pytest.fixture
def admin(app, factory) -> Client:
    return signed_in(app, factory.user("admin", name="Ada Admin"))


def test_an_arabic_reader_gets_the_arabic_default_text(app, clean_db):
    page = in_arabic(Client(app)).get("/guidelines")
    assert page.status_code == 200 and page_language(page) == ("ar", "rtl")
    html = html_of(page)
    assert ARABIC_DEFAULT in text_of(page) and "إرشادات للمساهمين" in text_of(page)
    assert 'lang="ar" dir="rtl"' in element_with(html, ARABIC_DEFAULT)
    english = Client(app).get("/guidelines")
    assert "What we look for" in text_of(english) and ARABIC_DEFAULT not in text_of(english)
    assert 'lang="en" dir="ltr"' in element_with(html_of(english), "What we look for")


def test_the_english_text_saved_reaches_arabic_readers_marked_as_english_until_theirs_is_written(app, admin):
    reader = in_arabic(Client(app))
    before = reader.get("/guidelines")
    save(admin, None, "Write for us", ENGLISH_BODY)

    page = reader.get("/guidelines")
    assert page.status_code == 200 and page_language(page) == ("ar", "rtl")  # the page around it stays Arabic
    html = html_of(page)
    assert "We pay on publication, within a week." in text_of(page) and ARABIC_DEFAULT not in text_of(page)
    assert 'lang="en" dir="ltr"' in element_with(html, "We pay on publication")
    assert 'lang="en" dir="ltr"' in element_with(html, "Write for us</h1>")
    assert "كم من الوقت نحتفظ بما ترسله" in text_of(page)  # the desk's own words stay Arabic
    assert page.headers["ETag"] != before.headers["ETag"]

    save(admin, "ar", "اكتب معنا", ARABIC_BODY)
    arabic = reader.get("/guidelines", headers={"If-None-Match": page.headers["ETag"]})
    assert arabic.status_code == 200  # a new save is a new version
    assert "ندفع عند النشر، خلال أسبوع." in text_of(arabic) and "We pay on publication" not in text_of(arabic)
    assert 'lang="ar" dir="rtl"' in element_with(html_of(arabic), "ندفع عند النشر")
    assert "اكتب معنا" in text_of(arabic)

    english = Client(app).get("/guidelines")
    assert "We pay on publication, within a week." in text_of(english) and "ندفع" not in text_of(english)
    assert page_language(english) == ("en", "ltr")
    assert 'lang="en" dir="ltr"' in element_with(html_of(english), "We pay on publication")
    assert english.headers["ETag"] != arabic.headers["ETag"]  # the language is part of the version
    again = Client(app).get("/guidelines", headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 304


def test_the_edit_page_works_on_one_language_and_says_which_are_missing(app, admin):
    page = admin.get("/admin/pages/guidelines?language=ar")
    assert page.status_code == 200
    assert input_value(page, "title") == "إرشادات للمساهمين"  # what Arabic readers get now: the Arabic default
    assert ARABIC_DEFAULT in html_of(page)
    assert "This page has no Arabic text of its own yet: readers in Arabic get the default text below." \
        in text_of(page)
    assert re.search(r'<div lang="ar" dir="rtl">\s*<div class="field', html_of(page)), "fields right to left"
    # The page's own language links leave the desk's switcher alone: it still switches the desk's language.
    assert 'class="language-switch" href="/language/ar?next=' in html_of(page)
    assert admin.get("/admin/pages/guidelines?language=xx").status_code == 404
    assert admin.get("/admin/pages/guidelines?language=AR").status_code == 404

    english = admin.get("/admin/pages/guidelines")
    assert "How to pitch" in html_of(english) and "It shows the default text until you save it." in text_of(english)
    assert 'id="missing-language"' not in html_of(english)
    assert re.search(r'<div lang="en" dir="ltr">\s*<div class="field', html_of(english))
    links = text_of(english)
    assert re.search(r"Text for readers in: English \(default text\) · العربية \(default text\)", links), links
    assert 'href="/admin/pages/guidelines?language=ar"' in html_of(english)

    save(admin, None, "Write for us", ENGLISH_BODY)
    page = admin.get("/admin/pages/guidelines?language=ar")
    assert input_value(page, "title") == "Write for us" and "We pay on publication" in html_of(page)
    assert "This page has no Arabic text of its own yet: readers in Arabic get the English text below. Write " \
           "theirs here and save it." in text_of(page)
    assert re.search(r"English \(written\) · العربية \(missing\)", text_of(page))

    public = admin.get("/guidelines")
    assert re.search(r"Edit this page for readers in: English \(written\) · العربية \(missing: they get the "
                     r"English text\)", text_of(public)), text_of(public)
    assert 'href="/admin/pages/guidelines?language=ar"' in html_of(public)
    assert '<a href="/admin/pages/guidelines" lang="en"' in html_of(public)  # the default language's address

    response = save(admin, "ar", "اكتب معنا", ARABIC_BODY)
    assert response.headers["Location"].endswith("/admin/pages/guidelines?language=ar")
    page = admin.get("/admin/pages/guidelines?language=ar")
    assert input_value(page, "title") == "اكتب معنا" and 'id="missing-language"' not in html_of(page)
    assert "Last saved" in text_of(page) and "Ada Admin" in text_of(page)
    assert re.search(r"English \(written\) · العربية \(written\)", text_of(page))
    assert input_value(admin.get("/admin/pages/guidelines"), "title") == "Write for us"

    # The log names the language edited, in its reader's language.
    edits = page_edits(admin)
    assert len(edits) == 2 and edits[0].endswith("page guidelines Arabic"), edits
    assert edits[1].endswith("page guidelines English"), edits
    admin.get("/language/ar")
    edits = page_edits(admin)
    assert edits[0].endswith("العربية") and edits[1].endswith("الإنجليزية"), edits


def page_edits(client: Client) -> list[str]:
    """The action log's rows about the guidelines, newest first, as read."""
    rows = re.findall(r"<tr>.*?</tr>", html_of(client.get("/admin/log")), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows if "guidelines" in row]


def test_the_edit_page_in_arabic_names_the_languages_in_arabic(app, admin):
    save(admin, None, "Write for us", ENGLISH_BODY)
    admin.get("/language/ar")
    page = admin.get("/admin/pages/guidelines?language=ar")
    assert page.status_code == 200 and page_language(page) == ("ar", "rtl")
    assert 'id="missing-language"' in html_of(page)
    assert "الإنجليزية" in re.search(r'<p class="meta" id="missing-language">(.*?)</p>', html_of(page), re.S).group(1)


def test_only_admins_edit_a_language(app, factory):
    editor = signed_in(app, factory.user("editor"))
    assert editor.get("/admin/pages/guidelines?language=ar").status_code == 403
    assert Client(app).get("/admin/pages/guidelines?language=ar").status_code == 302


@pytest.mark.slow
def test_the_migration_keeps_the_text_saved_before_as_english(app, admin):
    save(admin, None, "Write for us", ENGLISH_BODY)
    save(admin, "ar", "اكتب معنا", ARABIC_BODY)
    with app.app_context():
        db.session.remove()
        downgrade(revision="c2b7d4e1f803")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT slug, title, body FROM pages")).all()
        assert [tuple(row) for row in rows] == [("guidelines", "Write for us", ENGLISH_BODY)]  # the default's only
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT slug, language, title FROM pages")).all()
        assert [tuple(row) for row in rows] == [("guidelines", "en", "Write for us")]

    page = in_arabic(Client(app)).get("/guidelines")
    assert "We pay on publication" in text_of(page)
    assert 'lang="en" dir="ltr"' in element_with(html_of(page), "We pay on publication")

"""A story's language: guessed from its letters or chosen by the editor, its page written in its direction while
the desk's words around it stay in the reader's, its feeds saying it, its translation linked both ways, and
each paragraph of a mixed text taking its own direction."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

from tests.helpers import Client, field_error, html_of, page_version, publish, signed_in, text_of, unpublish
from workflow.articles import editorial
from workflow.articles.models import StoryLanguage
from workflow.core.errors import DomainError
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions.models import Submission

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

ARABIC_HEADLINE = "العبّارة التي ما زالت تعبر النهر"
ARABIC_DEK = "كيف تُبقي عبّارة صغيرة بلدةً معزولة على قيد الحياة."
ARABIC_BODY = ("تنطلق العبّارة كل صباح في السادسة، محمّلة بالخبز والدواء.\n\n"
               "يقول السكان إن الطريق البري مغلق منذ الربيع.")


# --- the guess ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("The ferry still runs every morning.", "en"),
    ("العبّارة ما زالت تعمل كل صباح.", "ar"),
    ("", "en"),  # no letters: the desk's language
    ("12 000 — 2026 / 45%", "en"),
    ("قال John Smith إن الطريق مغلق منذ أسبوعين على الأقل", "ar"),  # a Latin name in an Arabic sentence
    ("The sign over the door still read «مخبز» after the fire.", "en"),  # an Arabic word in an English one
    ("مرحبا hello world", "en"),  # 5 Arabic letters, 10 Latin ones
    ("![photo](image:abcdefghijklmnopqrstuvwxyz) نص قصير", "ar"),  # a photo's key is not prose
    ("اقرأ المزيد على https://example.org/reports/the-long-road-home", "ar"),  # nor is an address
])
def test_the_language_is_guessed_from_the_share_of_arabic_letters(text, expected):
    assert editorial.guess_language(text) == expected


# --- helpers ------------------------------------------------------------------------------------------------

def _story_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Submission.id).where(Submission.slug == slug))


def _settings(client, story_id: int, **fields):
    """Post the page settings of a story as the panel sends them, changing only ``fields``."""
    path = f"/submissions/{story_id}"
    data = {"version": page_version(client, path), "section_id": "", "tags": "", "top_image_id": "",
            "seo_description": "", "language": "", "translation": "", **fields}
    return client.post(f"/submissions/{story_id}/page", data, page=path)


def _article_tag(html: str) -> str:
    match = re.search(r"<article\b[^>]*>", html)
    assert match, "no article element"
    return match.group(0)


def _arabic(app, factory, byline="R. Field"):
    return publish(app, factory, headline=ARABIC_HEADLINE, dek=ARABIC_DEK, body=ARABIC_BODY, byline=byline)


# --- the page -----------------------------------------------------------------------------------------------

def test_an_arabic_story_is_written_right_to_left_while_the_page_stays_in_the_readers_language(app, factory):
    slug, _ = _arabic(app, factory)
    html = html_of(Client(app).get(f"/articles/{slug}"))
    assert '<html lang="en" dir="ltr">' in html  # the reader's interface
    article = _article_tag(html)
    assert 'lang="ar"' in article and 'dir="rtl"' in article
    # The desk's words inside the story take the reader's language back.
    assert re.search(r'<p class="article__meta" lang="en" dir="ltr">', html)
    assert re.search(r'<h1 id="article-title" class="article__headline" dir="auto">', html)
    assert f'<p class="article__dek" dir="auto">{ARABIC_DEK}</p>' in html


def test_an_english_story_is_left_to_right(app, factory):
    slug, _ = publish(app, factory)
    article = _article_tag(html_of(Client(app).get(f"/articles/{slug}")))
    assert 'lang="en"' in article and 'dir="ltr"' in article


def test_the_editor_changes_the_language_and_the_page_follows(app, factory):
    slug, editor = publish(app, factory, headline="Notes from the crossing", body="Mostly English words here.")
    story_id = _story_id(app, slug)
    client = signed_in(app, editor)
    response = _settings(client, story_id, language="ar")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(StoryLanguage, story_id).language == "ar"
    panel = html_of(client.get(f"/submissions/{story_id}"))
    assert re.search(r'<option selected value="ar">|<option value="ar" selected>', panel)
    article = _article_tag(html_of(Client(app).get(f"/articles/{slug}")))
    assert 'lang="ar"' in article and 'dir="rtl"' in article

    assert _settings(client, story_id, language="").status_code == 303  # back to the text's letters
    article = _article_tag(html_of(Client(app).get(f"/articles/{slug}")))
    assert 'lang="en"' in article and 'dir="ltr"' in article
    panel = text_of(client.get(f"/submissions/{story_id}"))
    assert "From its text, the desk takes it to be in English." in panel


def test_an_unknown_language_is_refused_with_a_clear_message(app, factory):
    slug, editor = publish(app, factory)
    story_id = _story_id(app, slug)
    client = signed_in(app, editor)
    response = _settings(client, story_id, language="fr")
    assert response.status_code == 422
    assert "Choose the language the story is written in: English or Arabic" in field_error(response, "language")
    with app.app_context():
        assert db.session.get(StoryLanguage, story_id) is None
        # The service refuses it too, whoever calls it.
        story = db.session.get(Submission, story_id)
        with pytest.raises(DomainError) as refused:
            editorial.update_page(db.session.get(User, editor.id), story, editorial.PageSettings(
                None, "", "", None, language="fr"), seen_version=story.version)
        assert refused.value.field == "language"
        db.session.rollback()


# --- the body -----------------------------------------------------------------------------------------------

def test_each_block_of_a_mixed_text_takes_its_own_direction(app, factory):
    body = ("The crossing takes forty minutes.\n\nقال البحّار: «لم نتوقف يوماً واحداً.»\n\n"
            "## ما بعد الشتاء\n\n- الخبز\n- the fuel\n\n> اقتباس قصير.")
    slug, _ = publish(app, factory, body=body)
    html = html_of(Client(app).get(f"/articles/{slug}"))
    assert '<p dir="auto">قال البحّار: «لم نتوقف يوماً واحداً.»</p>' in html
    assert '<p dir="auto">The crossing takes forty minutes.</p>' in html
    assert '<h2 dir="auto">ما بعد الشتاء</h2>' in html
    assert '<li dir="auto">الخبز</li>' in html and '<li dir="auto">the fuel</li>' in html
    assert '<blockquote dir="auto">\n<p dir="auto">اقتباس قصير.</p>' in html


def test_an_english_paragraph_in_an_arabic_story_takes_its_own_direction(app, factory):
    slug, _ = publish(app, factory, headline=ARABIC_HEADLINE, dek=ARABIC_DEK,
                      body=ARABIC_BODY + "\n\nThe owner of the ferry spoke to us in English.")
    html = html_of(Client(app).get(f"/articles/{slug}"))
    assert 'dir="rtl"' in _article_tag(html)
    assert '<p dir="auto">The owner of the ferry spoke to us in English.</p>' in html
    assert '<p dir="auto">يقول السكان إن الطريق البري مغلق منذ الربيع.</p>' in html


def test_an_arabic_byline_is_isolated_from_the_sentence_around_it(app, factory):
    slug, _ = publish(app, factory, byline="نور عزيز")
    response = Client(app).get(f"/articles/{slug}")
    assert re.search(r'class="article__byline"[^>]*><bdi>نور عزيز</bdi></a>', html_of(response))
    assert "Written by نور عزيز" in text_of(response)


# --- the feeds ----------------------------------------------------------------------------------------------

def test_the_atom_feed_says_its_language_and_each_entrys(app, factory):
    publish(app, factory, headline="Water at the border")
    _arabic(app, factory)
    response = Client(app).get("/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())
    assert root.get(XML_LANG) == "en"  # the feed's own words: the desk's language
    entries = {entry.findtext(f"{ATOM}title"): entry.get(XML_LANG) for entry in root.iter(f"{ATOM}entry")}
    assert entries == {"Water at the border": "en", ARABIC_HEADLINE: "ar"}


def test_the_feed_is_one_document_whoever_asks_for_it(app, factory):
    _arabic(app, factory)
    reader = Client(app)
    english = reader.get("/feed.atom").get_data()
    reader.get("/language/ar")  # a reader of the Arabic interface gets the same feed, in the desk's language
    arabic = reader.get("/feed.atom", headers={"Accept-Language": "ar"}).get_data()
    assert arabic == english and ET.fromstring(arabic).get(XML_LANG) == "en"


def test_a_language_the_editor_chose_is_the_one_the_feed_gives(app, factory):
    slug, editor = publish(app, factory, headline="Mostly numbers: 12, 40, 2026")
    assert _settings(signed_in(app, editor), _story_id(app, slug), language="ar").status_code == 303
    root = ET.fromstring(Client(app).get("/feed.atom").get_data())
    assert [entry.get(XML_LANG) for entry in root.iter(f"{ATOM}entry")] == ["ar"]


# --- translations -------------------------------------------------------------------------------------------

def _alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def test_a_translation_is_named_once_and_each_page_links_to_the_other(app, factory):
    english, editor = publish(app, factory, headline="The ferry that still crosses")
    arabic, _ = _arabic(app, factory)
    reader = Client(app)
    before = reader.get(f"/articles/{arabic}")
    assert "Read this in" not in text_of(before) and _alternates(html_of(before)) == {}

    client = signed_in(app, editor)
    # Named on the English story's settings by the Arabic one's full address.
    copied = f"http://desk.test/articles/{quote(arabic)}"  # an Arabic address, as a browser copies it
    response = _settings(client, _story_id(app, english), translation=copied)
    assert response.status_code == 303

    english_page = html_of(reader.get(f"/articles/{english}"))
    assert _alternates(english_page) == {"en": f"http://desk.test/articles/{english}",
                                         "ar": f"http://desk.test/articles/{quote(arabic)}"}
    link = re.search(r'<p class="article__translation"[^>]*><a href="/articles/([^"]+)" hreflang="ar">(.*?)</a>',
                     english_page)
    assert link and unquote(link.group(1)) == arabic
    assert link.group(2) == 'Read this in <span lang="ar" dir="rtl">العربية</span>'

    # The Arabic page points back, and it changed: a reader holding its old ETag gets the new page.
    again = reader.get(f"/articles/{arabic}", headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200
    arabic_page = html_of(again)
    assert _alternates(arabic_page) == {"ar": f"http://desk.test/articles/{quote(arabic)}",
                                        "en": f"http://desk.test/articles/{english}"}
    assert re.search(rf'<a href="/articles/{english}" hreflang="en">Read this in '
                     r'<span lang="en" dir="ltr">English</span></a>', arabic_page)
    # The Arabic story's settings show it, by its slug.
    panel = html_of(client.get(f"/submissions/{_story_id(app, arabic)}"))
    assert re.search(rf'<input[^>]*name="translation"[^>]*value="{english}"', panel)


def test_clearing_a_translation_on_either_side_unlinks_both(app, factory):
    english, editor = publish(app, factory, headline="The ferry that still crosses")
    arabic, _ = _arabic(app, factory)
    client = signed_in(app, editor)
    assert _settings(client, _story_id(app, english), translation=arabic).status_code == 303
    assert _settings(client, _story_id(app, arabic), translation="").status_code == 303
    for slug in (english, arabic):
        page = Client(app).get(f"/articles/{slug}")
        assert "Read this in" not in text_of(page) and _alternates(html_of(page)) == {}


def test_naming_another_translation_unlinks_the_old_one(app, factory):
    english, editor = publish(app, factory, headline="The ferry that still crosses")
    first, _ = _arabic(app, factory)
    second, _ = publish(app, factory, headline="عبّارة النهر: الرحلة الأخيرة", dek=ARABIC_DEK, body=ARABIC_BODY)
    client = signed_in(app, editor)
    assert _settings(client, _story_id(app, first), translation=english).status_code == 303
    assert _settings(client, _story_id(app, second), translation=english).status_code == 303
    assert "Read this in" not in text_of(Client(app).get(f"/articles/{first}"))
    assert _alternates(html_of(Client(app).get(f"/articles/{english}")))["ar"].endswith(f"/articles/{quote(second)}")


@pytest.mark.parametrize(("which", "message"), [
    ("nowhere", "There is no published story at that address"),
    ("unpublished", "There is no published story at that address"),
    ("itself", "A story cannot be its own translation"),
    ("same language", "That story is in English too: its translation must be in the other language."),
])
def test_a_translation_that_cannot_be_one_is_refused_with_a_clear_message(app, factory, which, message):
    english, editor = publish(app, factory, headline="The ferry that still crosses")
    other = {"nowhere": lambda: "no-such-story",
             "unpublished": lambda: _taken_down(app, factory),
             "itself": lambda: english,
             "same language": lambda: publish(app, factory, headline="Another English story")[0]}[which]()
    story_id = _story_id(app, english)
    response = _settings(signed_in(app, editor), story_id, translation=other)
    assert response.status_code == 422
    assert message in field_error(response, "translation")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoryLanguage)) == 0


def _taken_down(app, factory) -> str:
    slug, _ = _arabic(app, factory)
    unpublish(app, factory, slug)
    return slug


def test_a_translation_taken_down_is_no_longer_linked(app, factory):
    english, editor = publish(app, factory, headline="The ferry that still crosses")
    arabic, _ = _arabic(app, factory)
    assert _settings(signed_in(app, editor), _story_id(app, english), translation=arabic).status_code == 303
    unpublish(app, factory, arabic)
    page = Client(app).get(f"/articles/{english}")
    assert "Read this in" not in text_of(page) and _alternates(html_of(page)) == {}


# --- the demo -----------------------------------------------------------------------------------------------

def test_the_demo_has_an_arabic_story_that_translates_an_english_one(app, clean_db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--quiet"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        arabic = db.session.scalar(sa.select(Submission.slug).where(
            Submission.published_headline == "لماذا تتوقف قوافل المساعدات عند النهر"))
        english = db.session.scalar(sa.select(Submission.slug).where(
            Submission.published_headline == "Why aid convoys stop at the river"))
    assert arabic and english
    reader = Client(app)
    page = html_of(reader.get(f"/articles/{arabic}"))
    assert 'lang="ar"' in _article_tag(page) and 'dir="rtl"' in _article_tag(page)
    assert _alternates(page)["en"].endswith(f"/articles/{english}")
    assert '<p dir="auto">The bridge is the bottleneck, not the roads.</p>' in page  # an English line, its way
    assert _alternates(html_of(reader.get(f"/articles/{english}")))["ar"].endswith(f"/articles/{quote(arabic)}")


# --- addresses ----------------------------------------------------------------------------------------------

def test_an_arabic_headline_gives_an_address_in_arabic_letters(app, factory):
    """Not a transliteration: the address reads as the headline does, without its short vowels."""
    slug, _ = _arabic(app, factory)
    assert slug == "العبارة-التي-ما-زالت-تعبر-النهر"  # "العبّارة": the shadda is not part of an address
    reader = Client(app)
    address = f"/articles/{quote(slug)}"
    assert f'href="{address}"' in html_of(reader.get("/"))  # the home page links to it, percent-encoded
    article = reader.get(address)
    assert article.status_code == 200 and ARABIC_HEADLINE in text_of(article)


def test_an_english_headline_keeps_its_plain_address(app, factory):
    slug, _ = publish(app, factory, headline="Café owners: “we stay” (for now)")
    assert slug == "cafe-owners-we-stay-for-now"


def test_arabic_tags_that_differ_by_one_letter_are_two_tags(app, factory):
    slug, editor = _arabic(app, factory)
    story_id = _story_id(app, slug)
    desk = signed_in(app, editor)
    assert _settings(desk, story_id, tags="غزة، عزة, غزة").status_code == 303
    article = html_of(Client(app).get(f"/articles/{slug}"))
    tags = re.findall(r'<a [^>]*href="/tags/([^"]+)"', article)
    assert sorted(unquote(tag) for tag in tags) == sorted(["غزة", "عزة"])

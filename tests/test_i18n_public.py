"""The outlet's public pages in Arabic: after the switcher, the home page, a section, the search, the guidelines,
the newsletter signup and a missing page are written right to left, in Arabic; counts take Arabic plural forms;
the guidelines state the periods the desk is configured to keep things; and what people typed stays apart from
the words around it."""

from __future__ import annotations

import re

from tests.helpers import Client, html_of, in_arabic, page_language, publish, text_of
from workflow.articles.models import Section
from workflow.extensions import db
from workflow.submissions.models import Submission


def reader_in_arabic(app) -> Client:
    """A reader who pressed the switcher's Arabic link."""
    return in_arabic(Client(app))


def _section(app, name: str = "Analysis", slug: str = "analysis") -> int:
    with app.app_context():
        section = Section(name=name, slug=slug, position=1, description="")
        db.session.add(section)
        db.session.commit()
        return section.id


def _publish_in(app, factory, section_id: int, count: int, prefix: str = "Story") -> None:
    """``count`` published stories by one reporter, filed in the section."""
    from workflow.people.models import User
    from workflow.submissions import services

    editor = factory.user("editor")
    reporter = factory.user(byline="R. Many")
    for n in range(count):
        headline = f"{prefix} {n:02d}"
        ref = factory.submission(reporter, "assigned", editor=editor, headline=headline, with_draft=False)
        with app.app_context():
            story = db.session.get(Submission, ref.id)
            services.save_draft(db.session.get(User, reporter.id), story, headline, f"The dek of {headline}.",
                                f"A paragraph of {headline}.")
            for action in ("mark_edited", "publish"):
                services.transition(db.session.get(User, editor.id), story, services.TransitionInput(
                    action=action, seen_version=story.version))
            story.section_id = section_id
            db.session.commit()


def test_the_home_page_speaks_arabic_after_the_switcher(app, clean_db):
    english = Client(app).get("/")
    assert page_language(english) == ("en", "ltr")
    assert 'href="/search">Search</a>' in html_of(english)

    reader = reader_in_arabic(app)
    home = reader.get("/")
    assert home.status_code == 200
    assert page_language(home) == ("ar", "rtl")
    page = text_of(home)
    assert "انتقل إلى المحتوى" in page  # skip link
    assert 'href="/search">بحث</a>' in html_of(home)  # the navigation's search link
    assert "اكتب لنا" in page and "كن مساهمًا" in page
    assert "انقل القصة التي لا يرويها أحد سواك" in page
    assert "Skip to the content" not in page and "Become a contributor" not in page


def test_a_section_page_in_arabic_counts_its_stories_in_arabic_plural_forms(app, factory):
    section_id = _section(app)
    reader = reader_in_arabic(app)

    _publish_in(app, factory, section_id, 1, "First")
    response = reader.get("/sections/analysis")
    assert page_language(response) == ("ar", "rtl")
    assert "قصة واحدة" in text_of(response)
    assert "القسم" in text_of(response)

    _publish_in(app, factory, section_id, 1, "Second")
    assert "قصتان" in text_of(reader.get("/sections/analysis"))

    _publish_in(app, factory, section_id, 9, "More")
    page = text_of(reader.get("/sections/analysis"))
    assert "11 قصة" in page and "قصص أقدم" not in page  # eleven: the "many" form, one page of stories

    english = text_of(Client(app).get("/sections/analysis"))
    assert "11 stories" in english


def test_the_search_in_arabic_shows_the_results_and_keeps_the_query_apart(app, factory):
    publish(app, factory, headline="Night shifts at the bakery")
    reader = reader_in_arabic(app)
    response = reader.get("/search", query_string={"q": "bakery"})
    assert response.status_code == 200
    assert page_language(response) == ("ar", "rtl")
    html = html_of(response)
    assert "القصص المطابقة لـ «bakery»" in text_of(response)
    assert "«<bdi>bakery</bdi>»" in html  # the words typed, isolated from the Arabic around them
    assert re.search(r'<h3 dir="auto" class="story-list__headline"><a href="/articles/[^"]+">Night shifts at the '
                     r"bakery</a>", html)
    assert "<bdi>R. Field</bdi>" in html

    empty = text_of(reader.get("/search", query_string={"q": "nothing-like-this"}))
    assert "لا توجد قصص تطابق «nothing-like-this»" in empty


def test_the_guidelines_in_arabic_state_the_configured_periods(app, clean_db, monkeypatch):
    for name, days in (("RETENTION_DAYS", 45), ("LEDGER_REPLY_DAYS", 2), ("READ_NOTIFICATION_DAYS", 365)):
        monkeypatch.setitem(app.config, name, days)  # given back after the test
    english = Client(app).get("/guidelines")
    reader = reader_in_arabic(app)
    response = reader.get("/guidelines")
    assert response.status_code == 200
    assert page_language(response) == ("ar", "rtl")
    page = text_of(response)
    assert "إرشادات للمساهمين" in page
    assert "ما الذي نبحث عنه" in page  # the Arabic text of the guidelines, not the English one
    assert "What we look for" not in page
    assert "كم من الوقت نحتفظ بما ترسله" in page
    assert "نمحو الجزء الخاص منه بعد 45 يومًا من ذلك القرار" in page
    assert "نحتفظ بردود خوادم البريد على رسائلنا إليك يومين." in page  # two: the dual
    assert "يُحذف الإشعار على الديسك بعد 365 يومًا من قراءتك له." in page
    # A browser that has the English page is not told that it is still good in Arabic.
    assert english.headers["ETag"] != response.headers["ETag"]
    again = reader.get("/guidelines", headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 200
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_the_newsletter_signup_in_arabic(app, clean_db):
    reader = reader_in_arabic(app)
    response = reader.get("/newsletter")
    assert response.status_code == 200
    assert page_language(response) == ("ar", "rtl")
    page = text_of(response)
    assert "لا يفُتك أي جديد" in page and "عنوان بريدك الإلكتروني" in page and "اشترك" in page
    refused = reader.post("/newsletter", data={"email": ""})
    assert refused.status_code == 422
    assert "أدخل عنوان بريدك الإلكتروني." in text_of(refused)


def test_a_missing_page_in_arabic(app, clean_db):
    reader = reader_in_arabic(app)
    response = reader.get("/no-such-page")
    assert response.status_code == 404
    assert page_language(response) == ("ar", "rtl")
    page = text_of(response)
    assert "الصفحة غير موجودة" in page
    assert "اذهب إلى الصفحة الرئيسية" in page
    assert "Page not found" not in page
    assert "Page not found" in text_of(Client(app).get("/no-such-page"))


def test_the_pager_arrows_turn_with_the_page(app, factory):
    """Arrows that point the way the reader reads: hidden from screen readers, turned in right-to-left pages."""
    section_id = _section(app)
    _publish_in(app, factory, section_id, 21, "Paged")
    html = html_of(Client(app).get("/sections/analysis"))
    assert 'Older stories<span class="flip" aria-hidden="true"> →</span>' in html
    older = re.search(r'<a class="story-pager__older" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    arabic = html_of(reader_in_arabic(app).get(older))
    assert '<span class="flip" aria-hidden="true">← </span>قصص أحدث</a>' in arabic


def test_the_sign_in_prompt_speaks_the_reader_s_language(app, clean_db):
    reader = reader_in_arabic(app)
    response = reader.get("/queue", follow_redirects=True)
    assert response.status_code == 200
    assert "يرجى تسجيل الدخول لرؤية هذه الصفحة." in text_of(response)
    english = Client(app).get("/queue", follow_redirects=True)
    assert "Please sign in to see this page." in text_of(english)

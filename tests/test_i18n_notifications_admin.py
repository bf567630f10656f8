"""The notifications list, the email choices and the admin pages in Arabic: right to left, in the reader's
words, counts in Arabic plural forms, and what people typed (headlines, names) set apart in its own direction."""

from __future__ import annotations

import re

import pytest

from tests.helpers import html_of, in_arabic, page_language, signed_in, text_of

ARABIC_HEADLINE = "طوابير الخبز في الليل"
ARABIC_NAME = "رنا الحقل"


def is_arabic_page(response) -> bool:
    return page_language(response) == ("ar", "rtl")


def fieldset_text(response, legend: str) -> str:
    """The text of the choice row whose legend is ``legend``."""
    rows = re.findall(r"<fieldset\b.*?</fieldset>", html_of(response), re.S)
    found = [row for row in rows if legend in row]
    assert found, f"no choice row about {legend!r}"
    return " ".join(re.sub(r"<[^>]+>", " ", found[0]).split())


@pytest.fixture
def desk_with_news(app, factory):
    """An editor with three unread notifications: new pitches, one with an Arabic headline."""
    editor = factory.user("editor")
    reporter = factory.user()
    factory.submission(reporter, headline="Water at the border")
    factory.submission(reporter, headline="The last cinema")
    factory.submission(reporter, headline=ARABIC_HEADLINE)
    return signed_in(app, editor)


def test_the_notifications_list_speaks_arabic_and_sets_a_quoted_headline_apart(desk_with_news):
    in_arabic(desk_with_news)
    response = desk_with_news.get("/notifications")
    assert response.status_code == 200 and is_arabic_page(response)
    page = text_of(response)
    assert "الإشعارات" in page and "تعليم الكل كمقروء" in page and "اختر الرسائل البريدية التي تصلك" in page
    assert "Mark all as read" not in page
    # The line that quotes the headline is an element with its own direction, whatever language it is in.
    lines = re.findall(r'<a href="/submissions/\d+" dir="auto">([^<]*)</a>', html_of(response))
    assert len(lines) == 3
    assert any(ARABIC_HEADLINE in line for line in lines)


def test_marking_three_notifications_read_is_counted_in_the_arabic_plural(desk_with_news):
    in_arabic(desk_with_news)
    response = desk_with_news.post("/notifications/read", page="/notifications")
    assert response.status_code == 303
    page = text_of(desk_with_news.get("/notifications"))
    assert "عُلّمت 3 إشعارات كمقروءة." in page  # 3 to 10 take the plural of few, not "notifications"
    assert "Marked 3 notifications" not in page


def test_the_email_choices_are_named_in_arabic(app, factory):
    client = signed_in(app, factory.user())
    in_arabic(client)
    response = client.get("/account/notifications")
    assert response.status_code == 200 and is_arabic_page(response)
    row = fieldset_text(response, "كلّفني محرر بكتابة مقترحي")  # "An editor commissions my pitch"
    assert "فورًا" in row and "في الملخّص اليومي" in row and "أبدًا" in row
    page = text_of(response)
    assert "رسائلك البريدية" in page and "حفظ اختياراتي" in page
    assert "Immediately" not in page and "Save my choices" not in page


def test_the_daily_summary_offers_to_send_it_or_not_rather_than_immediately(app, factory):
    client = signed_in(app, factory.user("editor"))
    row = fieldset_text(client.get("/account/notifications"), "daily summary")
    assert "Email it to me every day" in row and "Do not email it" in row
    assert "Immediately" not in row and "Never" not in row
    in_arabic(client)
    row = fieldset_text(client.get("/account/notifications"), "الملخّص اليومي للديسك")
    assert "أرسِلوه إليّ بالبريد كل يوم" in row and "لا ترسلوه بالبريد" in row


def test_the_people_page_and_a_person_speak_arabic_with_names_set_apart(app, factory):
    admin = signed_in(app, factory.user("admin"))
    person = factory.user("contributor", name=ARABIC_NAME)
    in_arabic(admin)
    response = admin.get("/admin/people")
    assert response.status_code == 200 and is_arabic_page(response)
    page = text_of(response)
    assert "الأشخاص" in page and "دعوة شخص إلى الديسك" in page and "مساهم" in page and "مدير" in page
    assert re.search(rf'<a href="/admin/people/{person.id}" dir="auto">{ARABIC_NAME}</a>', html_of(response))

    profile = admin.get(f"/admin/people/{person.id}")
    assert is_arabic_page(profile)
    assert f'<h1 dir="auto">{ARABIC_NAME}</h1>' in html_of(profile)
    assert "تغيير الدور" in text_of(profile) and "تعطيل الحساب" in text_of(profile)


def test_the_action_log_names_its_actions_in_arabic(app, factory):
    admin = signed_in(app, factory.user("admin", name=ARABIC_NAME))
    person = factory.user("contributor", name="Cora Contributor")
    in_arabic(admin)
    response = admin.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
    assert response.status_code == 303
    assert "أصبح Cora Contributor محررًا." in text_of(admin.get(f"/admin/people/{person.id}"))

    log = admin.get("/admin/log")
    assert log.status_code == 200 and is_arabic_page(log)
    page = text_of(log)
    assert "سجلّ الإدارة" in page and "تغيير الدور" in page and "change role" not in page
    assert f'<span dir="auto">{ARABIC_NAME}</span>' in html_of(log)  # who did it, in its own direction


def test_the_log_still_reads_in_english(app, factory):
    admin = signed_in(app, factory.user("admin"))
    person = factory.user("contributor")
    admin.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
    page = text_of(admin.get("/admin/log"))
    assert "Admin log" in page and f"change role user {person.id} contributor to editor" in page

"""The contributor's desk in Arabic: the dashboard, the pitch form, the submission page and the queue read in
Arabic, right to left, once a person chooses it with the switcher; what people typed keeps its own direction
(``dir="auto"``, names in ``<bdi>``); and a count takes the Arabic plural form its number asks for.

The Arabic expected here is written out by hand, as a reader would read it.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import act, html_of, in_arabic, in_days, input_value, ok, signed_in, text_of, valid_pitch

ARABIC_PAGE = '<html lang="ar" dir="rtl">'
HEADLINE = "طوابير الخبز في الليل"  # typed by the contributor, in Arabic
ENGLISH_HEADLINE = "Night bakers defy the curfew"


@pytest.fixture
def people(app, factory):
    rana = factory.user("contributor", name="Rana Reporter", byline="R. Haddad")
    edna = factory.user("editor", name="Edna Editor")
    return {"rana": rana, "edna": edna, "reporter": in_arabic(signed_in(app, rana)),
            "desk": in_arabic(signed_in(app, edna))}


def test_the_dashboard_reads_in_arabic_and_the_headline_keeps_its_own_direction(factory, people):
    submission = factory.submission(people["rana"], headline=HEADLINE)
    page = ok(people["reporter"].get("/dashboard"))
    html, text = html_of(page), text_of(page)
    assert ARABIC_PAGE in html
    assert "قصصي" in text  # My stories
    assert "اقترح قصة جديدة" in text  # Pitch a new story
    assert "مقترحة" in text  # the state: Pitched
    assert "سيقرأ أحد المحررين مقترحك ويردّ عليك." in text  # the next step
    assert f'<a href="/submissions/{submission.id}" dir="auto">{HEADLINE}</a>' in html
    main = re.search(r"<main\b.*</main>", html, re.S).group(0)
    for english in ("My stories", "Pitch a new story", "Pitched", "Next step", "An editor will read"):
        assert english not in main


def test_the_pitch_form_reads_in_arabic_and_its_refusals_too(people):
    reporter = people["reporter"]
    page = ok(reporter.get("/pitch"))
    html, text = html_of(page), text_of(page)
    assert ARABIC_PAGE in html
    assert "اقترح قصة" in text  # Pitch a story
    assert "أرسل مقترحي" in text  # the submit button: Send my pitch
    assert "العنوان المبدئي" in text  # Working headline
    headline_input = re.search(r'<input[^>]*id="headline"[^>]*>', html).group(0)
    assert 'dir="auto"' in headline_input  # a headline may be typed in either direction
    summary_box = re.search(r'<textarea[^>]*id="summary"[^>]*>', html).group(0)
    assert 'dir="auto"' in summary_box

    refused = reporter.post("/pitch", valid_pitch(headline=""), page="/pitch")
    assert ARABIC_PAGE in html_of(refused)
    assert "ضع عنوانًا مبدئيًا لقصتك." in text_of(refused)  # Give your story a working headline.


def test_the_submission_page_reads_in_arabic_with_what_people_wrote_in_their_own_direction(factory, people):
    submission = factory.submission(people["rana"], headline=HEADLINE)
    factory.message(people["rana"], submission, "I can reach the bakery at dawn.")
    desk = people["desk"]
    assigned = act(desk, submission.id, "assign", editor_id=str(people["edna"].id), deadline=in_days(9))
    assert assigned.status_code == 303
    page = ok(desk.get(f"/submissions/{submission.id}"))
    html, text = html_of(page), text_of(page)
    assert ARABIC_PAGE in html
    assert "أسندتَ القصة. حالتها الآن: مُسندة." in text  # the flash after the button: You assigned the story…
    assert "مُسندة" in text  # the state: Assigned
    assert "بانتظار المسودة قبل" in text  # the desk's next step: Waiting for the draft by …
    assert "ألغِ القصة" in text  # the button: Kill the story
    assert "التسلسل الزمني والمحادثة" in text  # Timeline and conversation
    assert f'<h1 dir="auto">{HEADLINE}</h1>' in html
    assert '<p class="message-body" dir="auto">I can reach the bakery at dawn.</p>' in html
    assert "اقترحها <bdi>Rana Reporter</bdi> (التوقيع: <bdi>R. Haddad</bdi>)" in html  # Pitched by … (byline: …)
    assert "نقلها من حالة «مقترحة» إلى <strong>مُسندة</strong>" in html  # moved it from pitched to assigned

    mine = ok(people["reporter"].get(f"/submissions/{submission.id}"))
    assert ARABIC_PAGE in html_of(mine)
    assert "اكتب مسودتك وأرسلها قبل" in text_of(mine)  # the contributor's next step: Write and send your draft by …


def test_the_queue_reads_in_arabic_and_its_rows_keep_their_own_direction(factory, people):
    arabic = factory.submission(people["rana"], headline=HEADLINE)
    english = factory.submission(people["rana"], headline=ENGLISH_HEADLINE)
    page = ok(people["desk"].get("/queue"))
    html, text = html_of(page), text_of(page)
    assert ARABIC_PAGE in html
    assert "قائمة الانتظار" in text  # Queue
    assert "حسب الحالة" in text  # By state
    assert "الأحدث أولًا" in text  # the sort order: Newest first
    assert "طرق العرض المحفوظة" in text  # Saved views
    for state in ("مقترحة", "مُسندة", "محرَّرة", "منشورة", "مرفوضة", "مسحوبة"):
        assert state in text
    assert f'<a href="/submissions/{arabic.id}" dir="auto">{HEADLINE}</a>' in html
    assert f'<a href="/submissions/{english.id}" dir="auto">{ENGLISH_HEADLINE}</a>' in html
    assert "<bdi>Rana Reporter</bdi>" in html


@pytest.mark.parametrize("days, said", [
    (0, "خلال 0 يوم"),
    (1, "خلال يوم واحد"),
    (2, "خلال يومين"),
    (3, "خلال 3 أيام"),
    (11, "خلال 11 يومًا"),
    (100, "خلال 100 يوم"),
])
def test_the_promise_of_an_answer_counts_its_days_in_the_arabic_plural(app, factory, people, days, said,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "RESPONSE_PROMISE_DAYS", days)
    factory.submission(people["rana"], headline=HEADLINE)
    text = text_of(ok(people["reporter"].get("/dashboard")))
    assert said in text


def test_the_draft_its_revisions_and_their_comparison_read_in_arabic(factory, people):
    submission = factory.submission(people["rana"], state="assigned", editor=people["edna"], headline=HEADLINE,
                                    with_draft=True)
    reporter = people["reporter"]
    draft = ok(reporter.get(f"/submissions/{submission.id}/draft"))
    assert ARABIC_PAGE in html_of(draft)
    assert "احفظ المراجعة" in text_of(draft)  # Save revision
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html_of(draft)).group(1)
    saved = reporter.post(f"/submissions/{submission.id}/draft",
                          {"version": version, "headline": HEADLINE, "dek": "عنوان فرعي كتبته المراسلة.",
                           "body": "فقرة أولى.\n\nفقرة ثانية.", "note": ""}, page=f"/submissions/{submission.id}/draft")
    assert saved.status_code == 303
    revision = ok(reporter.get(f"/submissions/{submission.id}/revisions/2"))
    assert ARABIC_PAGE in html_of(revision)
    assert "المراجعة 2 · مسودة المساهم، كتبها" in text_of(revision)  # Revision 2 · Contributor's draft by …
    assert f'<h1 dir="auto">{HEADLINE}</h1>' in html_of(revision)
    compared = ok(reporter.get(f"/submissions/{submission.id}/diff"))
    assert "قارن المراجعات" in text_of(compared)  # Compare revisions
    assert re.search(r'<span class="diff-row__label">العنوان الفرعي</span><div dir="auto">', html_of(compared))


def test_the_desk_metrics_read_in_arabic(factory, people):
    factory.submission(people["rana"], headline=HEADLINE)
    text = text_of(ok(people["desk"].get("/desk/metrics")))
    assert "مؤشرات الديسك" in text  # Desk metrics
    assert "آخر 12 أسبوعًا" in text  # the period offered: Last 12 weeks
    assert "المقترحات الواردة" in text  # Pitches received


def test_a_story_s_last_activity_is_worded_for_each_reader_in_their_language(app, factory, people):
    """What happened last is kept as what it was, not as an English sentence: the contributor reading in Arabic
    and the same contributor in an English browser each read it in their language, the name isolated."""
    submission = factory.submission(people["rana"], headline=HEADLINE)
    in_english = signed_in(app, people["rana"])

    assert "<bdi>Rana Reporter</bdi>: اقتراح القصة" in html_of(ok(people["reporter"].get("/dashboard")))
    assert "just now Rana Reporter pitched the story" in text_of(ok(in_english.get("/dashboard")))

    assert act(people["desk"], submission.id, "assign", editor_id=str(people["edna"].id),
               deadline=in_days(9)).status_code == 303
    assert "<bdi>Edna Editor</bdi>: إسناد القصة" in html_of(ok(people["reporter"].get("/dashboard")))
    assert "<bdi>Edna Editor</bdi>: إسناد القصة" in html_of(ok(people["desk"].get("/queue")))
    assert "Edna Editor assigned the story" in text_of(ok(in_english.get("/dashboard")))

    page = f"/submissions/{submission.id}/draft"
    version = input_value(ok(people["reporter"].get(page)), "version")
    assert version
    saved = people["reporter"].post(page, {"headline": HEADLINE, "dek": "سطر تحت العنوان.", "body": "النص الأول.",
                                           "note": "", "version": version}, page=page)
    assert saved.status_code == 303
    dashboard = html_of(ok(people["reporter"].get("/dashboard")))
    assert "<bdi>Rana Reporter</bdi>: حفظ مسودة (المراجعة 1)" in dashboard  # saved a draft (revision 1)
    assert "Rana Reporter saved a draft (revision 1)" in text_of(ok(in_english.get("/dashboard")))

    factory.message(people["edna"], submission, "Thank you, reading it now.")
    assert "<bdi>Edna Editor</bdi>: إرسال رسالة" in html_of(ok(people["reporter"].get("/dashboard")))
    assert "Edna Editor sent a message" in text_of(ok(in_english.get("/dashboard")))


def test_a_last_activity_written_before_it_was_kept_as_a_code_shows_as_it_was_written(app, factory, people):
    from workflow.extensions import db
    from workflow.submissions.models import Submission

    submission = factory.submission(people["rana"], headline=HEADLINE)
    with app.app_context():
        db.session.get(Submission, submission.id).last_activity = "Rana Reporter pitched the story"
        db.session.commit()
    text = text_of(ok(people["reporter"].get("/dashboard")))
    assert "Rana Reporter pitched the story" in text

"""Emails in the recipient's language and time zone, over real SMTP (the test's own server on loopback).

A contributor who reads Arabic gets the desk's emails in Arabic, right to left, with times in their own zone
and the zone named; an English reader gets the same event in English. An email with no Arabic wording falls
back to the English one, and the wording pages say which languages an email is missing. A staff edit of the
Arabic wording reaches Arabic readers only. Deadlines are days in the desk's time zone: the reminders turn on
the desk's midnight, not UTC's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from jinja2 import TemplateNotFound

from tests.helpers import delivered, html_body, input_value, plain_body, signed_in, text_of
from workflow.core.models import clock_set_to
from workflow.core.transaction import discard_after_commit
from workflow.extensions import db
from workflow.notifications.models import Choice, Notification

ARABIC = re.compile(r"[\u0600-\u06FF]")
HEADLINE = "Night bakers"
BEIRUT = "Asia/Beirut"


def arabic_words(text: str) -> int:
    return len(re.findall(r"[\u0600-\u06FF]{2,}", text))


def english_words(text: str) -> int:
    """Latin words outside links and the names planted in the test (what an English sentence is made of)."""
    text = re.sub(r"https?://\S+", " ", text)
    for name in (HEADLINE, "Rana Reporter", "Nour Reporter", "Edna Editor", "Frontline Deeply"):
        text = text.replace(name, " ")
    return len(re.findall(r"\b[A-Za-z]{3,}\b", text))


def set_language(app, person, locale: str | None, time_zone: str | None = None) -> None:
    from workflow.people.models import User

    with app.app_context():
        user = db.session.get(User, person.id)
        user.locale, user.time_zone = locale, time_zone
        db.session.commit()


def notify_now(app, event: str, person, always_email: bool = True, **params) -> int:
    from workflow.notifications.services import notify
    from workflow.people.models import User

    with app.app_context():
        notification = notify(event, db.session.get(User, person.id), always_email=always_email, **params)
        discard_after_commit(db.session())  # delivered by the test, not by a worker
        db.session.commit()
        return notification.id


def send(app, mailbox, event: str, person, **params):
    mailbox.clear()
    return delivered(app, mailbox, notify_now(app, event, person, **params))


def visible(page: str) -> str:
    """What an HTML part shows: its body's text, without tags."""
    return text_of_html(page.split("<body", 1)[1].split(">", 1)[1])


def html_tag(message) -> str:
    return re.search(r"<html[^>]*>", html_body(message)).group(0)


@pytest.fixture
def readers(app, factory):
    """Two contributors with a commissioned story each: one reads Arabic (in Beirut), one English."""
    editor = factory.user("editor", name="Edna Editor")
    arabic = factory.user("contributor", name="Nour Reporter")
    english = factory.user("contributor", name="Rana Reporter")
    set_language(app, arabic, "ar", BEIRUT)
    set_language(app, english, "en", None)
    return editor, arabic, english


def test_an_arabic_reader_gets_the_email_in_arabic_and_an_english_reader_in_english(app, readers, mailbox):
    editor, arabic, english = readers
    params = {"submission_id": 42, "headline": HEADLINE, "actor": "Edna Editor", "comment": ""}

    message = send(app, mailbox, "submission.published", arabic, **params)
    subject, text, page = str(message["Subject"]), plain_body(message), html_body(message)
    assert subject.startswith("نُشرت: ") and HEADLINE in subject
    assert "نُشرت قصتك" in text and "شكرًا لك على عملك الصحفي" in text
    assert "نُشرت قصتك" in page and "عرض قصتك" in page
    assert html_tag(message) == '<html lang="ar" dir="rtl">'
    # The layout speaks Arabic too: the greeting, the link's line and the footer.
    for part in (text, visible(page)):
        assert arabic_words(part) > 20 and english_words(part) == 0, english_words(part)
        assert "Dear" not in part and "Stop emails like this one" not in part

    message = send(app, mailbox, "submission.published", english, **params)
    assert str(message["Subject"]) == f"Published: {HEADLINE}"
    text, page = plain_body(message), html_body(message)
    assert "Dear Rana Reporter," in text and f"Your story “{HEADLINE}” is published." in text
    assert html_tag(message) == '<html lang="en" dir="ltr">'
    assert not ARABIC.search(text) and not ARABIC.search(page)


def test_an_arabic_digest_gives_the_time_in_the_readers_zone_and_names_it(app, readers, mailbox):
    """A message held for the digest at 14:05 UTC is listed at 16:05, Beirut time, in the reader's digest."""
    from workflow.notifications import services
    from workflow.people.models import User
    from workflow.reminders import services as schedule

    editor, arabic, english = readers
    mailbox.clear()
    written = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)  # Beirut is UTC+2 in December
    for person in (arabic, english):
        with app.app_context():
            services.set_preference(db.session.get(User, person.id), "submission.message", Choice.DIGEST)
            db.session.commit()
        with app.app_context(), clock_set_to(written):
            notify_now(app, "submission.message", person, always_email=False, submission_id=42, headline=HEADLINE,
                       author="Edna Editor", body="Could you send the photos by Friday?")
    with app.app_context(), clock_set_to(written + timedelta(hours=15)):
        assert schedule.send_digests() == 2
    with app.app_context():
        digests = dict(db.session.execute(sa.select(Notification.recipient_id, Notification.id)
                                          .where(Notification.event == "digest.daily")).all())

    message = delivered(app, mailbox, digests[arabic.id])
    text = plain_body(message)
    assert str(message["Subject"]).startswith("ملخصك اليومي")
    assert "رسالة جديدة من" in text  # the held message's own subject, in Arabic
    assert "16:05" in text and "توقيت لبنان" in text and "14:05" not in text
    assert "ديسمبر" in text  # the month, in Arabic
    assert html_tag(message) == '<html lang="ar" dir="rtl">'

    message = delivered(app, mailbox, digests[english.id])
    text = plain_body(message)
    assert str(message["Subject"]) == "Your daily digest from the Frontline Deeply desk"
    assert "New message from Edna Editor about: Night bakers (07 Dec 2026, 14:05 UTC)" in text
    assert "Your digest for 08 Dec 2026" in text


@pytest.fixture
def no_arabic_file(app, monkeypatch):
    """The Arabic wording of ``submission.published`` is missing (its file is not there)."""
    hidden = "emails/ar/submission.published.html"
    loader = app.jinja_env.loader

    class Hiding:
        def get_source(self, environment, name):
            if name == hidden:
                raise TemplateNotFound(name)
            return loader.get_source(environment, name)

        def __getattr__(self, name):
            return getattr(loader, name)

    monkeypatch.setattr(app.jinja_env, "loader", Hiding())
    app.jinja_env.cache.clear()
    yield
    app.jinja_env.cache.clear()


def test_a_missing_arabic_wording_falls_back_to_english_and_the_wording_pages_say_so(app, factory, readers, mailbox,
                                                                                      no_arabic_file):
    editor, arabic, english = readers
    message = send(app, mailbox, "submission.published", arabic, submission_id=42, headline=HEADLINE,
                   actor="Edna Editor", comment="")
    assert str(message["Subject"]) == f"Published: {HEADLINE}"
    text = plain_body(message)
    assert "Dear Nour Reporter," in text and f"Your story “{HEADLINE}” is published." in text
    assert html_tag(message) == '<html lang="en" dir="ltr">'  # the whole email in English, not half of it

    admin = factory.user("admin", name="Ada Admin")
    client = signed_in(app, admin)
    listing = client.get("/admin/emails").get_data(as_text=True)
    row = re.search(r'<tr>\s*<td><a href="/admin/emails/submission\.published">.*?</tr>', listing, re.S).group(0)
    assert 'data-missing="ar"' in row and "missing (readers get the English wording)" in text_of_html(row)
    other = re.search(r'<tr>\s*<td><a href="/admin/emails/submission\.edited">.*?</tr>', listing, re.S).group(0)
    assert 'data-missing=""' in other and "missing" not in text_of_html(other)

    page = client.get("/admin/emails/submission.published?language=ar")
    assert page.status_code == 200
    assert "This email has no Arabic wording yet" in text_of(page)
    assert input_value(page, "subject") == "Published: {{ headline }}"  # what Arabic readers get now

    # An admin who reads Arabic sees the same, in Arabic.
    client.get("/language/ar")
    listing = client.get("/admin/emails").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in listing and "<h1>صياغة الرسائل</h1>" in listing
    row = re.search(r'<tr>\s*<td><a href="/admin/emails/submission\.published">.*?</tr>', listing, re.S).group(0)
    assert "ناقصة (يتلقى القرّاء الصياغة باللغة الإنجليزية)" in text_of_html(row)
    page = client.get("/admin/emails/submission.published?language=ar")
    assert page.status_code == 200 and "لا صياغة لهذه الرسالة باللغة العربية بعد" in text_of(page)


def text_of_html(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_a_staff_edit_of_the_arabic_wording_reaches_arabic_readers_only(app, factory, readers, mailbox):
    from workflow.notifications.models import EmailTemplate

    editor, arabic, english = readers
    client = signed_in(app, editor)
    path = "/admin/emails/submission.published?language=ar"
    page = client.get(path)
    assert page.status_code == 200 and input_value(page, "subject") == "نُشرت: \u2068{{ headline }}\u2069"
    saved = client.post(path, {"subject": "قصتك منشورة الآن: {{ headline }}",
                               "lead": "يسعدنا أن نخبرك بأن قصتك «{{ headline }}» منشورة الآن.",
                               "action_label": "اقرأ قصتك", "action": "save"}, page=path)
    assert saved.status_code == 303, text_of(saved)
    with app.app_context():
        rows = {(row.event, row.language): row.subject for row in db.session.scalars(sa.select(EmailTemplate))}
    assert rows == {("submission.published", "ar"): "قصتك منشورة الآن: {{ headline }}"}

    params = {"submission_id": 42, "headline": HEADLINE, "actor": "Edna Editor", "comment": ""}
    message = send(app, mailbox, "submission.published", arabic, **params)
    assert str(message["Subject"]) == f"قصتك منشورة الآن: {HEADLINE}"
    assert f"يسعدنا أن نخبرك بأن قصتك «{HEADLINE}» منشورة الآن." in plain_body(message)
    assert "اقرأ قصتك" in html_body(message)

    message = send(app, mailbox, "submission.published", english, **params)
    assert str(message["Subject"]) == f"Published: {HEADLINE}"
    assert f"Your story “{HEADLINE}” is published." in plain_body(message)

    listing = client.get("/admin/emails").get_data(as_text=True)
    row = text_of_html(re.search(r'<tr>\s*<td><a href="/admin/emails/submission\.published">.*?</tr>', listing,
                                 re.S).group(0))
    assert re.search(r"English\s*:\s*default", row) and re.search(r"العربية\s*:\s*customised", row), row


def test_every_arabic_email_file_has_the_english_ones_blocks_and_wording_that_checks(app, factory):
    from workflow.notifications import editing, email_files, wording

    with app.test_request_context():
        for event in email_files.editable_events():
            english, arabic = email_files.email_file(event), email_files.email_file(event, "ar")
            assert set(arabic.blocks) == set(english.blocks) | {"subject"}, event
            assert arabic.editable == english.editable, event
            assert set(arabic.params) <= set(english.params) | {"zone"}, event
            found = wording.file_wording(event, "ar")
            assert ARABIC.search(found.subject), event
            try:
                editing.check(event, found.subject, found.blocks, "ar")
            except editing.WordingInvalid as error:
                pytest.fail(f"{event}: {error.errors}")


# Deadlines are days in the desk's time zone ------------------------------------------------------------------

def test_a_deadline_reminder_turns_on_the_desks_midnight_not_utcs(app, factory, monkeypatch, mailbox):
    from workflow.reminders import services as schedule
    from workflow.submissions.models import Submission

    monkeypatch.setitem(app.config, "TIME_ZONE", BEIRUT)
    editor = factory.user("editor", name="Edna Editor")
    reporter = factory.user("contributor", name="Rana Reporter")
    story = factory.submission(reporter, "assigned", editor=editor, headline=HEADLINE)
    mailbox.clear()
    deadline = date(2026, 12, 10)
    with app.app_context():
        db.session.get(Submission, story.id).deadline = deadline
        db.session.commit()

    def run(moment: datetime) -> list[str]:
        with app.app_context(), time_machine.travel(moment, tick=False):
            schedule.send_reminders()
            return list(db.session.scalars(sa.select(Notification.event).where(
                Notification.submission_id == story.id, Notification.event.like("reminder.%"))
                .order_by(Notification.id)))

    # Midnight at the end of 10 December in Beirut (UTC+2) is 22:00 UTC on the 10th.
    assert run(datetime(2026, 12, 8, 21, 59, tzinfo=UTC)) == []  # 23:59 on the 8th in Beirut: 48 h and a minute
    assert run(datetime(2026, 12, 8, 22, 0, tzinfo=UTC)) == ["reminder.deadline_soon"]
    assert run(datetime(2026, 12, 10, 21, 59, tzinfo=UTC)) == ["reminder.deadline_soon"]  # 23:59 in Beirut
    assert run(datetime(2026, 12, 10, 22, 0, tzinfo=UTC)) == ["reminder.deadline_soon", "reminder.overdue"]

    with app.app_context():
        soon = db.session.scalar(sa.select(Notification.id).where(Notification.event == "reminder.deadline_soon",
                                                                  Notification.submission_id == story.id))
    message = delivered(app, mailbox, soon)
    assert str(message["Subject"]) == f"Your draft is due on 10 Dec 2026: {HEADLINE}"
    assert "is due on 10 Dec 2026, at the end of the day (Asia/Beirut)" in plain_body(message)


def test_the_days_digest_is_the_desks_day(app, factory, monkeypatch):
    """At 23:30 UTC on 7 December it is already the 8th in Beirut: a story due on the 8th is due today."""
    from workflow.reminders import services as schedule
    from workflow.submissions.models import Submission

    monkeypatch.setitem(app.config, "TIME_ZONE", BEIRUT)
    editor = factory.user("editor", name="Edna Editor")
    reporter = factory.user("contributor", name="Rana Reporter")
    story = factory.submission(reporter, "assigned", editor=editor, headline=HEADLINE)
    with app.app_context():
        db.session.get(Submission, story.id).deadline = date(2026, 12, 8)
        db.session.commit()
        summary = schedule.desk_summary(datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
        assert [item["id"] for item in summary["due_today"]] == [story.id] and summary["overdue"] == []
        summary = schedule.desk_summary(datetime(2026, 12, 7, 21, 30, tzinfo=UTC))  # 23:30 on the 7th there
        assert summary["due_today"] == []


def test_an_old_reminder_with_its_english_date_still_reads(app, readers, mailbox):
    """Reminders written before carried the day as English text: it is sent as it is."""
    editor, arabic, english = readers
    message = send(app, mailbox, "reminder.overdue", english, submission_id=42, headline=HEADLINE,
                   deadline="04 May 2026", editor="Edna Editor")
    assert "The deadline for your draft of “Night bakers” was 04 May 2026" in plain_body(message)
    assert "end of the day (UTC)" in plain_body(message)


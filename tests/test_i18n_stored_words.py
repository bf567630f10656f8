"""Sentences the desk keeps as data and words when they are read, in the reader's language: a signed-in device
("Firefox on Windows": the browser and the system are product names, the words around them are not) on the
devices page and in the email about a new device, and the action log's Target and Detail columns. Rows and
emails written before keep their English text, shown as it is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from tests.helpers import Client, delivered, html_body, html_of, in_arabic, page_language, plain_body, signed_in
from workflow.core.transaction import discard_after_commit
from workflow.extensions import db

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                    "Version/17.5 Mobile/15E148 Safari/604.1")
NEW_DEVICE = "account.new_sign_in"


def browser(app, user_agent: str | None) -> Client:
    client = Client(app)
    if user_agent:
        client.http.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def sign_in(app, email: str, user_agent: str | None) -> Client:
    client = browser(app, user_agent)
    response = client.login(email)
    assert response.status_code == 303, f"sign-in of {email} failed: {response.status_code}"
    return client


def devices_listed(client: Client) -> list[str]:
    """The devices page as a person reads it: one line per device (its name, and "This device" on one)."""
    response = client.get("/account/devices")
    assert response.status_code == 200
    return [" ".join(re.sub(r"<[^>]+>", " ", name).split())
            for name in re.findall(r'<h2 class="device__name"[^>]*>(.*?)</h2>', html_of(response), re.S)]


def choose_arabic(client: Client) -> Client:
    """What a person does to have the desk (its pages and its emails) speak Arabic to them."""
    response = client.post("/account/language", {"lang-locale": "ar", "lang-time_zone": "UTC"})
    assert response.status_code == 303, response.status_code
    assert page_language(client.get("/account")) == ("ar", "rtl")
    return client


def new_device_emails(app, user_id: int) -> list[int]:
    from workflow.notifications.models import Notification

    with app.app_context():
        ids = db.session.scalars(sa.select(Notification.id).where(
            Notification.recipient_id == user_id, Notification.event == NEW_DEVICE).order_by(Notification.id)).all()
        db.session.remove()
    return list(ids)


def old_device_row(app, model_name: str, user_id: int, name: str) -> None:
    """Make the person's rows look as the desk wrote them before: the whole English name, no families."""
    from workflow.auth import models

    model = getattr(models, model_name)
    with app.app_context():
        changed = db.session.execute(sa.update(model).where(model.user_id == user_id)
                                     .values(browser=None, system=None, device=name)).rowcount
        db.session.commit()
    assert changed, f"no {model_name} row of user {user_id} to make old"


# --- devices -----------------------------------------------------------------------------------------------------

def test_the_devices_page_words_each_device_in_arabic_around_its_product_names(app, factory):
    person = factory.user()
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    sign_in(app, person.email, SAFARI_ON_IPHONE)
    sign_in(app, person.email, None)
    assert sorted(devices_listed(laptop)) == sorted(["Firefox on Windows This device", "Mobile Safari on iOS",
                                                      "An unknown browser"])

    choose_arabic(laptop)
    listed = devices_listed(laptop)
    assert sorted(listed) == sorted(["Firefox على Windows هذا الجهاز", "Mobile Safari على iOS", "متصفح غير معروف"])
    assert " on " not in " ".join(listed) and "unknown" not in " ".join(listed)
    # Worded in the page's language, so in its direction (not in that of the product name it opens with).
    assert '<span>Firefox على Windows</span>' in html_of(laptop.get("/account/devices"))


def test_a_device_named_before_the_change_shows_its_stored_name(app, factory):
    person = factory.user()
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    old_device_row(app, "UserSession", person.id, "Opera on Haiku")
    choose_arabic(laptop)
    assert devices_listed(laptop) == ["Opera on Haiku هذا الجهاز"]
    assert '<span dir="auto">Opera on Haiku</span>' in html_of(laptop.get("/account/devices"))


def test_the_new_device_email_is_worded_in_the_recipients_language(app, factory, mailbox):
    arabic, english = factory.user(name="Rana Reporter"), factory.user(name="Edna Reporter")
    choose_arabic(sign_in(app, arabic.email, FIREFOX_ON_WINDOWS))
    sign_in(app, english.email, FIREFOX_ON_WINDOWS)
    assert new_device_emails(app, arabic.id) == [] and new_device_emails(app, english.id) == []

    sign_in(app, arabic.email, SAFARI_ON_IPHONE)
    sign_in(app, english.email, SAFARI_ON_IPHONE)

    [to_arabic] = new_device_emails(app, arabic.id)
    message = delivered(app, mailbox, to_arabic)
    assert message["Subject"] == "تسجيل دخول إلى حسابك من جهاز جديد"
    body = plain_body(message)
    assert "Mobile Safari على iOS" in body and "Mobile Safari على iOS" in html_body(message)
    assert " on iOS" not in body

    [to_english] = new_device_emails(app, english.id)
    body = plain_body(delivered(app, mailbox, to_english))
    assert "from a browser it had not seen before: Mobile Safari on iOS." in body


def test_a_new_device_email_written_before_the_change_still_sends_its_stored_name(app, factory, mailbox):
    from workflow.notifications.services import notify
    from workflow.people.models import User

    person = factory.user()
    choose_arabic(sign_in(app, person.email, FIREFOX_ON_WINDOWS))
    with app.app_context():  # what the outbox holds from before: the English name only
        notification = notify(NEW_DEVICE, db.session.get(User, person.id), user_id=person.id,
                              device="Firefox on Windows")
        discard_after_commit(db.session())
        db.session.commit()
        notification_id = notification.id
    message = delivered(app, mailbox, notification_id)
    assert message["Subject"] == "تسجيل دخول إلى حسابك من جهاز جديد"
    assert "Firefox on Windows" in plain_body(message)


# --- the action log ----------------------------------------------------------------------------------------------

def log_rows(client: Client) -> list[str]:
    """The log's rows as read: one string per row, its cells' text one after the other."""
    response = client.get("/admin/log")
    assert response.status_code == 200
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html_of(response), re.S)
    return [" ".join(" ".join(re.sub(r"<[^>]+>", "", cell).split())
                     for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)) for row in rows]


def admin_changes(app, factory):
    """An admin who invites an editor, makes a contributor an editor, signs someone out of two devices, edits a
    page and adds and deletes a section; returns the admin's browser and the two people's ids."""
    admin = signed_in(app, factory.user("admin", name="Ada Admin"))
    person = factory.user("contributor", name="Cora Contributor")
    lost = factory.user("editor", name="Lost Phone")
    sign_in(app, lost.email, SAFARI_ON_IPHONE)
    sign_in(app, lost.email, FIREFOX_ON_WINDOWS)
    done = [
        admin.post("/admin/invitations", {"email": "new.editor@example.org", "role": "editor"}, page="/admin/people"),
        admin.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}"),
        admin.post(f"/admin/people/{lost.id}/sessions/end", page=f"/admin/people/{lost.id}"),
        admin.post("/admin/pages/guidelines", {"title": "Write for us", "body": "Pitch us."},
                   page="/admin/pages/guidelines"),
        admin.post("/admin/sections", {"name": "Analysis", "description": "", "position": "1"},
                   page="/admin/sections"),
    ]
    from workflow.articles.models import Section

    with app.app_context():
        section_id = db.session.scalar(sa.select(Section.id).where(Section.slug == "analysis"))
    done.append(admin.post(f"/admin/sections/{section_id}/delete", page=f"/admin/sections/{section_id}/delete"))
    assert [response.status_code for response in done] == [303] * 6
    return admin, person.id, lost.id, section_id


def test_the_log_words_targets_and_details_in_arabic_around_ids_and_slugs(app, factory):
    admin, person_id, lost_id, section_id = admin_changes(app, factory)
    in_arabic(admin)
    response = admin.get("/admin/log")
    assert page_language(response) == ("ar", "rtl")
    rows = log_rows(admin)
    assert len(rows) == 6

    def row(action: str) -> str:
        [found] = [r for r in rows if action in r]
        return found

    assert "بصفة محرر" in row("دعوة")
    assert f"المستخدم {person_id}" in row("تغيير الدور") and "من مساهم إلى محرر" in row("تغيير الدور")
    assert f"المستخدم {lost_id}" in row("إنهاء الجلسات") and "انتهت جلستان" in row("إنهاء الجلسات")
    assert "الصفحة guidelines" in row("تعديل صفحة")
    assert f"القسم {section_id} analysis" in row("إنشاء قسم")
    assert f"القسم {section_id}" in row("حذف قسم") and "analysis، ولم تُنقل منه أي قصة" in row("حذف قسم")
    page = " ".join(rows)
    for english in ("as editor", "contributor to editor", "ended", "user ", "page ", "section ", "stories moved"):
        assert english not in page, english

    html = html_of(response)
    assert f'<a href="/admin/people/{person_id}">المستخدم {person_id}</a>' in html  # the link stays
    assert "الصفحة <bdi>guidelines</bdi>" in html  # a slug is data, set apart in its own direction
    assert "<bdi>analysis</bdi>، ولم تُنقل منه أي قصة" in html


def test_the_log_still_reads_in_english(app, factory):
    admin, person_id, lost_id, section_id = admin_changes(app, factory)
    rows = log_rows(admin)
    expected = ["invite invitation", f"change role user {person_id} contributor to editor",
                f"end sessions user {lost_id} 2 ended", "edit page page guidelines",
                f"create section section {section_id} analysis",
                f"delete section section {section_id} analysis, 0 stories moved out"]
    assert all(any(text in r for r in rows) for text in expected), rows
    assert any("invite invitation" in r and "as editor" in r for r in rows)


def test_an_entry_written_before_its_params_were_kept_shows_its_stored_detail(app, factory):
    from workflow.core.audit import AdminAction

    admin = factory.user("admin", name="Ada Admin")
    person = factory.user()
    with app.app_context():  # as the desk wrote it before: an English detail, no params
        db.session.add(AdminAction(actor_id=admin.id, action="change_role", target=f"user {person.id}",
                                   detail="contributor to editor"))
        db.session.commit()
    client = in_arabic(signed_in(app, admin))
    [row] = log_rows(client)
    assert f"المستخدم {person.id}" in row and "contributor to editor" in row
    assert '<td dir="auto">contributor to editor</td>' in html_of(client.get("/admin/log"))


def test_what_the_desk_expires_is_counted_in_arabic_in_the_log(app, factory, mailbox):
    from workflow.notifications.models import Notification

    admin = factory.user("admin", name="Ada Admin")
    reporter = factory.user()
    # Today, in real time: the session's worker (once a test has started one) may deliver the email too, and the
    # two deliveries must see the same clock for one of them to stand back.
    factory.submission(reporter, headline="The first story")
    with app.app_context():
        [mine] = db.session.scalars(sa.select(Notification.id).where(
            Notification.recipient_id == reporter.id, Notification.in_app)).all()
        db.session.remove()
    delivered(app, mailbox, mine)  # an email still to go out is never deleted
    assert signed_in(app, reporter).post("/notifications/read", page="/notifications").status_code == 303

    with time_machine.travel(datetime.now(UTC) + timedelta(days=366), tick=False):
        result = app.test_cli_runner().invoke(args=["data", "expire"])
        assert result.exit_code == 0, result.output

        desk = signed_in(app, admin)
        [english] = [r for r in log_rows(desk) if "expire read notifications" in r]
        assert "notifications 1 notification read more than 365 days ago deleted" in english
        in_arabic(desk)
        [arabic] = [r for r in log_rows(desk) if "الإشعارات" in r and "حُذف" in r]
        assert "حُذف إشعار واحد مقروء منذ أكثر من 365 يومًا" in arabic
        assert "read more than" not in arabic


def test_the_migration_turns_the_old_english_names_into_browser_and_system_and_back(app, factory):
    from flask_migrate import downgrade, upgrade

    person = factory.user()
    laptop = sign_in(app, person.email, FIREFOX_ON_WINDOWS)
    sign_in(app, person.email, SAFARI_ON_IPHONE)
    old_device_row(app, "KnownDevice", person.id, "A browser on Haiku")  # one old row of each shape, and one
    with app.app_context():  # that the desk never wrote, which stays as it is
        db.session.execute(sa.text("UPDATE user_sessions SET browser = NULL, system = NULL, device = 'Opera on Haiku' "
                                   "WHERE user_id = :id AND browser = 'Mobile Safari'"), {"id": person.id})
        db.session.execute(sa.text("UPDATE known_devices SET device = 'A Nokia phone' "
                                   "WHERE user_id = :id AND device = 'A browser on Haiku' AND id = "
                                   "(SELECT MIN(id) FROM known_devices WHERE user_id = :id)"), {"id": person.id})
        db.session.commit()
        downgrade(revision="b5e0c7a3d914")
        names = sorted(db.session.execute(sa.text("SELECT device FROM user_sessions WHERE user_id = :id"),
                                          {"id": person.id}).scalars())
        assert names == ["Firefox on Windows", "Opera on Haiku"], "the downgrade writes the English names back"
        db.session.remove()
        upgrade()
        rows = db.session.execute(sa.text("SELECT browser, system, device FROM user_sessions WHERE user_id = :id "
                                          "ORDER BY id"), {"id": person.id}).all()
        assert [tuple(row) for row in rows] == [("Firefox", "Windows", ""), ("Opera", "Haiku", "")]
        known = db.session.execute(sa.text("SELECT browser, system, device FROM known_devices WHERE user_id = :id "
                                           "ORDER BY id"), {"id": person.id}).all()
        assert [tuple(row) for row in known] == [(None, None, "A Nokia phone"), (None, "Haiku", "")]
        db.session.remove()
    choose_arabic(laptop)
    assert sorted(devices_listed(laptop)) == sorted(["Firefox على Windows هذا الجهاز", "Opera على Haiku"])

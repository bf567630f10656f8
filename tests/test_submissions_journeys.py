"""Whole journeys over HTTP, with a real Celery worker delivering every email to a real SMTP server."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from tests.helpers import PASSWORD, Client, link_in, page_version, plain_body, signed_in, text_of
from workflow.core.models import utcnow

pytestmark = pytest.mark.worker


def _submission_id(response) -> int:
    return int(re.search(r"/submissions/(\d+)", response.location).group(1))


def act(client: Client, submission_id: int, action: str, **fields):
    data = {"action": action, "version": page_version(client, f"/submissions/{submission_id}"), **fields}
    return client.post(f"/submissions/{submission_id}/transition", data, page=f"/submissions/{submission_id}")


def assert_once(mailbox, to: str, subject_fragment: str):
    """The email arrived, and only once (after waiting a moment for a duplicate to show up)."""
    message = mailbox.wait_for_subject(to, subject_fragment)
    time.sleep(0.3)
    matching = [m for m in mailbox.to(to) if subject_fragment in m["Subject"]]
    assert len(matching) == 1, [m["Subject"] for m in matching]
    return message


def test_from_registration_to_publication(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor", email="desk.editor@example.org", name="Dana Editor")
    reporter = Client(app)
    address = "new.reporter@example.org"

    # Register; confirm from the email that arrived at the SMTP server.
    response = reporter.post("/register", {
        "email": address, "display_name": "Rana Field", "byline_name": "R. Field",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 303
    confirmation = assert_once(mailbox, address, "Confirm your email")
    assert "R. Field" not in plain_body(confirmation)  # greeted by name, not by byline
    confirm_path = link_in(confirmation)
    assert "Confirm my email address" in text_of(reporter.get(confirm_path))
    assert reporter.post(confirm_path, page=confirm_path).status_code == 303
    assert reporter.login(address).status_code == 303

    # Pitch.
    response = reporter.post("/pitch", {
        "headline": "The night bakers of the old city",
        "summary": "Bakers work through the curfew to keep bread on the shelves.",
        "angle": "Flour prices doubled this month.", "sources": "Three bakers, the millers' union.",
        "proposed_words": "1200", "proposed_deadline": "", "experience": "Six years in the city.",
    })
    assert response.status_code == 303, text_of(response)
    submission_id = _submission_id(response)
    assert_once(mailbox, address, "We received your pitch")
    assert_once(mailbox, editor.email, "New pitch")

    # The editor assigns it, with a deadline and a fee.
    desk = signed_in(app, editor)
    deadline = (utcnow().date() + timedelta(days=14)).isoformat()
    response = act(desk, submission_id, "assign", editor_id=str(editor.id), deadline=deadline,
                   assigned_words="1200", fee="250")
    assert response.status_code == 303, text_of(response)
    commissioned = assert_once(mailbox, address, "commissioned")
    assert deadline in plain_body(commissioned) and "250" in plain_body(commissioned)

    # The contributor writes a draft; the editor is told.
    response = reporter.post(f"/submissions/{submission_id}/draft", {
        "version": "", "headline": "The night bakers", "dek": "Bread through the curfew.",
        "body": "The ovens start at midnight.\n\nBy dawn the queue reaches the square.", "note": "First go",
    }, page=f"/submissions/{submission_id}/draft")
    assert response.status_code == 303, text_of(response)
    assert_once(mailbox, editor.email, "New draft")

    # The editor edits, marks it edited, then asks for a revision after all.
    response = desk.post(f"/submissions/{submission_id}/draft", {
        "version": "", "headline": "The night bakers", "dek": "Bread through the curfew, one oven at a time.",
        "body": "The ovens start at midnight.\n\nBy dawn the queue reaches the old square.", "note": "Edit",
    }, page=f"/submissions/{submission_id}/draft")
    assert response.status_code == 303
    assert act(desk, submission_id, "mark_edited").status_code == 303
    assert_once(mailbox, address, "edited and ready")
    response = act(desk, submission_id, "request_revision", comment="Add the millers' side, please.")
    assert response.status_code == 303
    revision_request = assert_once(mailbox, address, "asks for a revision")
    assert "Add the millers' side, please." in plain_body(revision_request)

    # The contributor revises; the editor marks it edited and publishes.
    response = reporter.post(f"/submissions/{submission_id}/draft", {
        "version": "", "headline": "The night bakers", "dek": "Bread through the curfew.",
        "body": "The ovens start at midnight.\n\nThe millers say flour will run out.", "note": "Millers added",
    }, page=f"/submissions/{submission_id}/draft")
    assert response.status_code == 303
    assert act(desk, submission_id, "mark_edited").status_code == 303
    assert act(desk, submission_id, "publish").status_code == 303
    assert_once(mailbox, address, "Published")

    page = text_of(reporter.get(f"/submissions/{submission_id}"))
    assert "Published" in page and "the-night-bakers" in page
    dashboard = text_of(reporter.get("/dashboard"))
    assert "The night bakers of the old city" in dashboard and "Published" in dashboard

    # Every email of the journey reached the server exactly once, each with its own stable Message-ID.
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids))


def test_decline_tells_the_contributor_why(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    submission = factory.submission(reporter)
    mailbox.wait_for_subject(reporter.email, "We received your pitch")
    desk = signed_in(app, editor)
    response = act(desk, submission.id, "decline", comment="We ran a similar story last week.")
    assert response.status_code == 303
    message = assert_once(mailbox, reporter.email, "About your pitch")
    assert "We ran a similar story last week." in plain_body(message)
    assert "We ran a similar story last week." in message.get_body(("html",)).get_content()


def test_withdraw_tells_the_assigned_editor(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    submission = factory.submission(reporter, state="assigned", editor=editor)
    contributor = signed_in(app, reporter)
    response = act(contributor, submission.id, "withdraw", comment="My access was cut off.")
    assert response.status_code == 303
    message = assert_once(mailbox, editor.email, "Withdrawn by the contributor")
    assert "My access was cut off." in plain_body(message)
    assert "Withdrawn" in text_of(contributor.get("/dashboard"))


def test_messages_reach_the_other_side_but_internal_notes_do_not(app, clean_db, worker, mailbox, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    submission = factory.submission(reporter, state="assigned", editor=editor)
    desk = signed_in(app, editor)
    page = f"/submissions/{submission.id}"
    assert desk.post(f"{page}/messages", {"body": "Internal: check the figures.", "internal": "y"},
                     page=page).status_code == 303
    assert desk.post(f"{page}/messages", {"body": "Can you send photos?"}, page=page).status_code == 303
    message = assert_once(mailbox, reporter.email, "New message")
    assert "Can you send photos?" in plain_body(message)
    time.sleep(0.5)
    assert not any("check the figures" in plain_body(m) for m in mailbox.messages)

    contributor = signed_in(app, reporter)
    assert contributor.post(f"{page}/messages", {"body": "Yes, tomorrow."}, page=page).status_code == 303
    assert_once(mailbox, editor.email, "New message")


def test_a_temporary_smtp_refusal_is_retried_until_it_is_delivered(app, clean_db, worker, mailbox, factory):
    mailbox.refuse_with = "451 4.3.0 Try again later"
    reporter = factory.user("contributor")
    factory.submission(reporter)
    time.sleep(1.0)
    assert not mailbox.to(reporter.email)
    mailbox.refuse_with = None
    assert_once(mailbox, reporter.email, "We received your pitch")

"""Two people acting on the same submission at once: exactly one wins, the other is told what changed.

First the everyday case (two editors opened the same page; the second to press a button gets the "changed
since you opened it" page), then real races: two threads posting at the same moment, and two requests held
at a barrier right before they write, after both passed every check, so that only the version guard of the
UPDATE can tell them apart. Nothing of the loser may survive: not its state, not its audit entry, not its email.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.helpers import CSRF_RE, VERSION_RE, Client, in_days, signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db

STATE_BADGE_RE = re.compile(r'class="badge state-(\w+)"')
CONFLICT_MESSAGES = ("This submission changed since you opened it.",
                     "This submission changed while you were acting on it.",
                     "This submission changed while you were saving.")


class OpenPage:
    """A submission page as one person has it open: its CSRF token and the version it was rendered with."""

    def __init__(self, client: Client, path: str):
        html = client.get(path).get_data(as_text=True)
        self.client = client
        self.path = path
        self.token = CSRF_RE.search(html).group(1)
        match = VERSION_RE.search(html)
        self.version = match.group(1) if match else None

    def press(self, submission_id: int, action: str, **fields):
        data = {"action": action, "version": self.version, "csrf_token": self.token, **fields}
        return self.client.post(f"/submissions/{submission_id}/transition", data)

    def save_draft(self, submission_id: int, body: str):
        data = {"version": self.version, "csrf_token": self.token, "headline": "The night bakers",
                "dek": "Bread through the curfew.", "body": body, "note": ""}
        return self.client.post(f"/submissions/{submission_id}/draft", data)


@pytest.fixture
def two_editors_and_owner(app, factory):
    """Two editors and a contributor, each signed in in a browser of their own."""
    people = {"ed": factory.user("editor", name="Edna Editor"), "max": factory.user("editor", name="Max Desk"),
              "owner": factory.user("contributor", name="Olga Owner")}
    clients = {key: signed_in(app, person) for key, person in people.items()}
    return people, clients


def state_on(client: Client, submission_id: int) -> str:
    return STATE_BADGE_RE.search(client.get(f"/submissions/{submission_id}").get_data(as_text=True)).group(1)


def transitions_on(client: Client, submission_id: int) -> list[str]:
    """The workflow moves listed on the submission's timeline, oldest first."""
    text = text_of(client.get(f"/submissions/{submission_id}"))
    return re.findall(r"(\w+ \w+ moved it from \w+ to \w+)", text)


def outbox_events(app, submission_id: int) -> list[str]:
    from workflow.notifications.models import Notification

    with app.app_context():
        return list(db.session.scalars(sa.select(Notification.event)
                                       .where(Notification.submission_id == submission_id)
                                       .order_by(Notification.id)))


def assert_conflict_page(response, winner_name: str, what_changed: str) -> None:
    assert response.status_code == 409
    page = text_of(response)
    assert "This submission changed since you opened it" in page
    assert any(message in page for message in CONFLICT_MESSAGES)
    assert "Nothing you sent was saved" in page
    assert f"{winner_name} {what_changed}" in page, page
    assert "Open the current version" in page


# Two pages open, pressed one after the other ----------------------------------------------------------------


def test_second_editor_on_a_stale_page_sees_what_changed(two_editors_and_owner, factory):
    people, clients = two_editors_and_owner
    submission = factory.submission(people["owner"])
    page_ed = OpenPage(clients["ed"], f"/submissions/{submission.id}")
    page_max = OpenPage(clients["max"], f"/submissions/{submission.id}")
    assert page_ed.version == page_max.version

    won = page_ed.press(submission.id, "decline", comment="We ran this last week.")
    assert won.status_code == 303
    lost = page_max.press(submission.id, "assign", editor_id=str(people["max"].id), deadline=in_days(9))
    assert_conflict_page(lost, "Edna Editor", "moved it from pitched to declined")
    assert "We ran this last week." in text_of(lost)
    assert "It is now Declined" in text_of(lost)

    assert state_on(clients["max"], submission.id) == "declined"
    assert transitions_on(clients["max"], submission.id) == ["Edna Editor moved it from pitched to declined"]
    assert "Max Desk" not in text_of(clients["max"].get(f"/submissions/{submission.id}")).split("Status")[1] \
        .split("Next:")[0], "the loser is not the assigned editor"


def test_both_editors_press_the_same_button(two_editors_and_owner, factory):
    people, clients = two_editors_and_owner
    submission = factory.submission(people["owner"])
    page_ed = OpenPage(clients["ed"], f"/submissions/{submission.id}")
    page_max = OpenPage(clients["max"], f"/submissions/{submission.id}")

    assert page_max.press(submission.id, "assign", editor_id=str(people["max"].id),
                          deadline=in_days(5)).status_code == 303
    lost = page_ed.press(submission.id, "assign", editor_id=str(people["ed"].id), deadline=in_days(20))
    assert_conflict_page(lost, "Max Desk", "moved it from pitched to assigned")

    page = text_of(clients["ed"].get(f"/submissions/{submission.id}"))
    assert "Editor Max Desk" in page
    assert (utcnow().date() + timedelta(days=5)).strftime("%d %b %Y") in page
    assert transitions_on(clients["ed"], submission.id) == ["Max Desk moved it from pitched to assigned"]


def test_a_draft_saved_meanwhile_makes_the_editor_page_stale(two_editors_and_owner, factory):
    people, clients = two_editors_and_owner
    submission = factory.submission(people["owner"], state="assigned", editor=people["ed"], with_draft=True)
    editor_page = OpenPage(clients["ed"], f"/submissions/{submission.id}")
    draft_page = OpenPage(clients["owner"], f"/submissions/{submission.id}/draft")
    assert draft_page.save_draft(submission.id, "A better second draft.").status_code == 303

    lost = editor_page.press(submission.id, "mark_edited")
    assert lost.status_code == 409
    assert "Olga Owner saved revision 2" in text_of(lost)
    assert state_on(clients["ed"], submission.id) == "assigned"

    # Reloading gives the current version, and the button works.
    assert OpenPage(clients["ed"], f"/submissions/{submission.id}").press(submission.id, "mark_edited") \
        .status_code == 303


def test_messages_do_not_make_open_pages_stale(two_editors_and_owner, factory):
    people, clients = two_editors_and_owner
    submission = factory.submission(people["owner"])
    page_ed = OpenPage(clients["ed"], f"/submissions/{submission.id}")
    factory.message(people["owner"], submission, "Any news?")
    factory.message(people["max"], submission, "I like this one.", internal=True)
    assert page_ed.press(submission.id, "decline", comment="Not for us.").status_code == 303


# Real races ------------------------------------------------------------------------------------------------


@contextmanager
def held_before_writing(threads: int = 2):
    """Hold each racing request at its first flush until all of them got there: all passed every check."""
    barrier = threading.Barrier(threads, timeout=20)
    racers: set[int] = set()
    held: set[int] = set()

    def before_flush(session, flush_context, instances):
        me = threading.get_ident()
        if me in racers and me not in held:
            held.add(me)
            barrier.wait()

    sa.event.listen(Session, "before_flush", before_flush)
    try:
        yield racers
    finally:
        sa.event.remove(Session, "before_flush", before_flush)


def race(*calls, racers: set[int] | None = None):
    """Run each call in a thread of its own, released together by a barrier; return their responses."""
    start = threading.Barrier(len(calls), timeout=20)
    results: list = [None] * len(calls)

    def run(index, call):
        if racers is not None:
            racers.add(threading.get_ident())
        start.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # reported in the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


# Each scenario: starting state, then (who, what) for the two racers; "draft" saves a draft.
SCENARIOS = {
    "assign-vs-decline": ("pitched", ("ed", "assign"), ("max", "decline")),
    "same-assign": ("pitched", ("ed", "assign"), ("max", "assign")),
    "withdraw-vs-assign": ("pitched", ("owner", "withdraw"), ("ed", "assign")),
    "publish-vs-request-revision": ("edited", ("ed", "publish"), ("max", "request_revision")),
    "same-publish": ("edited", ("ed", "publish"), ("max", "publish")),
    "draft-vs-mark-edited": ("assigned", ("owner", "draft"), ("ed", "mark_edited")),
    "draft-vs-draft": ("assigned", ("owner", "draft"), ("ed", "draft")),
}
TARGETS = {"assign": "assigned", "decline": "declined", "withdraw": "withdrawn", "publish": "published",
           "request_revision": "assigned", "mark_edited": "edited", "draft": None}


def _prepare(app, two_editors_and_owner, factory, scenario):
    people, clients = two_editors_and_owner
    state, first, second = SCENARIOS[scenario]
    submission = factory.submission(people["owner"], state=state, editor=people["ed"], with_draft=True
                                    if state == "assigned" else None)
    calls = []
    for key, action in (first, second):
        if action == "draft":
            page = OpenPage(clients[key], f"/submissions/{submission.id}/draft")
            calls.append(lambda page=page, key=key: page.save_draft(submission.id, f"Written by {key}."))
        else:
            page = OpenPage(clients[key], f"/submissions/{submission.id}")
            fields = {"comment": f"Reason of {key}.", "editor_id": str(people[key].id), "deadline": in_days(7)}
            calls.append(lambda page=page, action=action, fields=fields: page.press(submission.id, action,
                                                                                   **fields))
    return people, clients, submission, (first, second), calls, len(outbox_events(app, submission.id))


LOSER_EMAIL = {"decline": "submission.declined", "publish": "submission.published",
               "request_revision": "submission.revision_requested", "mark_edited": "submission.edited",
               "withdraw": "submission.withdrawn", "assign": "submission.assigned",
               "draft": "submission.draft_saved"}


def _check_one_winner(app, people, clients, submission, racers, responses, emails_before):
    codes = sorted(r.status_code for r in responses)
    assert codes == [303, 409], [(r.status_code, text_of(r)[:300]) for r in responses]
    winner_index = next(i for i, r in enumerate(responses) if r.status_code == 303)
    (winner_key, winner_action), (loser_key, loser_action) = racers[winner_index], racers[1 - winner_index]
    loser_page = text_of(responses[1 - winner_index])
    assert "Nothing you sent was saved" in loser_page
    assert people[winner_key].display_name in loser_page, "the loser is shown who changed it"

    staff = clients["ed"]
    before = {"pitched": 0, "assigned": 1, "edited": 2}[submission.state]
    moves = transitions_on(staff, submission.id)
    page = text_of(staff.get(f"/submissions/{submission.id}"))
    if winner_action == "draft":
        assert len(moves) == before
        assert state_on(staff, submission.id) == submission.state
        assert f"Written by {winner_key}." in text_of(staff.get(f"/submissions/{submission.id}/revisions/2"))
    else:
        assert len(moves) == before + 1
        assert moves[-1] == (f"{people[winner_key].display_name} moved it from {submission.state} "
                             f"to {TARGETS[winner_action]}")
        assert state_on(staff, submission.id) == TARGETS[winner_action]
    # Nothing of the loser: no comment, no extra revision, no email about its move.
    assert f"Reason of {loser_key}." not in page
    assert staff.get(f"/submissions/{submission.id}/revisions/3").status_code == 404
    new_emails = outbox_events(app, submission.id)[emails_before:]
    if loser_action != winner_action:
        assert LOSER_EMAIL[loser_action] not in new_emails, new_emails
    else:
        assert new_emails.count(LOSER_EMAIL[winner_action]) <= 1, new_emails
    return responses[1 - winner_index]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_two_requests_at_the_same_moment(app, two_editors_and_owner, factory, scenario):
    people, clients, submission, racers, calls, emails_before = _prepare(app, two_editors_and_owner, factory, scenario)
    responses = race(*calls)
    _check_one_winner(app, people, clients, submission, racers, responses, emails_before)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_both_passed_every_check_before_either_wrote(app, two_editors_and_owner, factory, scenario):
    """The hardest interleaving: only the version guard of the UPDATE stands between them."""
    people, clients, submission, racers, calls, emails_before = _prepare(app, two_editors_and_owner, factory, scenario)
    with held_before_writing() as holding:
        responses = race(*calls, racers=holding)
    loser = _check_one_winner(app, people, clients, submission, racers, responses, emails_before)
    assert "changed while you were" in text_of(loser), "the loser was caught by the guarded UPDATE"

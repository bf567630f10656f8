"""The workflow table, tested cell by cell over HTTP, against a copy of it written out by hand.

``PINNED`` is every row of ``TRANSITIONS`` as it must be, typed here, not computed: the first test compares the
two, so a wrong row fails. Every state × every action × every role is then posted to
``/submissions/<id>/transition`` on a submission the factory walked to that state, and the expected outcome is
read from the pinned copy: allowed iff a row leaves that state with that action and its actor admits the role.
Then the emails each row sends and to whom, the next step each person reads, the requirements of the table
(comment, assignment, draft), the buttons each role sees, the checks the table gets at import, and the
database constraints generated from it, on both databases.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.helpers import CSRF_RE, Client, Factory, act, empty_tables, field_error, in_days, signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.people.models import Role
from workflow.submissions.workflow import (
    NO_EMAIL,
    TRANSITIONS,
    Actor,
    Email,
    NextStep,
    Recipient,
    State,
    Transition,
    WorkflowTableError,
    available_transitions,
    check_table,
)

ROLES = ("anonymous", "owner", "other_contributor", "editor", "admin")
ROLE_OF = {"owner": Role.CONTRIBUTOR, "other_contributor": Role.CONTRIBUTOR, "editor": Role.EDITOR,
           "admin": Role.ADMIN}
STATE_BADGE_RE = re.compile(r'class="badge state-(\w+)"')


# The table, written out by hand ------------------------------------------------------------------------------


class Row(NamedTuple):
    action: str
    source: str
    target: str
    actor: str  # owner, editor (editors and admins) or admin
    label: str  # the button
    requires: frozenset[str]
    effects: tuple[str, ...]
    emails: tuple[tuple[str, str, tuple[str, ...]], ...] | str  # (to, event, details), or "NO_EMAIL"
    commissions: bool


ASSIGNMENT = ("deadline", "editor", "assigned_words", "fee")
PINNED = (
    Row("assign", "pitched", "assigned", "editor", "Assign", frozenset({"assignment"}), ("assignment",),
        (("contributor", "submission.assigned", ASSIGNMENT), ("editor", "submission.assigned_to_you", ("deadline",))),
        True),
    Row("decline", "pitched", "declined", "editor", "Decline", frozenset({"comment"}), (),
        (("contributor", "submission.declined", ()),), False),
    Row("decline", "assigned", "declined", "editor", "Kill the story", frozenset({"comment"}), (),
        (("contributor", "submission.declined", ()),), False),
    Row("mark_edited", "assigned", "edited", "editor", "Mark edited", frozenset({"draft"}), (),
        (("contributor", "submission.edited", ()),), False),
    Row("request_revision", "edited", "assigned", "editor", "Needs revision", frozenset({"comment"}), (),
        (("contributor", "submission.revision_requested", ()),), False),
    Row("publish", "edited", "published", "editor", "Publish", frozenset({"draft"}), ("publication",),
        (("contributor", "submission.published", ()),), False),
    Row("unpublish", "published", "edited", "admin", "Unpublish", frozenset({"comment"}), ("unpublication",),
        (("contributor", "submission.unpublished", ()), ("editor", "submission.unpublished", ())), False),
    Row("reopen", "declined", "pitched", "editor", "Reopen the pitch", frozenset({"comment"}), ("restart_promise",),
        (("contributor", "submission.reopened", ()),), False),
    Row("withdraw", "pitched", "withdrawn", "owner", "Withdraw my pitch", frozenset(), (),
        (("editor", "submission.withdrawn", ()),), False),
    Row("withdraw", "assigned", "withdrawn", "owner", "Withdraw my story", frozenset(), (),
        (("editor", "submission.withdrawn", ()),), False),
)
STATES = ("pitched", "assigned", "edited", "published", "declined", "withdrawn")
ACTIONS = ("assign", "decline", "mark_edited", "request_revision", "publish", "unpublish", "reopen", "withdraw")
# What "Next step" says in each state: (to the contributor, to the desk), with the table's slots for dates.
NEXT_STEPS = {
    "pitched": ("An editor will read your pitch and answer.", "Read the pitch, then assign it or decline it."),
    "assigned": ("Write and send your draft{by_deadline}.", "Waiting for the draft{by_deadline}."),
    "edited": ("The edited copy is ready; the editor will publish it.",
               "Publish it, or ask the contributor for a revision."),
    "published": ("Published{on_publication_date}.", "Published{on_publication_date}."),
    "declined": ("Declined by the desk.", "Declined by the desk."),
    "withdrawn": ("You withdrew this story.", "The contributor withdrew this story."),
}
# The CHECK constraints generated from the table, as migrations/versions/2026_11_25_a5998391a61a_the_desk.py
# created them: the same text, so the models need no new migration.
MIGRATION = Path(__file__).parent.parent / "migrations" / "versions" / "2026_11_25_a5998391a61a_the_desk.py"
GENERATED_CHECKS = {
    "ck_submissions_commissioned_has_editor":
        "state NOT IN ('assigned', 'edited', 'published') OR editor_id IS NOT NULL",
    "ck_submissions_commissioned_has_deadline":
        "state NOT IN ('assigned', 'edited', 'published') OR deadline IS NOT NULL",
    "ck_submissions_published_has_time_and_slug":
        "state <> 'published' OR (published_at IS NOT NULL AND slug IS NOT NULL)",
}


def as_written(t: Transition) -> Row:
    """A row of the code's table in the plain words of ``PINNED``."""
    emails = "NO_EMAIL" if t.emails is NO_EMAIL else tuple((e.to.value, e.event, e.details) for e in t.emails)
    return Row(t.action, t.source.value, t.target.value, t.actor.value, t.label,
               frozenset(r.value for r in t.requires), tuple(e.value for e in t.effects), emails, t.commissions)


def test_the_table_is_the_copy_written_out_by_hand():
    assert tuple(as_written(t) for t in TRANSITIONS) == PINNED
    assert tuple(s.value for s in State) == STATES


def test_each_state_words_its_next_step_as_written_out_by_hand():
    assert {s.value: (s.next_step.contributor, s.next_step.desk) for s in State} == NEXT_STEPS
    for t in TRANSITIONS:
        assert (t.next_step.contributor, t.next_step.desk) == NEXT_STEPS[t.target.value], t


def test_the_check_constraints_are_generated_with_the_text_the_migrations_created():
    from workflow.submissions.models import Submission

    generated = {c.name: str(c.sqltext) for c in Submission.__table__.constraints if c.name in GENERATED_CHECKS}
    assert generated == GENERATED_CHECKS
    migration = MIGRATION.read_text()
    for name, text in GENERATED_CHECKS.items():
        assert f'sa.CheckConstraint("{text}", name=op.f(\'{name}\'))' in migration


def pinned_row(state: str, action: str) -> Row | None:
    return next((r for r in PINNED if r.source == state and r.action == action), None)


def actor_admits(actor: str, role: str) -> bool:
    """What the table's actor column means, written independently of the code under test."""
    if actor == "owner":
        return role == "owner"
    if actor == "editor":
        return role in ("editor", "admin")
    return role == "admin"


def expected_outcome(state: str, action: str, role: str) -> str | int:
    """'allowed', 'login', or the status code of the refusal."""
    if role == "anonymous":
        return "login"
    if role == "other_contributor":
        return 404  # never a hint that somebody else's submission exists
    row = pinned_row(state, action)
    if row is None:
        return 422
    return "allowed" if actor_admits(row.actor, role) else 403


def needs_draft(state: str) -> bool:
    """Whether some transition out of ``state`` requires a draft, so the factory must write one."""
    return any(r.source == state and "draft" in r.requires for r in PINNED)


def state_on_page(response) -> str:
    match = STATE_BADGE_RE.search(response.get_data(as_text=True))
    assert match, "no state badge on the page"
    return match.group(1)


def buttons_on(response) -> list[tuple[str, str]]:
    """(action, button label) of every workflow form on a submission page."""
    html = response.get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/submissions/\d+/transition".*?</form>', html, flags=re.S)
    found = []
    for form in forms:
        action = re.search(r'name="action" type="hidden" value="([^"]+)"', form).group(1)
        label = re.sub(r"\s+", " ", re.search(r"<button[^>]*>(.*?)</button>", form, flags=re.S).group(1)).strip()
        found.append((action, label))
    return found


class Desk:
    """The same five people for every cell, signed in once: 240 cells must stay quick."""

    def __init__(self, app):
        self.factory = Factory(app)
        self.people = {
            "owner": self.factory.user("contributor", name="Olga Owner"),
            "other_contributor": self.factory.user("contributor", name="Otto Other"),
            "editor": self.factory.user("editor", name="Edna Editor"),
            "admin": self.factory.user("admin", name="Ada Admin"),
        }
        self.clients = {"anonymous": Client(app)}
        self.tokens = {"anonymous": self._token(self.clients["anonymous"], "/login")}
        for role, person in self.people.items():
            client = signed_in(app, person)
            self.clients[role] = client
            self.tokens[role] = self._token(client, "/account")

    @staticmethod
    def _token(client: Client, page: str) -> str:
        return CSRF_RE.search(client.get(page).get_data(as_text=True)).group(1)

    def submission(self, state: str):
        return self.factory.submission(self.people["owner"], state=state, editor=self.people["editor"],
                                       with_draft=True if needs_draft(state) else None)


@pytest.fixture(scope="class")
def everyone_signed_in(app):
    yield Desk(app)
    empty_tables(app)


CELLS = [(state, action, role) for state in STATES for action in ACTIONS for role in ROLES]


def _cell_id(cell) -> str:
    state, action, role = cell
    outcome = expected_outcome(state, action, role)
    return f"{state}-{action}-{role}-{'ok' if outcome == 'allowed' else outcome}"


@pytest.mark.parametrize("cell", CELLS, ids=[_cell_id(c) for c in CELLS])
class TestEveryCell:
    def test_transition(self, everyone_signed_in, cell):
        state, action, role = cell
        submission = everyone_signed_in.submission(state)
        client = everyone_signed_in.clients[role]
        # Everything any transition could require, so that a refusal can only come from the table itself.
        data = {"action": action, "version": str(submission.version), "comment": "Because the desk decided so.",
                "editor_id": str(everyone_signed_in.people["editor"].id), "deadline": in_days(7),
                "assigned_words": "900", "fee": "150", "csrf_token": everyone_signed_in.tokens[role]}
        response = client.post(f"/submissions/{submission.id}/transition", data)
        outcome = expected_outcome(state, action, role)

        if outcome == "allowed":
            row = pinned_row(state, action)
            assert response.status_code == 303, text_of(response)[:2000]
            assert response.location.endswith(f"/submissions/{submission.id}")
            page = client.get(response.location)
            assert state_on_page(page) == row.target
            actor_name = everyone_signed_in.people[role].display_name
            moved = f"{actor_name} moved it from {state} to {row.target}"
            assert text_of(page).count(moved) == 1, text_of(page)
            if "comment" in row.requires or action == "withdraw":
                assert "Because the desk decided so." in text_of(page)
            assert everyone_signed_in.factory.version_of(submission) == submission.version + 1
            return

        if outcome == "login":
            assert response.status_code == 302
            assert "/login" in response.location
        else:
            assert response.status_code == outcome, text_of(response)[:2000]
            if outcome == 404:
                assert submission.headline not in response.get_data(as_text=True)
            else:
                # The person is told why, on the page they were on.
                assert "There is a problem" in text_of(response)
        assert everyone_signed_in.factory.version_of(submission) == submission.version
        staff_page = everyone_signed_in.clients["editor"].get(f"/submissions/{submission.id}")
        assert state_on_page(staff_page) == state


VIEWERS = [(state, role) for state in STATES for role in ROLES]


@pytest.mark.parametrize("state,role", VIEWERS, ids=[f"{s}-{r}" for s, r in VIEWERS])
class TestButtons:
    def test_buttons_match_the_table(self, everyone_signed_in, state, role):
        submission = everyone_signed_in.submission(state)
        response = everyone_signed_in.clients[role].get(f"/submissions/{submission.id}")
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.location
            return
        if role == "other_contributor":
            assert response.status_code == 404
            return
        assert response.status_code == 200
        expected = [(r.action, r.label) for r in PINNED if r.source == state and actor_admits(r.actor, role)]
        from_code = [(t.action, t.label)
                     for t in available_transitions(State(state), ROLE_OF[role], role == "owner")]
        assert expected == from_code
        assert buttons_on(response) == expected


# Requirements of the table ---------------------------------------------------------------------------------


@pytest.fixture
def people(app, factory):
    """An editor, an admin and a contributor, each signed in in a browser of their own."""
    editor = factory.user("editor", name="Edna Editor")
    owner = factory.user("contributor", name="Olga Owner")
    admin = factory.user("admin", name="Ada Admin")
    desk_client, admin_client, owner_client = signed_in(app, editor), signed_in(app, admin), signed_in(app, owner)
    return {"editor": editor, "owner": owner, "admin": admin, "desk": desk_client, "admin_client": admin_client,
            "owner_client": owner_client}


COMMENT_RULES = [r for r in PINNED if "comment" in r.requires]


@pytest.mark.parametrize("rule", COMMENT_RULES, ids=[f"{r.source}-{r.action}" for r in COMMENT_RULES])
def test_a_comment_is_required_and_shown_next_to_the_comment_field(factory, people, rule):
    submission = factory.submission(people["owner"], state=rule.source, editor=people["editor"])
    client = people["admin_client"] if rule.actor == "admin" else people["desk"]
    response = act(client, submission.id, rule.action, comment="   ")
    assert response.status_code == 422
    assert "Please write the reason" in field_error(response, "comment")
    assert state_on_page(response) == rule.source
    assert factory.version_of(submission) == submission.version

    # A reason too long is refused too, and what was typed is kept in the field.
    long_reason = "Too long. " * 600
    response = act(client, submission.id, rule.action, comment=long_reason)
    assert response.status_code == 422
    assert "At most 5,000 characters" in field_error(response, "comment")
    assert "Too long. Too long." in response.get_data(as_text=True)
    assert factory.version_of(submission) == submission.version


def test_assign_needs_an_editor_and_a_deadline_that_is_not_past(factory, people):
    submission = factory.submission(people["owner"])
    desk = people["desk"]
    typed = {"assigned_words": "1300", "fee": "275.50"}

    response = act(desk, submission.id, "assign", editor_id="", deadline=in_days(5), **typed)
    assert response.status_code == 422
    assert "Choose the editor" in field_error(response, "editor_id")

    response = act(desk, submission.id, "assign", editor_id=str(people["owner"].id), deadline=in_days(5), **typed)
    assert response.status_code == 422, "a contributor cannot be the assigned editor"
    assert "Choose the editor" in field_error(response, "editor_id")

    response = act(desk, submission.id, "assign", editor_id=str(people["editor"].id), deadline="", **typed)
    assert response.status_code == 422
    assert "Set a deadline" in field_error(response, "deadline")

    yesterday = in_days(-1)
    response = act(desk, submission.id, "assign", editor_id=str(people["editor"].id), deadline=yesterday, **typed)
    assert response.status_code == 422
    assert "cannot be in the past" in field_error(response, "deadline")
    html = response.get_data(as_text=True)
    # What the editor typed is still there to correct.
    assert f'value="{yesterday}"' in html and 'value="1300"' in html and 'value="275.50"' in html
    assert factory.version_of(submission) == submission.version

    response = act(desk, submission.id, "assign", editor_id=str(people["editor"].id), deadline=in_days(0), **typed)
    assert response.status_code == 303, "today is a valid deadline"
    page = text_of(desk.get(f"/submissions/{submission.id}"))
    assert "Editor Edna Editor" in page and "1300 words" in page and "275.50" in page


def test_mark_edited_needs_a_draft(factory, people):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"])
    desk = people["desk"]
    page = desk.get(f"/submissions/{submission.id}")
    assert "“Mark edited” becomes possible once there is a draft." in text_of(page)
    assert 'value="mark_edited"' not in page.get_data(as_text=True)  # no button to press yet
    response = act(desk, submission.id, "mark_edited")  # a forged request is refused all the same
    assert response.status_code == 422
    assert "There is no draft yet." in text_of(response)
    assert state_on_page(response) == "assigned"
    assert factory.version_of(submission) == submission.version


def test_publish_takes_the_latest_draft_and_gives_a_slug(factory, people):
    submission = factory.submission(people["owner"], state="edited", editor=people["editor"],
                                    headline="Bakers at night")
    response = act(people["desk"], submission.id, "publish")
    assert response.status_code == 303
    page = text_of(people["owner_client"].get(f"/submissions/{submission.id}"))
    assert "Published" in page and "Slug bakers-at-night" in page


def test_unpublished_story_no_longer_says_it_is_published(factory, people):
    submission = factory.submission(people["owner"], state="published", editor=people["editor"])
    response = act(people["admin_client"], submission.id, "unpublish", comment="Legal asked us to.")
    assert response.status_code == 303
    response = people["owner_client"].get(f"/submissions/{submission.id}")
    assert state_on_page(response) == "edited"
    assert "<dt>Published</dt>" not in response.get_data(as_text=True)
    page = text_of(response)
    # Published again, it keeps its address.
    slug = re.search(r"Slug ([a-z0-9-]+)", page).group(1)
    assert act(people["desk"], submission.id, "publish").status_code == 303
    assert f"Slug {slug}" in text_of(people["owner_client"].get(f"/submissions/{submission.id}"))


def test_an_unknown_action_is_refused_without_change(factory, people):
    submission = factory.submission(people["owner"])
    response = act(people["desk"], submission.id, "delete_everything")
    assert response.status_code == 422
    assert "There is a problem" in text_of(response)
    assert factory.version_of(submission) == submission.version


# The database backs the table --------------------------------------------------------------------------------


def _update_rejected(app, submission_id: int, **values) -> None:
    from workflow.submissions.models import Submission

    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(sa.update(Submission).where(Submission.id == submission_id).values(**values))
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("values", [
    {"state": State.ASSIGNED},
    {"state": State.EDITED},
    {"state": State.PUBLISHED},
], ids=["assigned", "edited", "published"])
def test_commissioned_states_need_an_editor_and_a_deadline(app, factory, values):
    owner = factory.user("contributor")
    submission = factory.submission(owner)
    _update_rejected(app, submission.id, **values)
    editor = factory.user("editor")
    _update_rejected(app, submission.id, editor_id=editor.id, **values)  # still no deadline


def test_published_needs_a_time_and_a_slug_and_money_cannot_be_negative(app, factory):
    editor = factory.user("editor")
    submission = factory.submission(factory.user("contributor"), state="edited", editor=editor)
    _update_rejected(app, submission.id, state=State.PUBLISHED)
    _update_rejected(app, submission.id, state=State.PUBLISHED, published_at=utcnow())
    _update_rejected(app, submission.id, fee=-1)
    _update_rejected(app, submission.id, assigned_words=0)


def test_the_state_column_only_takes_states_of_the_table(app, factory):
    submission = factory.submission(factory.user("contributor"))
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text("UPDATE submissions SET state = 'lost' WHERE id = :id"),
                               {"id": submission.id})
        db.session.rollback()


def test_a_refusal_says_who_may_do_it(factory, people):
    submission = factory.submission(people["owner"], state="published", editor=people["editor"])
    # The editor has no such button; a forged form is refused all the same.
    response = act(people["desk"], submission.id, "unpublish", version=submission.version,
                   comment="Legal asked us to.")
    assert response.status_code == 403
    assert "“Unpublish” is for admins only." in text_of(response)

    pitch = factory.submission(people["owner"])
    response = act(people["owner_client"], pitch.id, "assign", editor_id=str(people["editor"].id),
                   deadline=in_days(3))
    assert response.status_code == 403
    assert "“Assign” is for editors." in text_of(response)

    response = act(people["owner_client"], pitch.id, "publish")
    assert response.status_code == 422
    assert "This submission is pitched: “Publish” is not possible now." in text_of(response)


# The emails each row sends ----------------------------------------------------------------------------------

TRANSITION_PARAMS = {"submission_id", "headline", "actor", "comment"}
EMAILING = [r for r in PINNED if r.emails != "NO_EMAIL"]


def emails_since(app, submission_id: int, after: int) -> list[tuple[str, int, set[str]]]:
    """(event, recipient id, param names) of each notification written about the story after id ``after``."""
    from workflow.notifications.models import Notification

    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(
            Notification.submission_id == submission_id, Notification.id > after).order_by(Notification.id))
        found = [(n.event, n.recipient_id, set(n.params)) for n in rows]
        db.session.remove()
    return found


def last_notification_id(app) -> int:
    from workflow.notifications.models import Notification

    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
        db.session.remove()
    return last


@pytest.mark.parametrize("row", EMAILING, ids=[f"{r.source}-{r.action}" for r in EMAILING])
def test_each_row_emails_the_people_it_names(app, factory, people, row):
    """Acted on by someone who is not the assigned editor: the contributor and the editor get what the row says."""
    submission = factory.submission(people["owner"], state=row.source, editor=people["editor"],
                                    with_draft=True if needs_draft(row.source) else None)
    client = people["owner_client"] if row.actor == "owner" else people["admin_client"]
    before = last_notification_id(app)
    response = act(client, submission.id, row.action, comment="Because the desk decided so.",
                   editor_id=str(people["editor"].id), deadline=in_days(7), assigned_words="900", fee="150")
    assert response.status_code == 303, text_of(response)[:2000]
    from workflow.submissions.models import Submission

    with app.app_context():
        has_editor = db.session.get(Submission, submission.id).editor_id == people["editor"].id
        db.session.remove()
    expected = [(event, people["owner"].id if to == "contributor" else people["editor"].id,
                 TRANSITION_PARAMS | set(details))
                for to, event, details in row.emails if to == "contributor" or has_editor]
    assert emails_since(app, submission.id, before) == expected


def test_the_assigned_editor_is_not_emailed_about_what_they_did_themselves(app, factory, people):
    pitch = factory.submission(people["owner"])
    before = last_notification_id(app)
    assert act(people["desk"], pitch.id, "assign", editor_id=str(people["editor"].id),
               deadline=in_days(7)).status_code == 303
    assert [e[:2] for e in emails_since(app, pitch.id, before)] == [("submission.assigned", people["owner"].id)]

    story = factory.submission(people["owner"], state="published", editor=people["admin"])
    before = last_notification_id(app)
    assert act(people["admin_client"], story.id, "unpublish", comment="Legal asked us to.").status_code == 303
    assert [e[:2] for e in emails_since(app, story.id, before)] == [("submission.unpublished", people["owner"].id)]


def test_a_withdrawn_pitch_with_no_editor_emails_nobody(app, factory, people):
    pitch = factory.submission(people["owner"])
    before = last_notification_id(app)
    assert act(people["owner_client"], pitch.id, "withdraw").status_code == 303
    assert emails_since(app, pitch.id, before) == []


# The next step each person reads ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["assigned", "published", "declined"])
def test_the_next_step_fills_in_the_dates_of_the_story(factory, people, state):
    submission = factory.submission(people["owner"], state=state, editor=people["editor"])
    path = f"/submissions/{submission.id}"
    deadline = (utcnow().date() + timedelta(days=10)).strftime("%d %b %Y")  # the factory's deadline
    today = utcnow().strftime("%d %b %Y")
    contributor, desk = {
        "assigned": (f"Write and send your draft by {deadline}.", f"Waiting for the draft by {deadline}."),
        "published": (f"Published on {today}.", f"Published on {today}."),
        "declined": ("Declined by the desk.", "Declined by the desk."),
    }[state]
    assert f"Next: {contributor}" in text_of(people["owner_client"].get(path))
    assert f"Next: {desk}" in text_of(people["desk"].get(path))
    assert contributor in text_of(people["owner_client"].get("/dashboard"))


# The table is checked when it is imported ---------------------------------------------------------------------


def _with(action: str, source: str, /, **changes) -> tuple[Transition, ...]:
    """The table with one row changed."""
    return tuple(dataclasses.replace(t, **changes) if (t.action, t.source.value) == (action, source) else t
                 for t in TRANSITIONS)


def test_the_table_as_it_is_passes_its_checks_and_may_say_it_emails_nobody():
    check_table(TRANSITIONS)
    check_table(_with("withdraw", "pitched", emails=NO_EMAIL))


def test_a_row_cannot_leave_out_its_emails():
    with pytest.raises(TypeError, match="emails"):
        Transition(action="archive", source=State.PUBLISHED, target=State.WITHDRAWN, actor=Actor.ADMIN,
                   label="Archive", done="archived the story", next_step=TRANSITIONS[-1].next_step)


@pytest.mark.parametrize("changes,reason", [
    ({"emails": ()}, "NO_EMAIL if it deliberately tells nobody"),
    ({"emails": (Email(Recipient.CONTRIBUTOR, "submission.archived"),)}, "no event 'submission.archived'"),
    ({"emails": (Email(Recipient.EDITOR, "submission.declined"),)}, "is for contributor, not for the editor"),
    ({"emails": (Email(Recipient.CONTRIBUTOR, "submission.declined", ("deadline",)),)},
     "its sample in notifications/events.py"),
    ({"next_step": NextStep(contributor="Gone.", desk="Gone.")}, "words the next step in declined differently"),
    ({"next_step": NextStep(contributor="Declined on {when}.", desk="Declined.")}, "unknown slots ['when']"),
    ({"commissions": True}, "commissions the story exactly when it assigns it"),
    ({"source": State.PITCHED}, "a second row for this action from this state"),
], ids=["empty-emails", "unknown-event", "wrong-audience", "params-unlike-sample", "two-next-steps",
        "unknown-slot", "commissions-without-assigning", "duplicate-row"])
def test_a_wrong_row_is_refused_with_the_reason(changes, reason):
    with pytest.raises(WorkflowTableError) as refused:
        check_table(_with("decline", "assigned", **changes))
    assert reason in str(refused.value)
    assert "assigned --decline--> declined" in str(refused.value) or "pitched --decline--> declined" in str(
        refused.value)


def test_a_state_no_row_leads_to_is_refused():
    with pytest.raises(WorkflowTableError, match="withdrawn: no row leads there"):
        check_table(tuple(t for t in TRANSITIONS if t.action != "withdraw"))

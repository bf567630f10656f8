"""The workflow table, tested cell by cell over HTTP.

Every state × every action × every role is generated from ``TRANSITIONS`` and posted to
``/submissions/<id>/transition`` on a submission the factory walked to that state. The expected outcome is
computed from the table: allowed iff a transition leaves that state with that action and its actor admits the
role. Then the requirements of the table (comment, assignment, draft), the buttons each role sees, and the
database constraints that back the table on both databases.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.helpers import CSRF_RE, Client, Factory, act, empty_tables, field_error, in_days, signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.people.models import Role
from workflow.submissions.workflow import (
    ACTIONS,
    TRANSITIONS,
    Actor,
    Requirement,
    State,
    available_transitions,
    find_transition,
)

ROLES = ("anonymous", "owner", "other_contributor", "editor", "admin")
ROLE_OF = {"owner": Role.CONTRIBUTOR, "other_contributor": Role.CONTRIBUTOR, "editor": Role.EDITOR,
           "admin": Role.ADMIN}
STATE_BADGE_RE = re.compile(r'class="badge state-(\w+)"')


def actor_admits(actor: Actor, role: str) -> bool:
    """What the table's actor column means, written independently of the code under test."""
    if actor is Actor.OWNER:
        return role == "owner"
    if actor is Actor.EDITOR:
        return role in ("editor", "admin")
    return role == "admin"


def expected_outcome(state: State, action: str, role: str) -> str | int:
    """'allowed', 'login', or the status code of the refusal."""
    if role == "anonymous":
        return "login"
    if role == "other_contributor":
        return 404  # never a hint that somebody else's submission exists
    rule = find_transition(state, action)
    if rule is None:
        return 422
    return "allowed" if actor_admits(rule.actor, role) else 403


def needs_draft(state: State) -> bool:
    """Whether some transition out of ``state`` requires a draft, so the factory must write one."""
    return any(t.source is state and Requirement.DRAFT in t.requires for t in TRANSITIONS)


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

    def submission(self, state: State):
        return self.factory.submission(self.people["owner"], state=state.value, editor=self.people["editor"],
                                       with_draft=True if needs_draft(state) else None)


@pytest.fixture(scope="class")
def everyone_signed_in(app):
    yield Desk(app)
    empty_tables(app)


CELLS = [(state, action, role) for state in State for action in ACTIONS for role in ROLES]


def _cell_id(cell) -> str:
    state, action, role = cell
    outcome = expected_outcome(state, action, role)
    return f"{state.value}-{action}-{role}-{'ok' if outcome == 'allowed' else outcome}"


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
            rule = find_transition(state, action)
            assert response.status_code == 303, text_of(response)[:2000]
            assert response.location.endswith(f"/submissions/{submission.id}")
            page = client.get(response.location)
            assert state_on_page(page) == rule.target.value
            actor_name = everyone_signed_in.people[role].display_name
            moved = f"{actor_name} moved it from {state.value} to {rule.target.value}"
            assert text_of(page).count(moved) == 1, text_of(page)
            if Requirement.COMMENT in rule.requires or action == "withdraw":
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
        assert state_on_page(staff_page) == state.value


VIEWERS = [(state, role) for state in State for role in ROLES]


@pytest.mark.parametrize("state,role", VIEWERS, ids=[f"{s.value}-{r}" for s, r in VIEWERS])
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
        expected = [(t.action, t.label) for t in TRANSITIONS if t.source is state and actor_admits(t.actor, role)]
        from_code = [(t.action, t.label) for t in available_transitions(state, ROLE_OF[role], role == "owner")]
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


COMMENT_RULES = [t for t in TRANSITIONS if Requirement.COMMENT in t.requires]


@pytest.mark.parametrize("rule", COMMENT_RULES, ids=[f"{t.source.value}-{t.action}" for t in COMMENT_RULES])
def test_a_comment_is_required_and_shown_next_to_the_comment_field(factory, people, rule):
    submission = factory.submission(people["owner"], state=rule.source.value, editor=people["editor"])
    client = people["admin_client"] if rule.actor is Actor.ADMIN else people["desk"]
    response = act(client, submission.id, rule.action, comment="   ")
    assert response.status_code == 422
    assert "Please write the reason" in field_error(response, "comment")
    assert state_on_page(response) == rule.source.value
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

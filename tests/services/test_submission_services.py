"""The submissions' services called directly (pitch, transition, draft, message): the rules a contributor and the
desk rely on, checked without HTTP.

The expected outcomes are written out by hand below (``ALLOWED``, ``ANNOUNCED``), from what the desk's guidelines
promise; one test holds the workflow table to them, so that a change to the table is a change to this spec too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from workflow.core.errors import Conflict, DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.notifications.models import Notification
from workflow.people.models import Role, User
from workflow.submissions import services
from workflow.submissions.models import AuditEntry, Message, Revision, RevisionKind, Submission
from workflow.submissions.workflow import ACTIONS, TRANSITIONS, State

pytestmark = pytest.mark.services

# (state, action) -> (the state it leads to, who may do it). Every other (state, action) is refused.
ALLOWED = {
    ("pitched", "assign"): ("assigned", "editor"),
    ("pitched", "decline"): ("declined", "editor"),
    ("pitched", "withdraw"): ("withdrawn", "owner"),
    ("assigned", "decline"): ("declined", "editor"),
    ("assigned", "mark_edited"): ("edited", "editor"),
    ("assigned", "withdraw"): ("withdrawn", "owner"),
    ("edited", "request_revision"): ("assigned", "editor"),
    ("edited", "publish"): ("published", "editor"),
    ("published", "unpublish"): ("edited", "admin"),
    ("declined", "reopen"): ("pitched", "editor"),
}
# Who hears of each move, (event, whom): "owner" is the contributor, "editor" the story's editor (here never the
# one who acts: the chief editor moves the story, an admin unpublishes it, the contributor withdraws it).
ANNOUNCED = {
    ("pitched", "assign"): {("submission.assigned", "owner"), ("submission.assigned_to_you", "editor")},
    ("pitched", "decline"): {("submission.declined", "owner")},
    ("pitched", "withdraw"): set(),  # nobody edits it yet
    ("assigned", "decline"): {("submission.declined", "owner")},
    ("assigned", "mark_edited"): {("submission.edited", "owner")},
    ("assigned", "withdraw"): {("submission.withdrawn", "editor")},
    ("edited", "request_revision"): {("submission.revision_requested", "owner")},
    ("edited", "publish"): {("submission.published", "owner")},
    ("published", "unpublish"): {("submission.unpublished", "owner"), ("submission.unpublished", "editor")},
    ("declined", "reopen"): {("submission.reopened", "owner")},
}
REFUSED = [(state.value, action) for state in State for action in ACTIONS if (state.value, action) not in ALLOWED]


def in_days(days: int):
    return utcnow().date() + timedelta(days=days)


def everything(submission: Submission, cast, action: str, **changes) -> services.TransitionInput:
    """An input carrying whatever any move may require (so that only the rule under test can refuse it)."""
    fields = {"action": action, "seen_version": submission.version, "comment": "Because the desk decided so.",
              "editor_id": cast.editor.id, "deadline": in_days(7), "assigned_words": 900}
    return services.TransitionInput(**{**fields, **changes})


def story(factory, cast, state: str, **kwargs):
    """A submission of the owner's walked to ``state`` by the factory, the story's editor being ``cast.editor``
    (a declined one was declined as a pitch)."""
    if state in ("pitched", "withdrawn"):
        return factory.submission(cast.owner, state, **kwargs)
    return factory.submission(cast.owner, state, editor=cast.editor,
                              with_draft=True if state in ("assigned", "edited") else None, **kwargs)


def person(session, ref) -> User:
    return session.get(User, ref.id)


def disabled_editor(factory, session) -> User:
    """An editor whose account an admin disabled (flushed in the test's session, which then holds SQLite's write
    lock: make factory data before)."""
    editor = person(session, factory.user("editor", name="Gone Editor"))
    editor.disabled_at = utcnow()
    session.flush()
    return editor


def audit_of(session, submission_id: int) -> list[tuple]:
    return [(entry.action, entry.from_state, entry.to_state, entry.actor_id, entry.version, entry.comment)
            for entry in session.scalars(sa.select(AuditEntry).where(AuditEntry.submission_id == submission_id)
                                         .order_by(AuditEntry.id))]


def notifications_of(session, submission_id: int) -> list[tuple[str, int]]:
    return [tuple(row) for row in session.execute(
        sa.select(Notification.event, Notification.recipient_id)
        .where(Notification.submission_id == submission_id).order_by(Notification.id))]


def snapshot(session, submission_id: int) -> tuple:
    """What a refused move must leave as it was: the state, the version, the audit and the notifications."""
    session.expire_all()
    row = session.get(Submission, submission_id)
    return row.state, row.version, audit_of(session, submission_id), notifications_of(session, submission_id)


# --- the table --------------------------------------------------------------------------------------------------

def test_the_workflow_table_is_the_one_the_desk_agreed_on():
    actor_of = {"owner": "owner", "editor": "editor", "admin": "admin"}
    table = {(t.source.value, t.action): (t.target.value, actor_of[t.actor.value]) for t in TRANSITIONS}
    assert table == ALLOWED


# --- moves the table allows -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "action"), list(ALLOWED), ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_a_move_changes_the_state_and_writes_its_audit_row_and_notifications_in_the_same_flush(
        factory, cast, session, state, action):
    target, who = ALLOWED[(state, action)]
    ref = story(factory, cast, state)
    actor = person(session, {"editor": cast.chief, "admin": cast.admin, "owner": cast.owner}[who])
    before = snapshot(session, ref.id)
    submission = session.get(Submission, ref.id)

    entry = services.transition(actor, submission, everything(submission, cast, action))

    # Flushed, not committed: the change, its audit row and its notifications are in this one transaction.
    assert submission.state.value == target
    assert submission.version == before[1] + 1
    new_audit = audit_of(session, ref.id)[len(before[2]):]
    assert new_audit == [(action, State(state), State(target), actor.id, submission.version,
                          "Because the desk decided so.")]
    assert entry.id is not None and entry.action == action
    recipients = {"owner": cast.owner.id, "editor": cast.editor.id}
    new_notifications = notifications_of(session, ref.id)[len(before[3]):]
    expected = [(event, recipients[whom]) for event, whom in ANNOUNCED[(state, action)]]
    assert sorted(new_notifications) == sorted(expected)

    # They stand or fall together: rolled back, there was no move, no audit row and no notification.
    session.rollback()
    assert snapshot(session, ref.id) == before


def test_notifications_of_a_move_are_handed_to_the_workers_only_once_it_is_committed(factory, cast, session):
    ref = story(factory, cast, "pitched")
    submission = session.get(Submission, ref.id)
    services.transition(person(session, cast.chief), submission, everything(submission, cast, "assign"))
    written = session.scalars(sa.select(Notification).where(Notification.submission_id == ref.id,
                                                            Notification.event.like("submission.assign%"))).all()
    assert len(written) == 2 and all(n.queued_at is None for n in written)

    session.commit()

    session.expire_all()
    assert all(n.queued_at is not None for n in written), "committed notifications were not handed over"


# --- moves the table refuses ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
def test_a_move_the_table_does_not_have_is_refused_and_changes_nothing(factory, cast, session, state, action):
    ref = story(factory, cast, state)
    before = snapshot(session, ref.id)
    submission = session.get(Submission, ref.id)
    admin = person(session, cast.admin)  # an admin may do anything the table allows: only the table refuses

    with pytest.raises(DomainError) as refusal:
        services.transition(admin, submission, everything(submission, cast, action))

    assert type(refusal.value) is DomainError and state in refusal.value.message
    session.rollback()
    assert snapshot(session, ref.id) == before


@pytest.mark.parametrize(("state", "action", "who"), [
    ("pitched", "assign", "owner"),  # a contributor cannot commission their own pitch
    ("pitched", "withdraw", "other"),  # nor touch somebody else's
    ("assigned", "withdraw", "editor"),  # only the contributor withdraws
    ("assigned", "withdraw", "admin"),
    ("published", "unpublish", "editor"),  # only an admin takes a story down
])
def test_a_move_by_someone_the_table_does_not_name_is_refused_and_changes_nothing(
        factory, cast, session, state, action, who):
    ref = story(factory, cast, state)
    before = snapshot(session, ref.id)
    submission = session.get(Submission, ref.id)
    with pytest.raises(PermissionDenied):
        services.transition(person(session, getattr(cast, who)), submission, everything(submission, cast, action))
    session.rollback()
    assert snapshot(session, ref.id) == before


def test_a_move_from_a_page_that_is_out_of_date_is_a_conflict_and_changes_nothing(factory, cast, session):
    ref = story(factory, cast, "pitched")
    before = snapshot(session, ref.id)
    submission = session.get(Submission, ref.id)
    with pytest.raises(Conflict):
        services.transition(person(session, cast.chief), submission,
                            everything(submission, cast, "decline", seen_version=submission.version - 1))
    session.rollback()
    assert snapshot(session, ref.id) == before


# --- what a move requires ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("comment", ["", "   \n "])
def test_a_decline_needs_a_reason_for_the_contributor(factory, cast, session, comment):
    ref = story(factory, cast, "pitched")
    submission = session.get(Submission, ref.id)
    with pytest.raises(DomainError) as refusal:
        services.transition(person(session, cast.chief), submission,
                            everything(submission, cast, "decline", comment=comment))
    assert refusal.value.field == "comment"
    assert submission.state is State.PITCHED


def test_the_reason_is_kept_without_the_spaces_around_it(factory, cast, session):
    ref = story(factory, cast, "pitched")
    submission = session.get(Submission, ref.id)
    entry = services.transition(person(session, cast.chief), submission,
                                everything(submission, cast, "decline", comment="  We ran it last week.\n"))
    assert entry.comment == "We ran it last week."


@pytest.mark.parametrize(("changes", "field"), [
    ({"editor_id": None}, "editor_id"),
    ({"editor_id": "a contributor"}, "editor_id"),
    ({"editor_id": "a disabled editor"}, "editor_id"),
    ({"deadline": None}, "deadline"),
    ({"deadline": "yesterday"}, "deadline"),
], ids=["no-editor", "a-contributor", "a-disabled-editor", "no-deadline", "past-deadline"])
def test_commissioning_needs_an_active_editor_and_a_deadline_from_today_on(
        factory, cast, session, changes, field):
    ref = story(factory, cast, "pitched")
    disabled = disabled_editor(factory, session)  # the factory commits in its own session: it goes first
    values = {None: None, "a contributor": cast.other.id, "a disabled editor": disabled.id,
              "yesterday": in_days(-1)}
    submission = session.get(Submission, ref.id)
    with pytest.raises(DomainError) as refusal:
        services.transition(person(session, cast.chief), submission, everything(
            submission, cast, "assign", **{name: values[value] for name, value in changes.items()}))
    assert refusal.value.field == field
    assert submission.state is State.PITCHED and submission.editor_id is None


def test_a_deadline_of_today_is_accepted_and_the_commission_is_kept(factory, cast, session):
    ref = story(factory, cast, "pitched")
    submission = session.get(Submission, ref.id)
    services.transition(person(session, cast.chief), submission,
                        everything(submission, cast, "assign", deadline=in_days(0), assigned_words=1500))
    assert (submission.state, submission.editor_id, submission.deadline, submission.assigned_words) == (
        State.ASSIGNED, cast.editor.id, in_days(0), 1500)


def test_a_story_without_a_draft_cannot_be_marked_edited(factory, cast, session):
    ref = factory.submission(cast.owner, "assigned", editor=cast.editor, with_draft=False)
    submission = session.get(Submission, ref.id)
    with pytest.raises(DomainError):
        services.transition(person(session, cast.chief), submission, everything(submission, cast, "mark_edited"))
    assert submission.state is State.ASSIGNED


# --- what a move does -------------------------------------------------------------------------------------------

def test_publishing_puts_the_latest_revision_on_the_page(factory, cast, session):
    ref = story(factory, cast, "edited")
    submission = session.get(Submission, ref.id)
    services.save_draft(person(session, cast.editor), submission, "The ferry that still runs", "Dek of the edit.",
                        "The edited body.")
    services.transition(person(session, cast.chief), submission, everything(submission, cast, "publish"))
    assert (submission.published_headline, submission.published_dek, submission.published_body) == (
        "The ferry that still runs", "Dek of the edit.", "The edited body.")
    assert submission.published_at is not None
    assert submission.slug and "ferry" in submission.slug


def test_a_story_taken_down_keeps_its_address_for_when_it_comes_back(factory, cast, session):
    ref = story(factory, cast, "published")
    submission = session.get(Submission, ref.id)
    slug = submission.slug
    services.transition(person(session, cast.admin), submission, everything(submission, cast, "unpublish"))
    assert submission.published_at is None and submission.slug == slug
    services.transition(person(session, cast.chief), submission, everything(submission, cast, "publish"))
    assert submission.state is State.PUBLISHED and submission.slug == slug


def test_sending_a_story_back_for_revision_drops_its_publication_schedule(factory, cast, session):
    ref = story(factory, cast, "edited")
    submission = session.get(Submission, ref.id)
    submission.scheduled_at = utcnow() + timedelta(days=1)
    submission.scheduled_by_id = cast.chief.id
    session.flush()
    services.transition(person(session, cast.chief), submission, everything(submission, cast, "request_revision"))
    assert submission.scheduled_at is None and submission.scheduled_by_id is None


# --- pitching ---------------------------------------------------------------------------------------------------

def pitch(**changes) -> services.PitchInput:
    fields = {"headline": "  The night bakers  ", "summary": " Bread through the curfew. ", "angle": "Now.",
              "sources": "Bakers.", "proposed_words": 1200, "proposed_deadline": None, "experience": ""}
    return services.PitchInput(**{**fields, **changes})


def test_a_pitch_is_written_with_its_audit_row_and_tells_the_contributor_and_every_active_editor(
        factory, cast, session):
    disabled_editor(factory, session)

    submission = services.submit_pitch(person(session, cast.owner), pitch())

    assert submission.state is State.PITCHED and submission.headline == "The night bakers"
    assert audit_of(session, submission.id) == [("pitch", None, State.PITCHED, cast.owner.id, submission.version,
                                                 "")]
    # The two editors hear of it; the admin does not, nor the disabled editor.
    assert sorted(notifications_of(session, submission.id)) == sorted([
        ("submission.received", cast.owner.id), ("submission.new_pitch", cast.editor.id),
        ("submission.new_pitch", cast.chief.id)])


def test_a_contributor_who_has_not_confirmed_their_address_cannot_pitch(factory, session):
    unconfirmed = factory.user("contributor", confirmed=False)
    with pytest.raises(PermissionDenied):
        services.submit_pitch(person(session, unconfirmed), pitch())
    assert session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_proposed_deadline_in_the_past_is_refused_and_today_is_not(cast, session):
    with pytest.raises(DomainError) as refusal:
        services.submit_pitch(person(session, cast.owner), pitch(proposed_deadline=in_days(-1)))
    assert refusal.value.field == "proposed_deadline"
    assert services.submit_pitch(person(session, cast.owner), pitch(proposed_deadline=in_days(0))).id


# --- drafts -----------------------------------------------------------------------------------------------------

def test_a_contributor_s_draft_is_the_next_revision_and_tells_the_story_s_editor(factory, cast, session):
    ref = factory.submission(cast.owner, "assigned", editor=cast.editor, with_draft=False)
    submission = session.get(Submission, ref.id)
    first = services.save_draft(person(session, cast.owner), submission, "H", "D", "One.")
    second = services.save_draft(person(session, cast.owner), submission, "H", "D", "Two.", note="  Shorter.  ")
    assert (first.number, second.number) == (1, 2)
    assert second.kind is RevisionKind.CONTRIBUTOR and second.note == "Shorter."
    assert [e for e in notifications_of(session, ref.id) if e[0] == "submission.draft_saved"] == [
        ("submission.draft_saved", cast.editor.id)] * 2


def test_an_editor_s_edit_tells_nobody(factory, cast, session):
    ref = story(factory, cast, "edited")
    before = notifications_of(session, ref.id)
    submission = session.get(Submission, ref.id)
    revision = services.save_draft(person(session, cast.editor), submission, "H", "D", "Edited.")
    assert revision.kind is RevisionKind.EDITOR
    assert notifications_of(session, ref.id) == before


@pytest.mark.parametrize(("state", "who", "body", "error"), [
    ("edited", "owner", "Late change.", PermissionDenied),  # the contributor writes while it is assigned only
    ("assigned", "other", "Not mine.", PermissionDenied),
    ("assigned", "owner", "  \n ", DomainError),
])
def test_a_draft_that_may_not_be_saved_leaves_no_revision(factory, cast, session, state, who, body, error):
    ref = story(factory, cast, state)
    submission = session.get(Submission, ref.id)
    count = session.scalar(sa.select(sa.func.count()).select_from(Revision).where(Revision.submission_id == ref.id))
    with pytest.raises(error):
        services.save_draft(person(session, getattr(cast, who)), submission, "H", "D", body)
    assert session.scalar(sa.select(sa.func.count()).select_from(Revision)
                          .where(Revision.submission_id == ref.id)) == count


def test_a_draft_saved_from_an_out_of_date_page_is_a_conflict(factory, cast, session):
    ref = story(factory, cast, "assigned")
    submission = session.get(Submission, ref.id)
    with pytest.raises(Conflict):
        services.save_draft(person(session, cast.owner), submission, "H", "D", "Body.",
                            seen_version=submission.version - 1)


# --- the conversation -------------------------------------------------------------------------------------------

def test_an_internal_note_tells_nobody_and_is_not_the_story_s_last_activity(factory, cast, session):
    ref = story(factory, cast, "assigned")
    submission = session.get(Submission, ref.id)
    before = (notifications_of(session, ref.id), submission.last_activity, submission.version)
    services.post_message(person(session, cast.editor), submission, "Her source is risky.", internal=True)
    session.expire_all()
    submission = session.get(Submission, ref.id)
    assert (notifications_of(session, ref.id), submission.last_activity, submission.version) == before


def test_a_contributor_cannot_write_an_internal_note(factory, cast, session):
    ref = story(factory, cast, "assigned")
    with pytest.raises(PermissionDenied):
        services.post_message(person(session, cast.owner), session.get(Submission, ref.id), "Psst.", internal=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


@pytest.mark.parametrize(("state", "told"), [
    ("pitched", {"editor", "chief", "admin"}),  # nobody edits it yet: the whole desk
    ("assigned", {"editor"}),  # its editor only
])
def test_a_contributor_s_message_reaches_the_story_s_editor_or_else_the_whole_desk(
        factory, cast, session, state, told):
    ref = story(factory, cast, state)
    before = len(notifications_of(session, ref.id))
    submission = session.get(Submission, ref.id)
    services.post_message(person(session, cast.owner), submission, "  Can I add a voice?  ")
    new = notifications_of(session, ref.id)[before:]
    assert sorted(new) == sorted(("submission.message", getattr(cast, who).id) for who in told)
    assert session.scalar(sa.select(Message)).body == "Can I add a voice?"


def test_a_contributor_who_withdrew_can_no_longer_write(factory, cast, session):
    ref = story(factory, cast, "withdrawn")
    with pytest.raises(PermissionDenied):
        services.post_message(person(session, cast.owner), session.get(Submission, ref.id), "Still there?")


def test_the_desk_s_message_reaches_the_contributor(factory, cast, session):
    ref = story(factory, cast, "assigned")
    before = len(notifications_of(session, ref.id))
    services.post_message(person(session, cast.chief), session.get(Submission, ref.id), "File by Friday?")
    assert notifications_of(session, ref.id)[before:] == [("submission.message", cast.owner.id)]


def test_only_active_staff_are_offered_as_editors(factory, cast, session):
    disabled_editor(factory, session)
    offered = [(u.display_name, u.role) for u in services.active_editors()]
    assert offered == [("Ada Admin", Role.ADMIN), ("Chris Chief", Role.EDITOR), ("Edna Editor", Role.EDITOR)]

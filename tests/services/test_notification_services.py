"""The outbox's services called directly: what ``notify`` writes as each person chose, how a notification leaves
only after its transaction commits, in-app reading, and an admin's retry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers import PASSWORD
from workflow.auth import services as accounts
from workflow.core.errors import DomainError, PermissionDenied
from workflow.notifications import services
from workflow.notifications.models import Choice, DeliveryStatus, Notification
from workflow.people.models import Role

pytestmark = pytest.mark.services

PARAMS = {"submission_id": 1, "headline": "The night bakers", "actor": "Edna Editor", "comment": ""}


@pytest.fixture
def rana(session):
    return accounts.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)


def count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Notification))


@pytest.mark.parametrize(("choice", "status"), [
    (None, DeliveryStatus.PENDING),  # nobody chose: immediately
    (Choice.IMMEDIATELY, DeliveryStatus.PENDING),
    (Choice.DIGEST, DeliveryStatus.HELD),
    (Choice.NEVER, DeliveryStatus.SKIPPED),
])
def test_a_notification_is_emailed_as_its_recipient_chose_and_is_in_their_list_whatever_they_chose(
        session, rana, choice, status):
    if choice is not None:
        services.set_preference(rana, "submission.declined", choice)
    notification = services.notify("submission.declined", rana, **PARAMS)
    assert (notification.email, notification.status, notification.in_app) == ("rana@example.org", status, True)
    assert services.unread_count(rana) == 1


def test_security_email_always_goes_out_and_cannot_be_turned_off(session, rana):
    with pytest.raises(DomainError):
        services.set_preference(rana, "account.password_changed", Choice.NEVER)
    notification = services.notify("account.password_changed", rana, user_id=rana.id)
    assert notification.status is DeliveryStatus.PENDING
    assert not notification.in_app and services.unread_count(rana) == 0  # never in the bell


def test_a_preference_saved_twice_is_one_change(session, rana):
    assert services.set_preference(rana, "submission.declined", Choice.DIGEST) is True
    assert services.set_preference(rana, "submission.declined", Choice.DIGEST) is False
    assert services.set_preference(rana, "submission.assigned", Choice.IMMEDIATELY) is False  # the default
    assert services.preferences_of(rana)["submission.declined"] is Choice.DIGEST


@pytest.mark.parametrize(("event", "kwargs"), [
    ("submission.nonsense", {"email": "rana@example.org"}),
    ("submission.declined", {}),  # nobody to send it to
])
def test_a_notification_without_a_known_event_or_an_address_is_not_written(session, event, kwargs):
    with pytest.raises(ValueError):
        services.notify(event, **kwargs, **PARAMS)
    assert count(session) == 0


def test_a_notification_written_once_is_not_written_twice_and_the_transaction_goes_on(session, rana):
    first = services.notify_once("account.already_registered", rana, dedup_key="already:1")
    second = services.notify_once("account.already_registered", rana, dedup_key="already:1")
    assert first is not None and second is None
    services.notify("account.password_changed", rana, user_id=rana.id)  # the session still works
    assert count(session) == 2


def test_a_rolled_back_notification_never_existed_and_a_committed_one_is_handed_to_the_workers(session, rana):
    rana_id = rana.id
    session.commit()
    services.notify("submission.declined", session.get(type(rana), rana_id), **PARAMS)
    session.rollback()
    assert count(session) == 0

    kept = services.notify("submission.declined", session.get(type(rana), rana_id), **PARAMS)
    assert kept.queued_at is None  # written, not yet handed over
    session.commit()
    session.expire_all()
    assert kept.queued_at is not None and kept.status is DeliveryStatus.PENDING


def test_a_person_reads_only_their_own_notifications(session, rana):
    sami = accounts.create_user("sami@example.org", PASSWORD, "Sami Hill", confirmed=True)
    mine = services.notify("submission.declined", rana, **PARAMS)
    theirs = services.notify("submission.declined", sami, **PARAMS)
    services.notify("submission.reopened", rana, **PARAMS)

    assert services.mark_read(rana, theirs.id) is False
    assert services.mark_read(rana, mine.id) is True
    assert services.mark_read(rana, mine.id) is False  # read already
    assert (services.unread_count(rana), services.unread_count(sami)) == (1, 1)
    assert services.mark_all_read(rana) == 1 and services.unread_count(rana) == 0
    assert services.unread_count(sami) == 1


def test_the_list_of_notifications_pages_back_newest_first(session, rana):
    made = [services.notify("submission.declined", rana, **PARAMS).id for _ in range(5)]
    page, more = services.inbox(rana, limit=3)
    assert [n.id for n in page] == made[:-4:-1] and more == made[2]
    rest, more = services.inbox(rana, before=more, limit=3)
    assert [n.id for n in rest] == made[1::-1] and more is None


def test_only_an_admin_retries_only_a_failed_email_and_it_goes_to_the_current_address(session, rana):
    admin = accounts.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    notification = services.notify("submission.declined", rana, **PARAMS)
    with pytest.raises(DomainError):
        services.retry_delivery(admin, notification)  # pending: nothing to retry

    notification.status = DeliveryStatus.FAILED
    notification.attempts = 5
    rana.email = "rana.new@example.org"
    session.flush()
    with pytest.raises(PermissionDenied):
        services.retry_delivery(rana, notification)
    services.retry_delivery(admin, notification)
    assert (notification.status, notification.email, notification.attempts_at_retry) == (
        DeliveryStatus.PENDING, "rana.new@example.org", 5)

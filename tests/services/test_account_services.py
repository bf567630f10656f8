"""The accounts' services called directly: registration, signing in, confirming, passwords and resets,
invitations, roles and disabled accounts. What a person relies on, without HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers import PASSWORD
from workflow.auth import services
from workflow.auth.models import Invitation, PasswordResetRequest
from workflow.core import tokens
from workflow.core.errors import DomainError, PermissionDenied
from workflow.notifications.models import Notification
from workflow.people.models import Role, User

pytestmark = pytest.mark.services

NEW_PASSWORD = "a different long passphrase"


def emails_to(session, address: str) -> list[str]:
    """The events of the notifications written for an address, oldest first."""
    return list(session.scalars(sa.select(Notification.event).where(Notification.email == address)
                                .order_by(Notification.id)))


def users(session) -> list[tuple[str, Role]]:
    return [tuple(row) for row in session.execute(sa.select(User.email, User.role).order_by(User.id))]


# --- registration -----------------------------------------------------------------------------------------------

def test_registering_makes_an_unconfirmed_contributor_and_asks_them_to_confirm(session):
    user = services.register("  Rana.Field@Example.ORG ", PASSWORD, " Rana Field ", " R. Field ")

    assert (user.email, user.display_name, user.byline_name, user.role) == (
        "rana.field@example.org", "Rana Field", "R. Field", Role.CONTRIBUTOR)
    assert not user.is_confirmed
    assert PASSWORD not in user.password_hash
    assert emails_to(session, "rana.field@example.org") == ["account.confirm_email"]


def test_registering_an_address_that_has_an_account_makes_none_and_tells_its_owner_once_a_day(session):
    owner = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)

    assert services.register(" RANA@example.org", NEW_PASSWORD, "Someone", "Else") is None
    assert services.register("rana@example.org", NEW_PASSWORD, "Someone", "Else") is None

    assert users(session) == [("rana@example.org", Role.CONTRIBUTOR)]
    assert emails_to(session, "rana@example.org") == ["account.already_registered"]
    assert services.authenticate("rana@example.org", PASSWORD).id == owner.id  # their password is untouched


def test_an_address_has_one_account_whatever_its_case(session):
    services.create_user("rana@example.org", PASSWORD, "Rana Field")
    with pytest.raises(DomainError) as refusal:
        services.create_user("Rana@Example.org", PASSWORD, "Rana Again")
    assert refusal.value.field == "email"
    assert len(users(session)) == 1


@pytest.mark.parametrize("password", ["elevenchars", "123456789012", "password1234"])
def test_a_weak_password_makes_no_account(session, password):
    with pytest.raises(DomainError) as refusal:
        services.register("rana@example.org", password, "Rana Field", "R. Field")
    assert refusal.value.field == "password"
    assert users(session) == [] and emails_to(session, "rana@example.org") == []


# --- signing in -------------------------------------------------------------------------------------------------

def test_signing_in_takes_the_right_password_for_the_address_in_any_case(session):
    user = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)
    assert user.last_login_at is None

    assert services.authenticate(" RANA@example.org ", PASSWORD) is user
    assert user.last_login_at is not None


@pytest.mark.parametrize(("email", "password"), [
    ("rana@example.org", "not the password at all"),
    ("nobody@example.org", PASSWORD),
])
def test_a_wrong_password_or_an_unknown_address_signs_nobody_in(session, email, password):
    user = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)
    assert services.authenticate(email, password) is None
    assert user.last_login_at is None


def test_a_disabled_account_cannot_sign_in_until_it_is_enabled_again(session):
    admin = services.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    user = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)

    services.disable(admin, user)
    assert services.authenticate("rana@example.org", PASSWORD) is None
    services.enable(admin, user)
    assert services.authenticate("rana@example.org", PASSWORD) is user


def test_nobody_disables_their_own_account_and_only_an_admin_disables_others(session):
    admin = services.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    editor = services.create_user("editor@example.org", PASSWORD, "Edna Editor", role=Role.EDITOR, confirmed=True)
    with pytest.raises(DomainError):
        services.disable(admin, admin)
    with pytest.raises(PermissionDenied):
        services.disable(editor, admin)
    assert admin.is_active and editor.is_active


# --- confirming an address --------------------------------------------------------------------------------------

def test_the_confirmation_link_confirms_the_address_it_was_sent_to(session):
    user = services.register("rana@example.org", PASSWORD, "Rana Field", "R. Field")
    assert services.confirm_email(services.confirmation_token(user.id, "rana@example.org")) is user
    assert user.is_confirmed


def test_a_confirmation_link_for_an_address_no_longer_on_the_account_is_refused(session):
    user = services.register("rana@example.org", PASSWORD, "Rana Field", "R. Field")
    old_link = services.confirmation_token(user.id, "rana@example.org")
    user.email = "rana.new@example.org"
    session.flush()
    with pytest.raises(tokens.TokenError):
        services.confirm_email(old_link)
    assert not user.is_confirmed


# --- passwords --------------------------------------------------------------------------------------------------

def test_changing_the_password_needs_the_current_one(session):
    user = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)
    with pytest.raises(DomainError) as refusal:
        services.change_password(user, "not my password at all", NEW_PASSWORD)
    assert refusal.value.field == "current_password"
    assert services.authenticate("rana@example.org", PASSWORD) is user

    services.change_password(user, PASSWORD, NEW_PASSWORD)
    assert services.authenticate("rana@example.org", PASSWORD) is None
    assert services.authenticate("rana@example.org", NEW_PASSWORD) is user
    assert emails_to(session, "rana@example.org") == ["account.password_changed"]


def test_a_reset_request_costs_the_same_for_an_unknown_address_and_emails_only_an_account(session):
    services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)
    known = services.request_password_reset(" Rana@example.org ")
    unknown = services.request_password_reset("nobody@example.org")
    assert {r.email for r in session.scalars(sa.select(PasswordResetRequest))} == {
        "rana@example.org", "nobody@example.org"}

    assert services.process_reset_request(unknown.id) is True
    assert services.process_reset_request(known.id) is True
    assert services.process_reset_request(known.id) is False  # taken once, whoever takes it
    assert emails_to(session, "nobody@example.org") == []
    assert emails_to(session, "rana@example.org") == ["account.reset_password"]


def test_a_reset_link_sets_the_password_once_and_proves_the_address(session):
    user = services.register("rana@example.org", PASSWORD, "Rana Field", "R. Field")
    link = services.reset_token(user)

    services.reset_password(link, NEW_PASSWORD)

    assert services.authenticate("rana@example.org", NEW_PASSWORD) is user and user.is_confirmed
    with pytest.raises(tokens.TokenError):
        services.reset_password(link, "yet another long passphrase")
    assert services.authenticate("rana@example.org", NEW_PASSWORD) is user


# --- invitations and roles --------------------------------------------------------------------------------------

def test_only_an_admin_invites_and_never_to_an_address_that_has_an_account(session):
    admin = services.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    editor = services.create_user("editor@example.org", PASSWORD, "Edna Editor", role=Role.EDITOR, confirmed=True)
    with pytest.raises(PermissionDenied):
        services.invite(editor, "new@example.org", Role.EDITOR)
    with pytest.raises(DomainError) as refusal:
        services.invite(admin, " Editor@example.org", Role.ADMIN)
    assert refusal.value.field == "email"
    assert session.scalars(sa.select(Invitation)).all() == []


def test_an_accepted_invitation_makes_a_confirmed_account_with_its_role_and_closes_the_others(session):
    admin = services.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    first = services.invite(admin, "noor@example.org", Role.EDITOR)
    again = services.invite(admin, "noor@example.org", Role.EDITOR)  # the first one got lost
    assert emails_to(session, "noor@example.org") == ["account.invitation", "account.invitation"]

    user = services.accept_invitation(services.invitation_token(again.id), PASSWORD, "Noor Editor", "Noor E.")

    assert (user.email, user.role, user.is_confirmed) == ("noor@example.org", Role.EDITOR, True)
    assert not first.is_open and not again.is_open
    with pytest.raises(tokens.TokenError):
        services.accept_invitation(services.invitation_token(first.id), PASSWORD, "Noor Twice", "N.")
    assert [email for email, _ in users(session)] == ["admin@example.org", "noor@example.org"]


def test_a_new_role_is_announced_to_its_holder_and_an_admin_cannot_demote_themselves(session):
    admin = services.create_user("admin@example.org", PASSWORD, "Ada Admin", role=Role.ADMIN, confirmed=True)
    user = services.create_user("rana@example.org", PASSWORD, "Rana Field", confirmed=True)

    services.change_role(admin, user, Role.EDITOR)
    assert user.role is Role.EDITOR
    assert emails_to(session, "rana@example.org") == ["account.role_changed"]

    with pytest.raises(DomainError) as refusal:
        services.change_role(admin, admin, Role.EDITOR)
    assert refusal.value.field == "role" and admin.role is Role.ADMIN
    with pytest.raises(PermissionDenied):
        services.change_role(user, admin, Role.CONTRIBUTOR)

"""Accounts: registration, confirmation, sign-in, passwords, email changes, roles, invitations."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workflow.auth import second_factor, sessions
from workflow.auth.models import Invitation, PasswordResetRequest
from workflow.auth.passwords import (
    burn_time_like_a_verification,
    context_words,
    hash_password,
    needs_rehash,
    verify_password,
    weakness,
)
from workflow.core import i18n, outage, tokens
from workflow.core.audit import record as record_admin_action
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.core.transaction import after_commit
from workflow.extensions import celery, db
from workflow.notifications import links
from workflow.notifications.services import notify, notify_once
from workflow.people.models import Role, User, discreet_by_default

log = logging.getLogger(__name__)



def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def check_language_and_zone(locale: str | None, time_zone: str | None) -> tuple[str | None, str | None]:
    """The language code and zone name to keep for a person (None: the desk's default); DomainError, next to its
    field, for a language the desk does not speak or a zone it does not know."""
    chosen = None
    if locale:
        chosen = i18n.supported(locale)
        if chosen is None or chosen != locale:
            raise DomainError(_("Choose one of the languages in the list."), field="locale")
    if time_zone and not i18n.valid_time_zone(time_zone):
        raise DomainError(_("Choose a time zone from the list, such as Europe/London or Asia/Beirut."),
                          field="time_zone")
    return chosen, time_zone or None


def create_user(email: str, password: str, display_name: str, byline_name: str | None = None,
                role: Role = Role.CONTRIBUTOR, confirmed: bool = False, discreet_emails: bool | None = None,
                locale: str | None = None, time_zone: str | None = None) -> User:
    """Create an account directly (CLI, demo data, accepted invitations). No email is sent. Discreet emails
    are the role's default unless ``discreet_emails`` says otherwise; the language and the time zone the desk's
    defaults unless given."""
    locale, time_zone = check_language_and_zone(locale, time_zone)
    check_new_password(password, email, (display_name, byline_name or ""))
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this email address already exists."), field="email")
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        byline_name=(byline_name or display_name).strip(),
        role=role,
        email_confirmed_at=utcnow() if confirmed else None,
        discreet_emails=discreet_by_default(role) if discreet_emails is None else discreet_emails,
        locale=locale,
        time_zone=time_zone,
    )
    db.session.add(user)
    db.session.flush()
    return user


def register(email: str, password: str, display_name: str, byline_name: str,
             discreet_emails: bool = True, locale: str | None = None, time_zone: str | None = None) -> User | None:
    """Register a contributor and send the confirmation link (discreet emails, language and time zone as they
    chose on the form).

    If the address is taken, the owner is told by email instead, and the caller shows the same page as for a
    new account, so that registration does not reveal who has an account. An unknown language or zone is
    refused before that, whoever the address belongs to.
    """
    check_language_and_zone(locale, time_zone)
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # the time a new account takes, so that response times reveal nothing either
        # One notice a day at most, however often someone registers with this address (a flood of emails to a
        # third party, or to the owner, is refused here; the page looks the same).
        notify_once("account.already_registered", existing,
                    dedup_key=f"already-registered:{existing.id}:{utcnow().date().isoformat()}")
        log.info("registration attempted for existing user %s", existing.id)
        return None
    user = create_user(email, password, display_name, byline_name, discreet_emails=discreet_emails, locale=locale,
                       time_zone=time_zone)
    send_confirmation(user)
    log.info("user %s registered", user.id)
    return user


def send_confirmation(user: User) -> None:
    notify("account.confirm_email", user, user_id=user.id, email_to_confirm=user.email)


def resend_confirmation(user: User) -> None:
    if user.is_confirmed:
        raise DomainError(_("Your email address is already confirmed."))
    send_confirmation(user)


def confirmation_token(user_id: int, email: str) -> str:
    return tokens.make_token(tokens.CONFIRM, {"u": user_id, "e": email})


def _confirmation_target(token: str) -> tuple[User, str]:
    """The user and the address a confirmation link is for; TokenError when the link cannot be used."""
    payload = tokens.read_token(tokens.CONFIRM, token, current_app.config["CONFIRM_MAX_AGE"],
                                {"u": tokens.ID, "e": tokens.TEXT})
    user = db.session.get(User, payload.get("u"))
    if user is None:
        raise tokens.TokenError(_("This link is not valid any more."))
    address = payload.get("e")
    if user.pending_email and user.pending_email == address:
        if find_user_by_email(address) is not None:
            raise tokens.TokenError(_("Another account uses this address now, so it cannot be confirmed."))
    elif user.email != address:
        raise tokens.TokenError(_("This link is for an address that is no longer on your account."))
    return user, address


def check_confirmation_link(token: str) -> User:
    """Raise TokenError exactly when :func:`confirm_email` would, but change nothing (for the page a GET shows)."""
    return _confirmation_target(token)[0]


def confirm_email(token: str) -> User:
    """Confirm a new account's address, or a changed address; the token names both user and address."""
    user, address = _confirmation_target(token)
    if user.pending_email and user.pending_email == address:
        old = user.email
        user.email = address
        user.pending_email = None
        user.email_confirmed_at = utcnow()
        notify("account.email_changed", user, email=old, new_email=address)
        log.info("user %s changed their email address", user.id)
    elif user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        log.info("user %s confirmed their email address", user.id)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None (never says which part failed)."""
    user = find_user_by_email(email)
    if user is None:
        burn_time_like_a_verification(password)
        return None
    if not verify_password(user.password_hash, password):
        log.info("failed sign-in for user %s", user.id)
        return None
    if not user.is_active:
        log.info("sign-in refused for disabled user %s", user.id)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def send_sign_in_link(user: User, remember: bool, next_page: str) -> None:
    """The password was right while the account was under many wrong attempts: email its owner a link that
    finishes signing in (one use, 10 minutes)."""
    notify("account.sign_in_link", user, user_id=user.id, remember=bool(remember), next_page=next_page)
    log.info("user %s gave the right password while under attack: a sign-in link is emailed", user.id)


def sign_in_link_token(user_id: int, remember: bool, next_page: str) -> str:
    user = db.session.get(User, user_id)
    return tokens.make_token(tokens.SIGN_IN_LINK, {"u": user.id, "r": remember, "n": next_page,
                                                   "s": _last_sign_in_mark(user)})


def _last_sign_in_mark(user: User) -> str:
    """Changes whenever the person signs in: a link made before stops working (one use)."""
    return user.last_login_at.isoformat() if user.last_login_at else ""


def _sign_in_link_target(token: str) -> tuple[User, dict]:
    payload = tokens.read_token(tokens.SIGN_IN_LINK, token, tokens.SIGN_IN_LINK_MAX_AGE,
                                {"u": tokens.ID, "r": tokens.FLAG, "n": tokens.TEXT, "s": tokens.TEXT})
    user = db.session.get(User, payload.get("u"))
    if user is None or not user.is_active or payload.get("s") != _last_sign_in_mark(user):
        raise tokens.TokenError(_("This link has already been used or is no longer valid. Sign in again."))
    return user, payload


def user_for_sign_in_link(token: str) -> User:
    return _sign_in_link_target(token)[0]


def use_sign_in_link(token: str) -> tuple[User, bool, str]:
    """The person, whether to keep them signed in, and where they were going; the link is used up."""
    user, payload = _sign_in_link_target(token)
    user.last_login_at = utcnow()
    db.session.flush()
    log.info("user %s finished signing in by the emailed link", user.id)
    return user, bool(payload.get("r")), payload.get("n") or ""


def _password_fingerprint(user: User) -> str:
    return user.password_hash[-16:]


def reset_token(user: User) -> str:
    """A reset link that stops working once the password has changed."""
    return tokens.make_token(tokens.RESET, {"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(email: str) -> PasswordResetRequest:
    """Write the request down; a worker looks the address up and emails a link if it has an account. The request
    costs the same (one INSERT, one task) whether or not it has one: response times reveal nothing, and the
    answer says nothing either way."""
    request = PasswordResetRequest(email=normalize_email(email))
    db.session.add(request)
    db.session.flush()
    after_commit(db.session(), lambda: _hand_reset_to_worker(request.id))
    return request


def _hand_reset_to_worker(request_id: int) -> None:
    try:
        celery.send_task("auth.send_password_reset", (request_id,), retry=False)
    except Exception as exc:  # the broker is down: beat's sweep takes the request later
        outage.broker.failed(exc, "password reset requests wait for the sweep")
        log.info("password reset request %s not handed to the workers; the sweep will", request_id)
    else:
        outage.broker.succeeded()


def process_reset_request(request_id: int) -> bool:
    """A worker's part: take the request (once, whoever else tries), and email a link if the address has an
    active account. The caller commits."""
    email = db.session.scalar(sa.delete(PasswordResetRequest).where(PasswordResetRequest.id == request_id)
                              .returning(PasswordResetRequest.email))
    if email is None:
        return False
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        log.info("password reset request %s: no active account has the address", request_id)
        return True
    notify("account.reset_password", user, user_id=user.id)
    log.info("password reset request %s: a link is emailed to user %s", request_id, user.id)
    return True


def waiting_reset_requests(older_than_seconds: int) -> list[int]:
    """Requests nobody took (a lost task, the broker down when they came), for beat's sweep."""
    return list(db.session.scalars(sa.select(PasswordResetRequest.id).where(
        PasswordResetRequest.created_at < utcnow() - timedelta(seconds=older_than_seconds))
        .order_by(PasswordResetRequest.id).limit(500)))


def user_for_reset_token(token: str) -> User:
    payload = tokens.read_token(tokens.RESET, token, current_app.config["RESET_MAX_AGE"],
                                {"u": tokens.ID, "p": tokens.TEXT})
    user = db.session.get(User, payload.get("u"))
    if user is None or not user.is_active or payload.get("p") != _password_fingerprint(user):
        raise tokens.TokenError(_("This link has already been used or is no longer valid. Ask for a new one."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set the password from an emailed link; every session of the person ends."""
    user = user_for_reset_token(token)
    _set_password(user, new_password, keep=None)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link proved the address
    log.info("user %s reset their password", user.id)
    return user


def _not_me_target(token: str) -> User:
    payload = tokens.read_token(tokens.NOT_ME, token, tokens.NOT_ME_MAX_AGE, {"u": tokens.ID})
    user = db.session.get(User, payload.get("u"))
    if user is None or not user.is_active:
        raise tokens.TokenError(_("This link is not valid any more."))
    return user


def check_not_me_link(token: str) -> User:
    """Raise TokenError exactly when :func:`not_me` would, but change nothing (for the page a GET shows)."""
    return _not_me_target(token)


def not_me(token: str) -> User:
    """"This wasn't me", from a security email: every session of the person ends, and a link to choose a new
    password is emailed. Returns the person."""
    user = _not_me_target(token)
    ended = sessions.end_all(user)
    notify("account.reset_password", user, user_id=user.id)
    db.session.flush()
    log.info("user %s said a security email was not them: %s sessions ended, a reset link sent", user.id, ended)
    return user


def change_password(user: User, current_password: str, new_password: str) -> int:
    """Change the password; every other session of the person ends (returns how many), this one goes on."""
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_("That is not your current password."), field="current_password")
    ended = _set_password(user, new_password, keep=user.current_session)
    log.info("user %s changed their password", user.id)
    return ended


def password_context(email: str = "", names: tuple[str, ...] = ()) -> set[str]:
    """The words a person's password may not be made of: the desk's and the outlet's, their address and names."""
    return context_words(current_app.config["OUTLET_NAME"], (email, *names))


def check_new_password(password: str, email: str = "", names: tuple[str, ...] = ()) -> None:
    """Refuse a weak password (:func:`~workflow.auth.passwords.weakness`); the forms say so first, this guards
    every other way in, such as the command line."""
    problem = weakness(password, password_context(email, names))
    if problem:
        raise DomainError(problem, field="password")


def _set_password(user: User, new_password: str, keep) -> int:
    check_new_password(new_password, user.email, (user.display_name, user.byline_name))
    user.password_hash = hash_password(new_password)
    ended = sessions.end_all(user, keep=keep)
    notify("account.password_changed", user, user_id=user.id)
    db.session.flush()
    return ended


def request_email_change(user: User, new_email: str, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise DomainError(_("That is not your current password."), field="password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise DomainError(_("This is already your email address."), field="email")
    user.pending_email = new_email
    db.session.flush()
    if find_user_by_email(new_email) is None:
        notify("account.confirm_new_email", user, email=new_email, user_id=user.id, email_to_confirm=new_email)
    log.info("user %s asked to change their email address", user.id)


def set_language_and_zone(user: User, locale: str | None, time_zone: str | None) -> None:
    """The language the desk speaks to ``user`` (pages and emails) and the zone it gives them times in."""
    user.locale, user.time_zone = check_language_and_zone(locale, time_zone)
    db.session.flush()
    log.info("user %s chose their language and time zone", user.id)


def update_profile(user: User, display_name: str, byline_name: str, public_bio: str | None = None) -> None:
    user.display_name = display_name.strip()
    user.byline_name = byline_name.strip()
    if public_bio is not None:
        user.public_bio = public_bio.strip()
    db.session.flush()


# Administration -----------------------------------------------------------------------------------------

def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can manage people."))


def invite(actor: User, email: str, role: Role) -> Invitation:
    """Invite someone to join with a role; the link lets them choose a password."""
    _require_admin(actor)
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_("Someone already has an account with this address; change their role instead."),
                          field="email")
    invitation = Invitation(email=email, role=role, invited_by=actor)
    db.session.add(invitation)
    db.session.flush()
    notify("account.invitation", email=email, invitation_id=invitation.id, role=role.value,
           inviter=actor.display_name)
    record_admin_action(actor, "invite", f"invitation {invitation.id}", f"as {role.value}", {"role": role.value})
    log.info("admin %s invited a new %s (invitation %s)", actor.id, role.value, invitation.id)
    return invitation


def invitation_token(invitation_id: int) -> str:
    return tokens.make_token(tokens.INVITE, {"i": invitation_id})


def invitation_for_token(token: str) -> Invitation:
    payload = tokens.read_token(tokens.INVITE, token, current_app.config["INVITE_MAX_AGE"], {"i": tokens.ID})
    invitation = db.session.get(Invitation, payload.get("i"))
    if invitation is None or not invitation.is_open:
        raise tokens.TokenError(_("This invitation has already been used or was withdrawn."))
    return invitation


def accept_invitation(token: str, password: str, display_name: str, byline_name: str, locale: str | None = None,
                      time_zone: str | None = None) -> User:
    invitation = invitation_for_token(token)
    user = create_user(invitation.email, password, display_name, byline_name, role=invitation.role,
                       confirmed=True, locale=locale, time_zone=time_zone)
    invitation.accepted_at = utcnow()
    # Earlier invitations to the same address (sent again when the first got lost) are done with too.
    for other in db.session.scalars(sa.select(Invitation).where(
            Invitation.email == invitation.email, Invitation.id != invitation.id,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))):
        other.revoked_at = invitation.accepted_at
    db.session.flush()
    log.info("invitation %s accepted by user %s", invitation.id, user.id)
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    _require_admin(actor)
    if not invitation.is_open:
        raise DomainError(_("This invitation is no longer open."))
    invitation.revoked_at = utcnow()
    record_admin_action(actor, "revoke_invitation", f"invitation {invitation.id}")
    db.session.flush()


def change_role(actor: User, user: User, role: Role) -> None:
    _require_admin(actor)
    if user.id == actor.id and role is not Role.ADMIN:
        raise DomainError(_("You cannot remove your own admin role; ask another admin."), field="role")
    if user.role is role:
        return
    record_admin_action(actor, "change_role", f"user {user.id}", f"{user.role.value} to {role.value}",
                        {"old": user.role.value, "new": role.value})
    user.role = role
    if second_factor.required_for(user) and not second_factor.has_factor(user):
        sessions.end_all(user)  # the desk's pages only after a second step: set up at the next sign-in
    notify("account.role_changed", user, role=role.value)
    db.session.flush()
    log.info("admin %s changed user %s to %s", actor.id, user.id, role.value)


def disable(actor: User, user: User) -> None:
    """Disable an account; its sessions stop working on their next request."""
    _require_admin(actor)
    if user.id == actor.id:
        raise DomainError(_("You cannot disable your own account."))
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        sessions.end_all(user)
        record_admin_action(actor, "disable", f"user {user.id}")
        db.session.flush()
        log.info("admin %s disabled user %s", actor.id, user.id)


def end_sessions(actor: User, user: User) -> int:
    """An admin signs someone out everywhere (a lost phone, a seized laptop); returns how many sessions ended."""
    _require_admin(actor)
    ended = sessions.end_all(user, keep=actor.current_session if user.id == actor.id else None)
    record_admin_action(actor, "end_sessions", f"user {user.id}", f"{ended} ended", {"count": ended})
    db.session.flush()
    log.info("admin %s ended %s sessions of user %s", actor.id, ended, user.id)
    return ended


def enable(actor: User, user: User) -> None:
    _require_admin(actor)
    user.disabled_at = None
    record_admin_action(actor, "enable", f"user {user.id}")
    db.session.flush()
    log.info("admin %s enabled user %s", actor.id, user.id)


def add_email_links() -> None:
    """The account's links that emails carry, each with a token made at send time (``create_app`` calls this)."""
    links.add_token_link("confirm_link", "auth.confirm", confirmation_token)
    links.add_token_link("reset_link", "auth.reset_password",
                         lambda user_id: reset_token(db.session.get(User, user_id)))
    links.add_token_link("not_me_link", "auth.not_me",
                         lambda user_id: tokens.make_token(tokens.NOT_ME, {"u": user_id}))
    links.add_token_link("sign_in_link", "auth.sign_in_link", sign_in_link_token)
    links.add_token_link("invitation_link", "auth.accept_invitation", invitation_token)


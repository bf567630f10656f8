"""A second factor: an authenticator app (TOTP, ``pyotp``) and ten single-use recovery codes, and who must
have one (``WORKFLOW_REQUIRE_SECOND_FACTOR``: staff by default, everyone, or nobody).

A code from the app is taken for the 30-second step it belongs to, one step of drift either way, and only for a
step later than the last one taken: a code seen over someone's shoulder cannot be used again. The check is one
conditional UPDATE, so two requests with the same code cannot both win, on any database. Recovery codes are kept
as argon2id hashes, each with its own salt, and each is spent by a conditional UPDATE too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow.auth import sessions
from workflow.auth.models import RecoveryCode, SecurityKey, TotpSecret
from workflow.auth.passwords import hash_password, verify_password
from workflow.core.audit import record as record_admin_action
from workflow.core.errors import DomainError, PermissionDenied
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.services import notify
from workflow.people.models import User

log = logging.getLogger(__name__)

POLICIES = ("staff", "all", "none")
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code copied from paper reads one way only. 12 of 31 characters: about 59 bits.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
APP = "authenticator app"

WRONG_CODE = _l("That code is not right. Check the time on your phone, and use the newest code your app shows.")


def required_for(user: User) -> bool:
    """Whether ``user`` must have a second factor before any page of the desk."""
    policy = current_app.config["REQUIRE_SECOND_FACTOR"]
    return policy == "all" or (policy == "staff" and user.is_staff)


def totp_of(user: User) -> TotpSecret | None:
    return db.session.get(TotpSecret, user.id)


def has_factor(user: User) -> bool:
    """An authenticator app or a security key."""
    return totp_of(user) is not None or has_keys(user)


def has_keys(user: User) -> bool:
    return db.session.scalar(sa.select(SecurityKey.id).where(SecurityKey.user_id == user.id).limit(1)) is not None


def people_with_factor() -> set[int]:
    """The ids of everyone with a second factor (for the admin's list of people: one query)."""
    return set(db.session.scalars(sa.union(sa.select(TotpSecret.user_id), sa.select(SecurityKey.user_id))))


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# --- enrolment ------------------------------------------------------------------------------------------------------

def new_enrolment_nonce() -> str:
    return secrets.token_urlsafe(16)


def candidate_secret(user_id: int, nonce: str) -> str:
    """The secret offered for enrolment: made from the server's key and a random nonce the browser holds, so the
    page that shows it writes nothing, and neither the cookie nor the key alone gives it away."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"totp-enrol:{user_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def provisioning(secret: str) -> dict:
    """What the enrolment page shows: the QR code (an SVG drawn on the server, as a data: URI: no script), and
    the secret in groups of four for typing. The app names the account by ``WORKFLOW_TOTP_ISSUER`` alone,
    never by the person's address: a seized phone should not list who they write for under their own name."""
    issuer = current_app.config["TOTP_ISSUER"]
    uri = pyotp.TOTP(secret).provisioning_uri(name=current_app.config["TOTP_ACCOUNT_NAME"], issuer_name=issuer)
    return {"qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2), "uri": uri, "issuer": issuer,
            "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))}


def _clean(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").lower()


def _step_of(secret: str, code: str) -> int | None:
    """The step ``code`` belongs to (now, or one step either side), if it is right."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = int(utcnow().timestamp()) // STEP_SECONDS
    for step in (now, *range(now - DRIFT_STEPS, now), *range(now + 1, now + DRIFT_STEPS + 1)):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrol_app(user: User, secret: str, code: str) -> list[str]:
    """Keep the authenticator app whose ``secret`` the person was shown, once they typed a right ``code`` from it;
    returns their new recovery codes (to show once)."""
    if totp_of(user) is not None:
        raise DomainError(_("An authenticator app is already set up for your account. Remove it first to set up "
                          "another."))
    step = _step_of(secret, _clean(code))
    if step is None:
        raise DomainError(str(WRONG_CODE), field="code")
    first = not has_keys(user)
    now = utcnow()
    db.session.add(TotpSecret(user_id=user.id, secret=secret, last_step=step, created_at=now, last_used_at=now))
    close_offer(user)
    codes = new_recovery_codes(user) if first else []
    notify("account.factor_added", user, user_id=user.id, factor=APP)
    db.session.flush()
    log.info("user %s set up an authenticator app", user.id)
    return codes


def offer_second_step(user: User) -> bool:
    """Whether the dashboard suggests a second step to ``user`` (a contributor who never set one up nor said
    "not now"; read from the person's own row: no query)."""
    return not user.is_staff and user.two_step_offer_closed_at is None


def close_offer(user: User) -> None:
    user.two_step_offer_closed_at = user.two_step_offer_closed_at or utcnow()
    db.session.flush()


def remove_app(user: User) -> None:
    if totp_of(user) is None:
        raise DomainError(_("There is no authenticator app on your account."))
    if required_for(user) and not has_keys(user):
        raise DomainError(_("Your role needs a second step at sign-in: add a security key or set up another "
                          "authenticator app before removing this one, or ask an admin."))
    db.session.execute(sa.delete(TotpSecret).where(TotpSecret.user_id == user.id))
    if not has_keys(user):
        forget_recovery_codes(user)
    notify("account.factor_removed", user, user_id=user.id, factor=APP, by_admin=False)
    db.session.flush()
    log.info("user %s removed their authenticator app", user.id)


# --- sign-in --------------------------------------------------------------------------------------------------------

def verify(user: User, code: str) -> str | None:
    """Whether ``code`` proves the second factor of ``user``: ``"app"`` or ``"recovery"``, or None. A code from the
    app is taken once; a recovery code is spent."""
    cleaned = _clean(code)
    totp = totp_of(user)
    if totp is not None and re.fullmatch(r"\d{6}", cleaned):
        step = _step_of(totp.secret, cleaned)
        if step is None:
            return None
        taken = db.session.execute(
            sa.update(TotpSecret).where(TotpSecret.user_id == user.id,
                                        sa.or_(TotpSecret.last_step.is_(None), TotpSecret.last_step < step))
            .values(last_step=step, last_used_at=utcnow())).rowcount
        if not taken:
            log.info("a used code was offered again for user %s", user.id)
            return None
        return "app"
    if re.fullmatch(rf"[{_RECOVERY_ALPHABET}]{{12}}", cleaned):
        unused = db.session.execute(sa.select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
        match = next((row.id for row in unused if verify_password(row.code_hash, cleaned)), None)
        spent = match is not None and db.session.execute(
            sa.update(RecoveryCode).where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())).rowcount
        if spent:
            left = recovery_codes_left(user)
            notify("account.recovery_code_used", user, user_id=user.id, left=left)
            log.info("user %s signed in with a recovery code (%s left)", user.id, left)
            return "recovery"
    return None


# --- fresh proof ----------------------------------------------------------------------------------------------------

def proof_is_fresh(user: User) -> bool:
    """Whether the person proved who they are in this session recently enough for what matters (changing the
    email, the password or the factors, taking or deleting their data, an admin's changes to people)."""
    row = user.current_session
    return row is not None and (utcnow() - row.proved_at).total_seconds() <= current_app.config["FRESH_PROOF_SECONDS"]


def prove(user: User, password: str, code: str | None) -> None:
    """The person proves who they are again: the password, and the second factor where one is set."""
    if not verify_password(user.password_hash, password or ""):
        log.info("a proof of identity failed for user %s (password)", user.id)
        raise DomainError(_("That is not your password."), field="password")
    if has_factor(user) and verify(user, code or "") is None:
        log.info("a proof of identity failed for user %s (second step)", user.id)
        raise DomainError(_("That code is not right, or it was used already. Use the newest code your app shows, "
                          "or a recovery code you have not used."), field="code")
    user.current_session.proved_at = utcnow()
    sessions.renew_key(user)  # a new session key on re-authentication; the caller hands it to the cookies


# --- recovery codes -------------------------------------------------------------------------------------------------

def forget_recovery_codes(user: User) -> None:
    """The last factor is gone: its recovery codes go with it."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def forget_factors(user: User) -> None:
    """Every app, key and recovery code of ``user`` goes (a reset by an admin, an account deleted)."""
    db.session.execute(sa.delete(TotpSecret).where(TotpSecret.user_id == user.id))
    db.session.execute(sa.delete(SecurityKey).where(SecurityKey.user_id == user.id))
    forget_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes in place of any old ones (to show once); the caller says why."""
    forget_recovery_codes(user)
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12)) for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    # About 59 bits each: below ASVS's 112 for a plain hash, so argon2id with its own random salt (6.5.2).
    db.session.add_all([RecoveryCode(user_id=user.id, code_hash=hash_password(code), created_at=now)
                        for code in codes])
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new codes; the old ones stop working. Returns them, to show once."""
    if not has_factor(user):
        raise DomainError(_("Recovery codes come with a second step: set up an authenticator app or a security key "
                          "first."))
    codes = new_recovery_codes(user)
    notify("account.recovery_codes_regenerated", user, user_id=user.id)
    db.session.flush()
    log.info("user %s made new recovery codes", user.id)
    return codes


# --- administration -------------------------------------------------------------------------------------------------

def reset_factors(actor: User, user: User) -> None:
    """For a person who lost every factor and code: an admin removes them (the person is emailed, the admin log
    says so, every session of theirs ends) and their next sign-in sets up a new one."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin can reset someone's second step."))
    if user.id == actor.id:
        raise DomainError(_("Ask another admin to reset your own second step."))
    if not has_factor(user):
        raise DomainError(_("%(name)s has no second step to reset.", name=user.display_name))
    remove_for_recovery(user)
    record_admin_action(actor, "reset_second_factor", f"user {user.id}")
    log.info("admin %s reset the second factor of user %s", actor.id, user.id)


def remove_for_recovery(user: User) -> None:
    """Remove every factor and code of ``user`` and end their sessions (an admin's reset, or the shell's)."""
    forget_factors(user)
    sessions.end_all(user)
    notify("account.factor_removed", user, user_id=user.id, factor="second step", by_admin=True)
    db.session.flush()


def current_code(user: User) -> str:
    """The code the person's app shows now (the development-only command; never used by the web app)."""
    totp = totp_of(user)
    if totp is None:
        raise DomainError(f"{user.email} has no authenticator app.")
    return pyotp.TOTP(totp.secret).generate_otp(int(utcnow().timestamp()) // STEP_SECONDS)


def enrol_with_secret(user: User, secret: str) -> list[str]:
    """Demo data: an authenticator app with a known secret, without a code (no email is sent)."""
    db.session.add(TotpSecret(user_id=user.id, secret=secret, created_at=utcnow()))
    codes = new_recovery_codes(user)
    db.session.flush()
    return codes

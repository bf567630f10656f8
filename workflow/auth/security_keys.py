"""Security keys and passkeys (WebAuthn, ``py_webauthn``) as a second factor: register several, each under a
name, remove them, and sign in with one after the password.

The relying party is the site itself: its id is the host of ``WORKFLOW_BASE_URL`` and the only origin accepted
is that address's, so an assertion made for another site (a phishing copy of the desk) is refused. A challenge
lives in the signed session cookie for one ceremony. Keys are asked for without a resident credential and the
account is named "desk" on them: a key found on someone names nobody.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
import webauthn
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from workflow.auth import second_factor
from workflow.auth.models import SecurityKey
from workflow.core.errors import DomainError
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.notifications.services import notify
from workflow.people.models import User

log = logging.getLogger(__name__)

MAX_KEYS = 10
FACTOR = "security key"


def relying_party() -> tuple[str, str]:
    """The relying party's id (the public address's host) and the one origin accepted."""
    address = urlsplit(current_app.config["BASE_URL"])
    return address.hostname or "localhost", f"{address.scheme}://{address.netloc}"


def keys_of(user: User) -> list[SecurityKey]:
    return list(db.session.scalars(sa.select(SecurityKey).where(SecurityKey.user_id == user.id)
                                   .order_by(SecurityKey.created_at, SecurityKey.id)))


def _descriptors(keys: list[SecurityKey]) -> list[PublicKeyCredentialDescriptor]:
    transports = {t.value for t in AuthenticatorTransport}
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id),
                                          transports=[AuthenticatorTransport(t) for t in key.transports.split()
                                                      if t in transports] or None)
            for key in keys]


def registration_options(user: User) -> tuple[str, str]:
    """The options for ``navigator.credentials.create`` (JSON), and the challenge to keep for the answer."""
    if len(keys_of(user)) >= MAX_KEYS:
        raise DomainError(ngettext("You have %(num)d security key already: remove it first.",
                                   "You have %(num)d security keys already: remove one first.", MAX_KEYS))
    rp_id, _origin = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=current_app.config["TOTP_ISSUER"], user_id=f"desk-{user.public_id}".encode(),
        user_name=current_app.config["TOTP_ACCOUNT_NAME"], user_display_name=current_app.config["TOTP_ACCOUNT_NAME"],
        exclude_credentials=_descriptors(keys_of(user)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=UserVerificationRequirement.PREFERRED))
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


def register(user: User, name: str, credential: dict, challenge: str | None) -> tuple[SecurityKey, list[str] | None]:
    """Keep the key the browser made for the challenge; if it is the person's first second factor, returns their
    new recovery codes too (to show once)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the key a name, so that you know which one to remove if you lose it."),
                          field="name")
    if len(name) > 60:
        raise DomainError(_("A key's name has at most 60 characters."), field="name")
    if not challenge:
        raise DomainError(_("This registration has expired. Start again."))
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        log.info("a security key registration was refused for user %s (%s)", user.id, type(exc).__name__)
        raise DomainError(_("The key's answer could not be checked. Try again, or use another key.")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(sa.select(SecurityKey.id).where(SecurityKey.credential_id == credential_id)):
        raise DomainError(_("This key is registered already."))
    first = not second_factor.has_factor(user)
    transports = " ".join(str(t) for t in (credential.get("response", {}).get("transports") or [])
                          if isinstance(t, str))[:200]
    key = SecurityKey(user_id=user.id, name=name, credential_id=credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=transports, created_at=utcnow())
    db.session.add(key)
    codes = second_factor.new_recovery_codes(user) if first else None
    second_factor.close_offer(user)
    notify("account.factor_added", user, user_id=user.id, factor=FACTOR)
    db.session.flush()
    log.info("user %s registered security key %s", user.id, key.id)
    return key, codes


def authentication_options(user: User) -> tuple[str, str]:
    """The options for ``navigator.credentials.get`` with the person's keys, and the challenge to keep."""
    keys = keys_of(user)
    if not keys:
        raise DomainError(_("There is no security key on this account."))
    rp_id, _origin = relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, allow_credentials=_descriptors(keys), user_verification=UserVerificationRequirement.PREFERRED)
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


def verify(user: User, credential: dict, challenge: str | None) -> SecurityKey:
    """The key of ``user`` that signed the challenge, for this site's origin; DomainError if none did."""
    refused = DomainError(_("The key's answer could not be checked. Try again, or use a code from your app."))
    if not challenge or not isinstance(credential, dict):
        raise refused
    key = db.session.scalar(sa.select(SecurityKey).where(SecurityKey.user_id == user.id,
                                                         SecurityKey.credential_id == str(credential.get("id"))))
    if key is None:
        log.info("an unknown security key was offered for user %s", user.id)
        raise refused
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        log.info("a security key's assertion was refused for user %s (%s: %s)", user.id, type(exc).__name__, exc)
        raise refused from exc
    key.sign_count = verified.new_sign_count
    key.last_used_at = utcnow()
    db.session.flush()
    return key


def remove(user: User, key_id: int) -> SecurityKey:
    key = db.session.scalar(sa.select(SecurityKey).where(SecurityKey.id == key_id, SecurityKey.user_id == user.id))
    if key is None:
        raise DomainError(_("There is no such key on your account."))
    if second_factor.required_for(user) and second_factor.totp_of(user) is None and len(keys_of(user)) == 1:
        raise DomainError(_("Your role needs a second step at sign-in: add another key or an authenticator app "
                          "before removing this one."))
    db.session.delete(key)
    db.session.flush()
    if not second_factor.has_factor(user):
        second_factor.forget_recovery_codes(user)
    # "a security key", never the key's name: the person wrote it, and an email may be read by someone else.
    notify("account.factor_removed", user, user_id=user.id, factor=FACTOR, by_admin=False)
    log.info("user %s removed security key %s", user.id, key.id)
    return key


def credential_from(body: str | bytes | None) -> dict:
    """The browser's JSON answer, as a dict (an empty one if it is not JSON)."""
    try:
        value = json.loads(body or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

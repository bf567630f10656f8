"""Signing in: the sessions of the server, the browsers it knows, second factors, password resets and the
invitations that bring editors in. The person (``User``) and their role are ``people``'s."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workflow.core.devices import NAME_LENGTH, device_name
from workflow.core.models import utcnow
from workflow.core.sealed import SealedText
from workflow.extensions import db
from workflow.people.models import Role, User, role_column_type


class UserSession(db.Model):
    """One signed-in browser. Its cookie holds a random key; only the key's hash is kept, so a copy of the
    database signs nobody in. No IP address is kept: the device is named by its browser and system only."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The browser's and the system's families (product names, None where the browser does not say), worded in
    # the reader's language when shown (``name``). ``device`` is the whole English name that rows written
    # before kept, and is empty in the others.
    browser: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    system: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    # "Keep me signed in": the same record, with a longer life.
    remembered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute, so a page view rarely writes.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last time the person proved who they are in this session (password, second factor).
    proved_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def name(self) -> str:
        """"Firefox on Windows", in the language being spoken."""
        return device_name(self.browser, self.system, self.device)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class Invitation(db.Model):
    """An admin's invitation for someone to join the desk with a role (usually editor)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[Role] = mapped_column(role_column_type())
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[User] = db.relationship(foreign_keys=[invited_by_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class TotpSecret(db.Model):
    """A person's authenticator app (TOTP, RFC 6238): 30-second steps. The last step a code was taken for is
    kept, so that a code is taken once."""

    __tablename__ = "totp_secrets"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    # Sealed with the person's own data key: a copy of the database holds no code generator.
    _secret: Mapped[str] = mapped_column("secret", sa.Text)
    secret = SealedText("_secret")
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    def sealed_owner_id(self) -> int | None:
        return self.user_id


class RecoveryCode(db.Model):
    """One of ten single-use codes for when the phone is lost; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))  # argon2id, salted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class KnownDevice(db.Model):
    """A browser someone signed in from before, named by a long-lived cookie's random key (only its hash is kept):
    a sign-in from a browser not on the list is a new device, and the person is emailed."""

    __tablename__ = "known_devices"
    __table_args__ = (sa.UniqueConstraint("user_id", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    browser: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))  # as UserSession's
    system: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def name(self) -> str:
        return device_name(self.browser, self.system, self.device)


class PasswordResetRequest(db.Model):
    """An address someone asked a reset link for, until a worker looks it up (seconds): a request costs the
    same whether or not the address has an account, so response times reveal nothing."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityKey(db.Model):
    """A security key or passkey (WebAuthn) that a person registered as a second factor, under a name they chose.
    Only its public key is kept; the sign count tells a cloned key."""

    __tablename__ = "security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    transports: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

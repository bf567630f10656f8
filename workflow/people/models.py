"""A person of the desk (contributor, editor or admin) and their role. Signing in, sessions and second factors
are ``auth``'s; a person is who every feature's rows point at."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from workflow.core.models import utcnow
from workflow.extensions import db


class Role(enum.Enum):
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def title(self):
        """The role's name in the reader's language (lazy: forms list the roles once, at import)."""
        return _ROLE_TITLES[self]

    @property
    def is_staff(self) -> bool:
        """Editors and admins work the desk; admins can do everything an editor can."""
        return self in (Role.EDITOR, Role.ADMIN)


_ROLE_TITLES = {Role.CONTRIBUTOR: _l("Contributor"), Role.EDITOR: _l("Editor"), Role.ADMIN: _l("Admin")}


def role_column_type() -> sa.Enum:
    return sa.Enum(
        Role,
        name="role",
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda roles: [r.value for r in roles],
        validate_strings=True,
    )


def discreet_by_default(role: Role) -> bool:
    """Contributors get discreet emails unless they choose otherwise; the desk gets the details unless it
    chooses otherwise."""
    return not role.is_staff


def new_public_id() -> str:
    return secrets.token_urlsafe(9)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    byline_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(role_column_type(), default=Role.CONTRIBUTOR)
    email_confirmed_at: Mapped[datetime | None]
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The public contributor page: an opaque address (never the account id) and what the contributor chose
    # to say there beside their byline.
    public_id: Mapped[str] = mapped_column(sa.String(22), unique=True, default=new_public_id)
    public_bio: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The dashboard suggests a second step once: until the person sets one up or says "not now".
    two_step_offer_closed_at: Mapped[datetime | None]
    # Emails that say only "there is news on the desk" and link to it: no headline, no name, nothing anyone
    # wrote (a mailbox read by someone else gives nothing away). On by default for contributors; see
    # ``discreet_by_default``. Security notices stay plain (they name no story either).
    discreet_emails: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The language the desk speaks to this person, on its pages and in its emails ("en", "ar"), and the time zone
    # it gives them times in (an IANA name). None: the desk's defaults (DEFAULT_LOCALE, TIME_ZONE).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

    # The key of the session this person is signed in with, in this request (not a column): Flask-Login keeps it
    # in the cookie instead of the id, so that a cookie names one session, which signing out deletes.
    session_key = None
    current_session = None  # its UserSession row

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"

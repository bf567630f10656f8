"""The outbox: one row per notification, written in the same transaction as the change it announces."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.core.models import utcnow
from workflow.core.sealed import SealedJSON
from workflow.extensions import db
from workflow.people.models import User


class DeliveryStatus(enum.Enum):
    """What became of a notification's email. Only ``pending`` rows are delivered (and swept)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # the recipient takes this kind of event in the daily digest: waiting for it
    DIGESTED = "digested"  # went out inside a daily digest (``digest_id``)
    SKIPPED = "skipped"  # the recipient chose never to be emailed about this kind of event

    @property
    def title(self) -> str:
        return {"held": "Held for the digest", "digested": "Sent in a digest",
                "skipped": "Not emailed (preference)"}.get(self.value, self.value.capitalize())


class Choice(enum.Enum):
    """How someone wants to hear about one kind of event by email."""

    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"

    @property
    def title(self) -> str:
        return {"immediately": "Immediately", "digest": "In the daily digest", "never": "Never"}[self.value]


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_status_created", "status", "created_at"),
        sa.Index("ix_notifications_submission", "submission_id"),
        sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        sa.Index("ix_notifications_inbox", "recipient_id", "id", sqlite_where=sa.text("in_app"),
                 postgresql_where=sa.text("in_app")),
        sa.Index("ix_notifications_held", "recipient_id", sqlite_where=sa.text("status = 'held'"),
                 postgresql_where=sa.text("status = 'held'")),
        # Read notifications, oldest first: beat forgets them WORKFLOW_READ_NOTIFICATION_DAYS after they were read.
        sa.Index("ix_notifications_read", "read_at", sqlite_where=sa.text("read_at IS NOT NULL"),
                 postgresql_where=sa.text("read_at IS NOT NULL")),
        # The Message-ID is derived from the id, so an id must never be given out twice (SQLite would reuse
        # the highest one after a delete; PostgreSQL sequences never do).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(60))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254))
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    # What the email and the in-app list say (a message's text, a comment): sealed with the data key of the
    # story's contributor, or of the recipient if it is about no story; an email to a bare address is plain.
    _params: Mapped[dict] = mapped_column("params", sa.JSON, default=dict)
    params = SealedJSON("_params")
    status: Mapped[DeliveryStatus] = mapped_column(
        sa.Enum(DeliveryStatus, name="delivery_status", native_enum=False, create_constraint=True, length=20,
                values_callable=lambda values: [v.value for v in values], validate_strings=True),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # Last time the row was handed to the broker, and when a retry is due; the sweeper reads both.
    queued_at: Mapped[datetime | None]
    # Attempts made before an admin last retried a failed notification; the attempt limit counts from here.
    attempts_at_retry: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    # A worker holds a lease on the row while it sends, so two deliveries of one task never both send.
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    server_reply: Mapped[str | None] = mapped_column(sa.String(500))

    # In-app: the same event in the recipient's list of notifications (the bell), until they mark it read.
    in_app: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    read_at: Mapped[datetime | None]
    # Scheduled notifications (reminders, digests) carry a key naming what they are about, so that a second
    # run of the schedule cannot create them twice: the unique constraint refuses the copy.
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    # A held notification that went out in a daily digest points at that digest.
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id", ondelete="SET NULL"))

    recipient: Mapped[User | None] = relationship()

    def sealed_owner_id(self) -> int | None:
        if "key_owner_id" in self.__dict__:  # said by notify(), which knows the story
            return self.__dict__["key_owner_id"]
        if self.submission_id is None:
            return self.recipient_id or (self.recipient.id if self.recipient is not None else None)
        return db.session.connection().scalar(sa.select(_SUBMISSIONS.c.contributor_id)
                                              .where(_SUBMISSIONS.c.id == self.submission_id))


# The stories' table, as far as a notification needs it (its contributor's key); submissions sit above.
_SUBMISSIONS = sa.table("submissions", sa.column("id"), sa.column("contributor_id"))


class AttemptOutcome(enum.Enum):
    SENDING = "sending"
    SENT = "sent"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"

    @property
    def title(self) -> str:
        return {"sending": "Sending", "sent": "Accepted by the mail server",
                "temporary_failure": "Refused for now", "permanent_failure": "Refused for good"}[self.value]


class DeliveryAttempt(db.Model):
    """The delivery ledger: one row per try to hand a notification to the mail server."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "attempt", name="uq_delivery_attempts_notification_attempt"),
        sa.Index("ix_delivery_attempts_started", "started_at"),  # /metrics: the last 15 minutes' outcomes
        # However many workers race, at most one attempt per notification can ever be recorded as sent.
        sa.Index("uq_delivery_attempts_one_sent", "notification_id", unique=True,
                 sqlite_where=sa.text("outcome = 'sent'"), postgresql_where=sa.text("outcome = 'sent'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    worker: Mapped[str] = mapped_column(sa.String(120), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[AttemptOutcome] = mapped_column(
        sa.Enum(AttemptOutcome, name="attempt_outcome", native_enum=False, create_constraint=True, length=20,
                values_callable=lambda values: [v.value for v in values], validate_strings=True),
        default=AttemptOutcome.SENDING,
    )
    server_reply: Mapped[str] = mapped_column(sa.String(500), default="")


def choice_column_type() -> sa.Enum:
    return sa.Enum(Choice, name="notification_choice", native_enum=False, create_constraint=True, length=20,
                   values_callable=lambda values: [v.value for v in values], validate_strings=True)


class Preference(db.Model):
    """One person's choice for one kind of event; without a row, the event's default applies."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    choice: Mapped[Choice] = mapped_column(choice_column_type())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EmailTemplate(db.Model):
    """The desk's own wording of one event's email in one language, edited from the admin pages; without a
    row, the wording of that language's file applies (``templates/emails/<event>.html`` for the default
    language, ``templates/emails/<language>/<event>.html`` for another), and without that file, the default
    language's wording (``wording.wording_for``)."""

    __tablename__ = "email_templates"

    event: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    # Rows written before the desk spoke more than one language are the default language's (English).
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True, default="en", server_default="en")
    subject: Mapped[str] = mapped_column(sa.String(300))
    blocks: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # block name -> sandboxed Jinja source
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()

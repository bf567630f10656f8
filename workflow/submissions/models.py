"""Submissions: a pitch and everything that grows from it (drafts, conversation, audit trail, files)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import i18n
from workflow.core.models import utcnow
from workflow.core.sealed import SealedText
from workflow.core.search_text import joined
from workflow.core.storage import safe_filename
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions.workflow import State, commissioned_states, published_states

if TYPE_CHECKING:  # the story's page: articles' models, which point back here; named by their mapped names below
    from workflow.articles.models import Image, Section, Tag


def state_column_type(name: str = "state") -> sa.Enum:
    return sa.Enum(
        State,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda states: [s.value for s in states],
        validate_strings=True,
    )


def _state_not_in(states: tuple[State, ...]) -> str:
    """SQL that holds when ``state`` is none of ``states``."""
    if len(states) == 1:
        return f"state <> '{states[0].value}'"
    values = ", ".join(f"'{s.value}'" for s in states)
    return f"state NOT IN ({values})"


# The search columns and the fields each one holds, normalised (workflow/core/search_text.py): the queue searches
# the pitch's headline and summary, readers the published text. Only fields in the clear: never a sealed one.
SEARCHED = {"search_text": ("headline", "summary"),
            "published_search_text": ("published_headline", "published_dek", "published_body")}


def _search_text_default(column: str):
    """A search column's value for a row inserted without it (a bulk insert; the ORM sets it itself)."""
    def default(context) -> str | None:
        row = context.get_current_parameters()
        return joined(*(row.get(name) for name in SEARCHED[column]))
    return default


class RevisionKind(enum.Enum):
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"

    @property
    def title(self) -> str:
        return _("Contributor's draft") if self is RevisionKind.CONTRIBUTOR else _("Editor's edit")


class Submission(db.Model):
    __tablename__ = "submissions"
    __table_args__ = (
        # What the workflow table promises, generated from it (the text the migrations created, to the letter).
        sa.CheckConstraint(f"{_state_not_in(commissioned_states())} OR editor_id IS NOT NULL",
                           name="commissioned_has_editor"),
        sa.CheckConstraint(f"{_state_not_in(commissioned_states())} OR deadline IS NOT NULL",
                           name="commissioned_has_deadline"),
        sa.CheckConstraint(f"{_state_not_in(published_states())} OR (published_at IS NOT NULL AND slug IS NOT NULL)",
                           name="published_has_time_and_slug"),
        sa.CheckConstraint("proposed_words IS NULL OR proposed_words > 0", name="proposed_words_positive"),
        sa.CheckConstraint("assigned_words IS NULL OR assigned_words > 0", name="assigned_words_positive"),
        sa.CheckConstraint("fee IS NULL OR fee >= 0", name="fee_not_negative"),
        sa.Index("ix_submissions_state_created", "state", "created_at", "id"),
        sa.Index("ix_submissions_created", "created_at", "id"),
        sa.Index("ix_submissions_activity", "last_activity_at", "id"),
        sa.Index("ix_submissions_editor_state", "editor_id", "state"),
        sa.Index("ix_submissions_contributor_activity", "contributor_id", "last_activity_at"),
        sa.Index("ix_submissions_state_pitched", "state", "pitched_at"),
        sa.Index("ix_submissions_state_published", "state", "published_at", "id"),  # readers' latest stories
        sa.Index("ix_submissions_section_published", "section_id", "state", "published_at", "id"),
        sa.Index("ix_submissions_scheduled", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[State] = mapped_column(state_column_type(), default=State.PITCHED)

    headline: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    # The pitch's private fields, sealed with the contributor's data key (the headline and summary stay
    # searchable, and the pitch form says so).
    _angle: Mapped[str] = mapped_column("angle", sa.Text)
    _sources: Mapped[str] = mapped_column("sources", sa.Text)
    angle = SealedText("_angle")
    sources = SealedText("_sources")
    proposed_words: Mapped[int | None]
    proposed_deadline: Mapped[date | None]
    _experience: Mapped[str] = mapped_column("experience", sa.Text, default="")
    experience = SealedText("_experience")

    deadline: Mapped[date | None] = mapped_column(index=True)
    assigned_words: Mapped[int | None]
    fee: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))

    published_at: Mapped[datetime | None]
    slug: Mapped[str | None] = mapped_column(sa.String(220), unique=True)
    published_headline: Mapped[str | None] = mapped_column(sa.String(200))
    published_dek: Mapped[str | None] = mapped_column(sa.Text)
    published_body: Mapped[str | None] = mapped_column(sa.Text)
    # What the searches look in (see SEARCHED): kept by _keep_search_texts whenever the fields change.
    search_text: Mapped[str | None] = mapped_column(sa.Text, default=_search_text_default("search_text"))
    published_search_text: Mapped[str | None] = mapped_column(
        sa.Text, default=_search_text_default("published_search_text"))
    # What the article page needs beyond the text, set by the editor before publishing.
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sections.id", ondelete="SET NULL"))
    seo_description: Mapped[str | None] = mapped_column(sa.String(300))
    top_image_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("images.id", ondelete="SET NULL", use_alter=True, name="fk_submissions_top_image_id_images"))
    # Publication scheduled by an editor: beat publishes the story at this time (once).
    scheduled_at: Mapped[datetime | None]
    scheduled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # When beat erased this declined or withdrawn pitch's private text and files, WORKFLOW_RETENTION_DAYS after
    # the decision (workflow/privacy/expiry.py); the page says so.
    private_text_erased_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it last entered the pitched state (pitched, or reopened): the response promise counts from here.
    pitched_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_activity: Mapped[str] = mapped_column(sa.String(200), default="pitched")

    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    contributor: Mapped[User] = relationship(foreign_keys=[contributor_id])
    editor: Mapped[User | None] = relationship(foreign_keys=[editor_id])
    last_activity_by: Mapped[User | None] = relationship(foreign_keys=[last_activity_by_id])
    scheduled_by: Mapped[User | None] = relationship(foreign_keys=[scheduled_by_id])
    section: Mapped[Section | None] = relationship("Section")
    tags: Mapped[list[Tag]] = relationship("Tag", secondary="submission_tags", order_by="Tag.name")
    top_image: Mapped[Image | None] = relationship("Image", foreign_keys=[top_image_id])

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.state, self.deadline)

    def sealed_owner_id(self) -> int | None:
        return self.contributor_id or (self.contributor.id if self.contributor is not None else None)

    def __repr__(self) -> str:
        return f"<Submission {self.id} {self.state.value}>"


def contributor_of(submission_id: int | None) -> int | None:
    """Whose data key seals what belongs to a story: its contributor's."""
    submission = db.session.get(Submission, submission_id) if submission_id is not None else None
    return submission.contributor_id if submission is not None else None


def is_overdue(state: State, deadline: date | None) -> bool:
    """A commissioned draft past its deadline (the queue's rows say so too, without a Submission)."""
    return state is State.ASSIGNED and deadline is not None and deadline < utcnow().date()


class Revision(db.Model):
    """One saved version of the draft: every save by the contributor or the editor is kept."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number", name="uq_revisions_submission_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[RevisionKind] = mapped_column(
        sa.Enum(RevisionKind, name="revision_kind", native_enum=False, create_constraint=True, length=20,
                values_callable=lambda kinds: [k.value for k in kinds], validate_strings=True)
    )
    # A draft is private until it is published (the published text is the story's own columns): sealed with
    # the contributor's data key, whoever saved it. A sealed headline is longer than the 200 it may be.
    _headline: Mapped[str] = mapped_column("headline", sa.Text)
    _dek: Mapped[str] = mapped_column("dek", sa.Text)
    _body: Mapped[str] = mapped_column("body", sa.Text)
    headline = SealedText("_headline")
    dek = SealedText("_dek")
    body = SealedText("_body")
    _note: Mapped[str] = mapped_column("note", sa.Text, default="")  # at most 300 characters, before sealing
    note = SealedText("_note")
    version: Mapped[int]  # the submission's version once this revision was saved
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()

    def sealed_owner_id(self) -> int | None:
        return contributor_of(self.submission_id)

    @property
    def word_count(self) -> int:
        return len(self.body.split())


class Message(db.Model):
    """The conversation on a submission. Internal notes are for the desk only."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_submission_created", "submission_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    _body: Mapped[str] = mapped_column("body", sa.Text)
    body = SealedText("_body")  # messages and internal notes: sealed with the contributor's data key
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()

    def sealed_owner_id(self) -> int | None:
        return contributor_of(self.submission_id)


class AuditEntry(db.Model):
    """Who moved a submission from which state to which, when, and why."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_submission_created", "submission_id", "created_at"),
        sa.Index("ix_audit_entries_created", "created_at"),  # the desk metrics' period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    # None for what the desk did by itself (``AUTOMATIC_ACTIONS``): shown as "The desk".
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[State | None] = mapped_column(state_column_type("from_state"))
    to_state: Mapped[State] = mapped_column(state_column_type("to_state"))
    _comment: Mapped[str] = mapped_column("comment", sa.Text, default="")
    comment = SealedText("_comment")  # why (a decline's reasons…): sealed with the contributor's data key
    # The submission's version after this change, so a stale page can be shown what happened since.
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()

    @property
    def who(self) -> str:
        return self.actor.display_name if self.actor is not None else _("The desk")

    def sealed_owner_id(self) -> int | None:
        return contributor_of(self.submission_id)

    @property
    def is_transition(self) -> bool:
        return self.action not in PAGE_ACTIONS

    @property
    def what(self) -> str:
        """What happened, after the actor's name, in the reader's language: "moved it from edited to published",
        "cancelled …"."""
        if self.action == "erase_private_text" and self.comment.isdigit():
            days = int(self.comment)
            return ngettext("erased the pitch's private text and files, %(num)d day after the decision, as the "
                            "retention period says",
                            "erased the pitch's private text and files, %(num)d days after the decision, as the "
                            "retention period says", days)
        if self.action in PAGE_ACTIONS:
            comment = i18n.worded_moment(self.comment) if self.action == "schedule" else self.comment
            return str(PAGE_ACTIONS[self.action]) % {"comment": comment}
        if self.from_state is None:
            return _("pitched the story")
        return _("moved it from %(from_state)s to %(to_state)s", from_state=str(self.from_state.title).lower(),
                 to_state=str(self.to_state.title).lower())


# Audit entries that change the story's page, not its state (see workflow/articles/editorial.py), with what each
# says after the actor's name (``%(comment)s``: the entry's comment).
PAGE_ACTIONS = {
    "page_settings": _l("set how the story's page looks"),
    "schedule": _l("scheduled publication for %(comment)s"),
    "unschedule": _l("cancelled the scheduled publication"),
    "erase_private_text": _l("erased the pitch's private text and files, %(comment)s days after the decision, as "
                             "the retention period says"),
}


class StateCount(db.Model):
    """Submissions in one state, kept by triggers on ``submissions`` (see workflow/submissions/counts.py)."""

    __tablename__ = "submission_state_counts"

    state: Mapped[State] = mapped_column(state_column_type(), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class MetricsSnapshot(db.Model):
    """The desk metrics of one period as beat last worked them out (see workflow/submissions/desk_metrics.py)."""

    __tablename__ = "desk_metrics_snapshots"

    weeks: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime]
    figures: Mapped[dict] = mapped_column(sa.JSON)


class Attachment(db.Model):
    """A file sent with a pitch, stored outside the web root under a random key."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # A name can say as much as the file ("Interview with M. Saleh.pdf"): sealed with the contributor's key.
    _filename: Mapped[str] = mapped_column("filename", sa.Text)
    filename = SealedText("_filename")
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Whether the stored file was cleaned of its metadata (workflow.core.metadata): at intake, or by
    # ``flask files clean-metadata`` for the files stored before the desk cleaned them.
    metadata_removed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def shown_name(self) -> str:
        """The name as the pages show it: cleaned as at intake, for a file stored before names were."""
        return safe_filename(self.filename, self.content_type)

    def sealed_owner_id(self) -> int | None:
        return contributor_of(self.submission_id)


class SavedView(db.Model):
    """An editor's named set of queue filters, listed in the queue's sidebar."""

    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    query: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The searches on PostgreSQL: trigram GIN indexes (pg_trgm) on the search columns serve LIKE '%word%'; the readers'
# only over published stories (their search says ``state = 'published'`` in these words, for the planner to see).
sa.Index("ix_submissions_search", Submission.search_text, postgresql_using="gin",
         postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
sa.Index("ix_submissions_published_search", Submission.published_search_text, postgresql_using="gin",
         postgresql_ops={"published_search_text": "gin_trgm_ops"},
         postgresql_where=sa.text("state = 'published'")).ddl_if(dialect="postgresql")
PUBLISHED_SEARCH_WHERE = "submissions.state = 'published'"


@sa.event.listens_for(Session, "before_flush")
def _keep_search_texts(session, flush_context, instances) -> None:
    """A story's search columns follow its fields: set on the way in, again whenever a searched field changes
    (a pitch edited, a story published, an account's text erased), in the same flush."""
    for item in (*session.new, *session.dirty):
        if not isinstance(item, Submission):
            continue
        state = sa.inspect(item)
        for column, fields in SEARCHED.items():
            if state.pending or any(state.attrs[name].history.has_changes() for name in fields):
                setattr(item, column, joined(*(getattr(item, name) for name in fields)))

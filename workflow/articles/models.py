"""What a published story is made of beyond its text: sections, tags, images, old addresses, and the outlet's
own pages (the contributor guidelines)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.core.models import utcnow
from workflow.core.sealed import SealedText
from workflow.core.storage import safe_filename
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions.models import contributor_of


class PreviousSlug(db.Model):
    """Addresses a published story used to have: a changed headline gives a new slug, and the old one redirects."""

    __tablename__ = "previous_slugs"

    slug: Mapped[str] = mapped_column(sa.String(220), primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)


class Section(db.Model):
    """A part of the site (News, Analysis, …): each published story belongs to at most one."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)  # order in the site's navigation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Section {self.slug}>"


submission_tags = sa.Table(
    "submission_tags",
    db.metadata,
    sa.Column("submission_id", sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_submission_tags_tag", "tag_id", "submission_id"),
)


class Tag(db.Model):
    """A topic that cuts across sections (a place, a person, a theme); the editor tags each story."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))

    def __repr__(self) -> str:
        return f"<Tag {self.slug}>"


class ImageStatus(enum.Enum):
    """Where a photo is on its way from the upload to the page. Only ``ready`` photos are shown to readers."""

    PROCESSING = "processing"  # uploaded and checked; a worker is making its copies
    READY = "ready"  # its copies exist at ``widths``
    FAILED = "failed"  # its pixels could not be read (``problem`` says why): it stays off the page

    @property
    def title(self) -> str:
        return {"processing": "Being prepared", "ready": "Ready", "failed": "Could not be prepared"}[self.value]


class Image(db.Model):
    """A photo uploaded for a story (its top image or one in the body).

    What is stored is never the uploaded file: the pixels are re-encoded without any metadata (no EXIF, no GPS),
    at a few widths (``widths``), each a file under the storage key ``<key>w<width>``. The request only checks the
    upload from its header and keeps it until a worker has made those copies (``status``); then it is deleted.
    ``width``/``height`` are those of the largest stored copy (until then, those the header declares).
    Readers reach the copies at ``/images/<key>/<width>`` only once the story is published; the desk can see them
    before.
    """

    __tablename__ = "images"
    __table_args__ = (
        sa.CheckConstraint("status <> 'failed' OR problem <> ''", name="failed_says_why"),
        sa.Index("ix_images_processing", "created_at", sqlite_where=sa.text("status = 'processing'"),
                 postgresql_where=sa.text("status = 'processing'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    _filename: Mapped[str] = mapped_column("filename", sa.Text, default="")
    filename = SealedText("_filename")  # the name it was sent with, sealed with the contributor's key
    content_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    widths: Mapped[list] = mapped_column(sa.JSON, default=list)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the uploaded file, to spot the same photo twice
    alt: Mapped[str] = mapped_column(sa.String(300), default="")
    caption: Mapped[str] = mapped_column(sa.Text, default="")
    credit: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ImageStatus] = mapped_column(
        sa.Enum(ImageStatus, name="image_status", native_enum=False, create_constraint=True, length=20,
                values_callable=lambda e: [m.value for m in e]),
        default=ImageStatus.PROCESSING, server_default=ImageStatus.READY.value)
    problem: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")  # why it failed
    # The last time a worker took it up, and how many times: a worker that dies on a photo (out of memory)
    # leaves it to the sweep once the lease has run out, and a photo that kills workers stops being retried.
    attempted_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    uploaded_by: Mapped[User | None] = relationship()

    def sealed_owner_id(self) -> int | None:
        return contributor_of(self.submission_id)

    @property
    def shown_name(self) -> str:
        """The name as the pages show it: cleaned as at intake, for a photo stored before names were."""
        return safe_filename(self.filename, self.content_type, default="photo")

    @property
    def ready(self) -> bool:
        return self.status is ImageStatus.READY

    def __repr__(self) -> str:
        return f"<Image {self.id} of submission {self.submission_id}>"


class Page(db.Model):
    """A page of the outlet that admins write (the contributor guidelines), in Markdown, in one language; a
    language with no row of its own is read in the default language's (``workflow.articles.outlet_pages``)."""

    __tablename__ = "pages"

    slug: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # a code of workflow.core.i18n.LANGUAGES
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class StoryLanguage(db.Model):
    """The language a story is written in, when an editor chose it, and the story that is its translation.

    A story without a row, or with no ``language``, is in the language its text is written in (guessed from its
    letters each time it is shown: a republished text is never stuck with an old guess). A translation is named
    once and held both ways: each of the two stories' rows names the other.
    """

    __tablename__ = "story_languages"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                                               primary_key=True)
    language: Mapped[str | None] = mapped_column(sa.String(8))  # a code of workflow.core.i18n.LANGUAGES
    translation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id", ondelete="SET NULL"),
                                                       index=True)

"""Attachments stored before the desk cleaned files at intake, cleaned in place (``flask files clean-metadata``)."""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa

from workflow.core import metadata, storage
from workflow.extensions import db
from workflow.submissions.models import Attachment, contributor_of

log = logging.getLogger(__name__)


def still_to_clean(everything: bool = False) -> list[int]:
    """The ids of the attachments whose metadata was not removed (with ``everything``, of all attachments)."""
    query = sa.select(Attachment.id).order_by(Attachment.id)
    if not everything:
        query = query.where(Attachment.metadata_removed.is_(False))
    return list(db.session.scalars(query))


def clean_stored(attachment: Attachment) -> list[str]:
    """Remove the metadata of a stored attachment, in place, and mark it cleaned; returns what was removed (an
    empty list: there was nothing, and the file is left as it is). Raises FileNotFoundError if the file is gone, or
    the DomainError that says why it cannot be cleaned (then it stays as it is, not marked). The caller commits;
    the file's new content stays even if it does not."""
    data = storage.read(attachment.storage_key)
    cleaned = metadata.clean(attachment.filename, data, attachment.content_type)
    if cleaned.removed:
        storage.overwrite(attachment.storage_key, cleaned.data, owner_id=contributor_of(attachment.submission_id))
        attachment.size = len(cleaned.data)
        attachment.sha256 = hashlib.sha256(cleaned.data).hexdigest()
    attachment.metadata_removed = True
    db.session.flush()
    log.info("attachment %s of submission %s: metadata %s", attachment.id, attachment.submission_id,
             "removed" if cleaned.removed else "already absent")
    return cleaned.removed

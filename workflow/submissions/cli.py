"""``flask --app workflow files …``: the stored attachments."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from tqdm import tqdm

from workflow.core.errors import DomainError
from workflow.extensions import db
from workflow.submissions import attachments
from workflow.submissions.models import Attachment

files = AppGroup("files", help="The files contributors attached to their pitches.")


@files.command("clean-metadata")
@click.option("--all", "everything", is_flag=True,
              help="Look at every attachment again, not only those stored before the desk cleaned files.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def clean_metadata(everything, quiet):
    """Remove the metadata (authors, GPS, camera, editing history) of the attachments stored before the desk
    cleaned every file at intake. Each file is replaced in place; one that cannot be cleaned is named and kept."""
    ids = attachments.still_to_clean(everything)
    changed, unchanged, refused = [], 0, []
    for attachment_id in tqdm(ids, desc="Cleaning attachments", unit="file", disable=quiet or not ids):
        attachment = db.session.get(Attachment, attachment_id)
        try:
            removed = attachments.clean_stored(attachment)
        except FileNotFoundError:
            db.session.rollback()
            refused.append((attachment_id, "the file is missing from storage"))
            continue
        except DomainError as error:
            db.session.rollback()
            refused.append((attachment_id, error.message))
            continue
        db.session.commit()
        if removed:
            changed.append((attachment_id, attachment.content_type, removed))
        else:
            unchanged += 1
    for attachment_id, content_type, removed in changed:
        click.echo(f"Attachment {attachment_id} ({content_type}): removed {', '.join(removed)}.")
    for attachment_id, reason in refused:
        click.echo(f"Attachment {attachment_id} NOT cleaned: {reason}", err=True)
    click.echo(f"Looked at {len(ids)} attachment{'' if len(ids) == 1 else 's'}: {len(changed)} cleaned, "
               f"{unchanged} had nothing to remove, {len(refused)} could not be cleaned.")
    if refused:
        raise SystemExit(1)

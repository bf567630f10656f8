"""``flask --app workflow keys …``: the master key and the data keys that seal private data at rest."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from tqdm import tqdm

from workflow.articles import images
from workflow.articles.models import Image, ImageStatus
from workflow.core import crypto, sealed, storage
from workflow.core.transaction import unit_of_work
from workflow.extensions import db
from workflow.submissions.models import Attachment, contributor_of

keys = AppGroup("keys", help="The keys that seal private text and files at rest.")

BATCH = 200


@keys.command("new-master")
def new_master():
    """Print a new master key (for WORKFLOW_DATA_KEY, or a key file)."""
    click.echo(crypto.new_master_key())


@keys.command("status")
def status():
    """How many data keys there are, and which master key wraps them."""
    store = crypto.store()
    counts: dict[str, int] = {}
    for key_id in store.ids():
        master = store.master_of(key_id)
        counts[master] = counts.get(master, 0) + 1
    owners = db.session.scalar(sa.select(sa.func.count()).select_from(sealed.DataKey)) or 0
    click.echo(f"Current master key: {store.masters.current_id}")
    for master, count in sorted(counts.items()):
        what = "current" if master == store.masters.current_id else "older: run `flask keys rotate`"
        click.echo(f"  {count} data key{'' if count == 1 else 's'} wrapped by {master} ({what})")
    click.echo(f"{owners} people have a data key.")


@keys.command("rotate")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def rotate(quiet):
    """Wrap every data key under the current master key (WORKFLOW_DATA_KEY), reading the older ones from
    WORKFLOW_DATA_KEYS_RETIRED. The data itself is not touched. Once it says it is done, the older master
    keys can go."""
    store = crypto.store()
    ids = list(store.ids())
    moved = 0
    for key_id in tqdm(ids, desc="Re-wrapping data keys", unit="key", disable=quiet or not ids):
        moved += store.rewrap(key_id)
    click.echo(f"{len(ids)} data key{'' if len(ids) == 1 else 's'}: {moved} re-wrapped under master key "
               f"{store.masters.current_id}, {len(ids) - moved} already were. The retired master keys are no "
               "longer needed." if ids else "No data keys yet: nothing to re-wrap.")


@keys.command("seal-existing")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def seal_existing(quiet):
    """Seal the private text and files written before the desk sealed them (the desk reads both meanwhile)."""
    rows = 0
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.class_.__name__):
        model = mapper.class_
        attributes = sealed.sealed_attributes(model)
        if not attributes:
            continue
        ids = list(db.session.scalars(sa.select(mapper.primary_key[0]).where(sa.or_(*map(_in_the_clear, attributes)))))
        for start in tqdm(range(0, len(ids), BATCH), desc=f"Sealing {model.__tablename__}", unit="batch",
                          disable=quiet or not ids):
            with unit_of_work():
                for row in db.session.scalars(sa.select(model).where(mapper.primary_key[0].in_(
                        ids[start:start + BATCH]))):
                    for attribute in attributes:
                        setattr(row, attribute.name, getattr(row, attribute.name))  # written again: sealed
        rows += len(ids)
    files = 0
    with unit_of_work():
        for key, submission_id in db.session.execute(sa.select(Attachment.storage_key, Attachment.submission_id)):
            files += _seal_file(key, contributor_of(submission_id))
        for image in db.session.scalars(sa.select(Image).where(Image.status == ImageStatus.PROCESSING)):
            files += _seal_file(images.upload_key(image), contributor_of(image.submission_id))
    click.echo(f"Sealed {rows} row{'' if rows == 1 else 's'} and {files} file{'' if files == 1 else 's'} written "
               "before private data was sealed.")


def _in_the_clear(attribute: sealed.SealedText):
    """SQL that holds when ``attribute``'s column holds a value written before it was sealed."""
    column = sa.cast(getattr(attribute.owner, attribute.column), sa.Text)
    sealed_prefix = ('"' if isinstance(attribute, sealed.SealedJSON) else "") + crypto.TEXT_PREFIX
    return sa.and_(column.is_not(None), column.not_in(["", "{}", "null"]), column.not_like(f"{sealed_prefix}%"))


def _seal_file(key: str, owner_id: int | None) -> int:
    try:
        data = storage.path_for(key).read_bytes()
    except FileNotFoundError:
        return 0
    if owner_id is None or crypto.is_sealed_file(data):
        return 0
    storage.overwrite(key, data, owner_id=owner_id)
    return 1

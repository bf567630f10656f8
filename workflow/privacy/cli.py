"""``flask --app workflow data …``: what the desk keeps, and for how long."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from workflow.privacy import expiry

data = AppGroup("data", help="What the desk keeps about people and their stories, and for how long.")

KINDS = ("pitches", "replies", "notifications")


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


@data.command("expire")
@click.option("--only", type=click.Choice(KINDS), help="Run one expiry alone (all three without it).")
def expire(only):
    """Do at once what beat does every day: erase the private text and files of pitches declined or withdrawn
    longer ago than the retention period, clear the mail servers' old replies, and delete old read notifications.
    A second run finds nothing more to do."""
    config = current_app.config
    if only in (None, "pitches"):
        erased = expiry.erase_expired_pitches()
        days = config["RETENTION_DAYS"]
        if erased.submissions:
            pitches = _plural(len(erased.submissions), "declined or withdrawn pitch", "declined or withdrawn pitches")
            click.echo(f"Private text erased from {pitches} "
                       f"decided more than {days} days ago (submissions {', '.join(map(str, erased.submissions))}): "
                       f"sources, experience, {_plural(erased.messages, 'message or note', 'messages and notes')}, "
                       f"{_plural(erased.revisions, 'revision')}, {_plural(erased.files, 'file')}.")
        else:
            click.echo(f"No declined or withdrawn pitch is older than {days} days with its private text: nothing "
                       "erased.")
    if only in (None, "replies"):
        cleared = expiry.expire_ledger_replies()
        days = config["LEDGER_REPLY_DAYS"]
        click.echo(f"Mail servers' replies older than {days} days cleared: "
                   f"{_plural(cleared.attempts, 'delivery attempt')}, {_plural(cleared.emails, 'email')}.")
    if only in (None, "notifications"):
        deleted = expiry.expire_read_notifications()
        days = config["READ_NOTIFICATION_DAYS"]
        click.echo(f"Notifications read more than {days} days ago deleted: {deleted}.")

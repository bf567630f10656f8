"""``flask --app workflow articles …``: run publication by the clock at once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workflow.articles import editorial

articles = AppGroup("articles", help="The published stories.")


@articles.command("publish-scheduled")
def publish_scheduled():
    """Publish the stories whose scheduled time has come (what beat does every minute)."""
    published = editorial.publish_due()
    click.echo(f"Published {len(published)} scheduled stor{'y' if len(published) == 1 else 'ies'}.")

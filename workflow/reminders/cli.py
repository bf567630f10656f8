"""``flask --app workflow notifications reminders`` and ``... digest``: what beat does, at once. The commands
join the ``notifications`` group (``create_app`` adds them), where people have always found them."""

import click
from flask.cli import with_appcontext

from workflow.reminders import services as schedule


@click.command("reminders")
@with_appcontext
def reminders():
    """Write the deadline reminders that are due now (what beat does every 15 minutes)."""
    written = schedule.send_reminders()
    click.echo(f"Wrote {written} deadline reminder(s)." if written else "No reminder is due.")


@click.command("digest")
@with_appcontext
def digest():
    """Write today's daily digests now (what beat does at WORKFLOW_DIGEST_HOUR); a second run writes nothing."""
    written = schedule.send_digests()
    click.echo(f"Wrote {written} daily digest(s)." if written else "No digest to write: each person has "
               "today's already, or nothing to read in it.")

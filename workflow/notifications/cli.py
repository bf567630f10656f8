"""``flask --app workflow notifications ...``: look after the outbox."""

import click
from flask.cli import AppGroup

from workflow.core.models import utcnow
from workflow.notifications import outbox, services

notifications = AppGroup("notifications", help="Look after the outbox.")


@notifications.command("status")
def status():
    """Counts of notifications by delivery state, and the oldest one still waiting."""
    counts = services.status_counts()
    for name, count in counts.items():
        click.echo(f"{name:<8} {count}")
    oldest = services.oldest_pending()
    if oldest is not None:
        waited = utcnow() - oldest.created_at
        click.echo(f"oldest pending: notification {oldest.id} ({oldest.event}), waiting {waited}, "
                   f"{oldest.attempts} attempt(s)")


@notifications.command("sweep")
def sweep():
    """Hand every pending notification that nobody is delivering to the workers (what beat does each minute)."""
    click.echo(f"Handed {len(outbox.sweep(limit=100000))} notification(s) to the workers.")

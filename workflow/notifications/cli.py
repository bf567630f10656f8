"""``flask --app workflow notifications ...``"""

import click
from flask.cli import AppGroup

from workflow.notifications import services

notifications = AppGroup("notifications", help="Look after the outbox.")


@notifications.command("enqueue-pending")
def enqueue_pending():
    """Hand every pending notification to the workers again (they never send one twice)."""
    ids = services.pending_ids(limit=100000)
    for notification_id in ids:
        services.enqueue_delivery(notification_id)
    click.echo(f"Enqueued {len(ids)} pending notifications.")

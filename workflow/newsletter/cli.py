"""``flask --app workflow newsletter ...``: send the weekly issue now, see the subscribers and issues."""

import click
from flask.cli import AppGroup

from workflow.newsletter import services

newsletter = AppGroup("newsletter", help="The readers' weekly newsletter.")


@newsletter.command("send")
def send():
    """Write this week's issue now (what beat does weekly); a second run the same week writes nothing twice."""
    run = services.send_weekly()
    if run.forgotten:
        click.echo(f"Forgot {run.forgotten} address(es) that never confirmed.")
    if run.issue_id is None:
        click.echo(f"No newsletter for {run.key}: no story was published since the last issue.")
        return
    click.echo(f"Newsletter {run.key}: {run.articles} stor{'y' if run.articles == 1 else 'ies'}, "
               f"{run.written} email(s) written now, {run.recipients} in all.")


@newsletter.command("status")
def status():
    """Subscriber counts and the last issues with their deliveries."""
    counts = services.subscriber_counts()
    for name, count in counts.items():
        click.echo(f"{name:<13} {count}")
    for summary in services.recent_issues(5):
        issue = summary.issue
        delivery = ", ".join(f"{state} {count}" for state, count in sorted(summary.delivery.items())) or "none"
        stories = f"{issue.article_count} stor{'y' if issue.article_count == 1 else 'ies'}"
        click.echo(f"{issue.key}: {stories}, {issue.recipient_count} recipients ({delivery})")

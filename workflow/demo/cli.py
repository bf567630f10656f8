"""``flask --app workflow demo load``: the quick start's people and stories."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from workflow.demo.seed import demo_already_loaded, load_demo
from workflow.extensions import db

demo = AppGroup("demo", help="Demo data for trying the desk.")


@demo.command("load")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load(quiet):
    """Load demo people and submissions (once; does nothing if they are there). Never in production: its
    accounts have a published password."""
    if current_app.config["WORKFLOW_ENV"] == "production":
        raise click.ClickException("The demo's accounts have a published password: they are never loaded in "
                                   "production.")
    desk_log = logging.getLogger("workflow")
    level = desk_log.level
    desk_log.setLevel(logging.WARNING)  # the progress bar says enough; the level is given back after
    try:
        if demo_already_loaded():
            click.echo("Demo data is already loaded.")
            return
        summary = load_demo(progress=not quiet)
        db.session.commit()
    finally:
        desk_log.setLevel(level)
    click.echo(f"Loaded {summary['submissions']} demo submissions.")

"""``flask --app workflow users ...``: manage accounts from the shell."""

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import AppGroup

from workflow.auth import second_factor, services, sessions
from workflow.core.errors import DomainError
from workflow.core.form_input import MAILABLE_MESSAGE
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.people.models import Role, User

users = AppGroup("users", help="Create and manage accounts.")

ROLE_CHOICE = click.Choice([r.value for r in Role])


def _get(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the address {email}.")
    return user


@users.command("create")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Name")
@click.option("--byline", default=None, help="Byline name (defaults to the name).")
@click.option("--role", type=ROLE_CHOICE, default="contributor", show_default=True)
@click.option("--discreet-emails/--detailed-emails", "discreet_emails", default=None,
              help="Emails that only say there is news on the desk (default: on for contributors, off for the desk).")
@click.password_option(help="At least 12 characters.")
def create(email, display_name, byline, role, discreet_emails, password):
    """Create a confirmed account."""
    try:
        services.check_new_password(password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"{email!r} is not an email address: {error}") from error
    if not email.isascii():
        raise click.ClickException(MAILABLE_MESSAGE)
    if not display_name.strip():
        raise click.ClickException("The name cannot be empty.")
    try:
        user = services.create_user(email, password, display_name, byline, role=Role(role), confirmed=True,
                                    discreet_emails=discreet_emails)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users.command("list")
def list_users():
    """List every account."""
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        state = "disabled" if user.disabled_at else ("confirmed" if user.is_confirmed else "unconfirmed")
        click.echo(f"{user.id:>5}  {user.role.value:<12} {state:<12} {user.email}  ({user.display_name})")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def set_role(email, role):
    """Change someone's role."""
    user = _get(email)
    user.role = Role(role)
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


@users.command("disable")
@click.argument("email")
def disable(email):
    """Disable an account and end its sessions."""
    user = _get(email)
    user.disabled_at = user.disabled_at or utcnow()
    sessions.end_all(user)
    db.session.commit()
    click.echo(f"{email} is disabled.")


@users.command("enable")
@click.argument("email")
def enable(email):
    """Enable a disabled account."""
    user = _get(email)
    user.disabled_at = None
    db.session.commit()
    click.echo(f"{email} is enabled.")


@users.command("code")
@click.argument("email")
def code(email):
    """Print the code someone's authenticator app shows now (development only: the demo's editors and admins
    come with an app, and this stands in for the phone)."""
    if current_app.config["WORKFLOW_ENV"] == "production":
        raise click.ClickException("This command only works outside production: in production, codes come from "
                                   "the person's own app.")
    try:
        click.echo(second_factor.current_code(_get(email)))
    except DomainError as error:
        raise click.ClickException(error.message) from error


@users.command("reset-second-factor")
@click.argument("email")
def reset_second_factor(email):
    """Remove someone's authenticator app and recovery codes (they lost both); they set up a new one at their
    next sign-in. Their sessions end and they are emailed."""
    user = _get(email)
    if not second_factor.has_factor(user):
        raise click.ClickException(f"{email} has no second step to reset.")
    second_factor.remove_for_recovery(user)
    db.session.commit()
    click.echo(f"The second step of {email} is reset; they set up a new one at their next sign-in.")


@users.command("sign-out-everyone")
@click.confirmation_option(prompt="Sign everyone out of the desk, on every device?")
def sign_out_everyone():
    """End every session of every person (after a leak of cookies, a stolen laptop of an admin...)."""
    ended = sessions.end_everyone()
    db.session.commit()
    click.echo(f"{ended} sessions ended: everyone signs in again.")

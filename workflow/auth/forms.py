from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from workflow.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from workflow.auth.passwords import context_words, weakness
from workflow.core.form_input import mailable_address
from workflow.notifications.forms import discreet_field
from workflow.people.models import Role

NAME_HELP = "Shown to the desk."
BYLINE_HELP = "The name printed on your published stories. It may be a pen name."


def _strip(value):
    """Addresses are often pasted or autofilled with a space around them."""
    return value.strip() if isinstance(value, str) else value


def _email_field(label="Email address", will_be_mailed: bool = True):
    """An address field; ``will_be_mailed`` (registering, changing one's address, inviting) refuses an address
    that our mail cannot reach, while signing in takes any address an account may already have."""
    return EmailField(label, filters=[_strip], validators=[
        DataRequired("Enter your email address."),
        *([mailable_address] if will_be_mailed else []),
        Email("Enter an email address like name@example.org.", check_deliverability=False),
        Length(max=254, message="An email address has at most 254 characters."),
    ], render_kw={"autocomplete": "email"})


def _strong_enough(form, field):
    """The service's checks, next to the field (a too short password is the Length validator's to say), with the
    address and names the form was given; the service checks the person's own too."""
    typed = tuple(getattr(form, name).data or "" for name in ("email", "display_name", "byline_name")
                  if hasattr(form, name))
    context = context_words(current_app.config["OUTLET_NAME"], typed)
    problem = weakness(field.data, context) if field.data and len(field.data) >= MIN_PASSWORD_LENGTH else None
    if problem:
        raise ValidationError(problem)


def _new_password_fields(label="Password"):
    password = PasswordField(label, validators=[
        DataRequired("Choose a password."),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=f"Use at least {MIN_PASSWORD_LENGTH} characters (at most 200)."),
        _strong_enough,
    ], render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one.")
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired("Repeat the password."), EqualTo("password", "The two passwords are not the same."),
    ], render_kw={"autocomplete": "new-password"})
    return password, confirm


def _name_fields():
    display = StringField("Your name", validators=[
        DataRequired("Enter your name."), Length(max=120, message="At most 120 characters.")],
        description=NAME_HELP, render_kw={"autocomplete": "name"})
    byline = StringField("Byline name", validators=[
        DataRequired("Enter the name for your byline."), Length(max=120, message="At most 120 characters.")],
        description=BYLINE_HELP)
    return display, byline


class RegisterForm(FlaskForm):
    email = _email_field()
    display_name, byline_name = _name_fields()
    password, confirm = _new_password_fields()
    # Checked unless the person unticks it (a form posted without it, like an unticked box, means no).
    discreet_emails = discreet_field(default=True)


class LoginForm(FlaskForm):
    email = _email_field(will_be_mailed=False)
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = _email_field(will_be_mailed=False)


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields("New password")


class AcceptInvitationForm(FlaskForm):
    display_name, byline_name = _name_fields()
    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = _new_password_fields("New password")


class ChangeEmailForm(FlaskForm):
    email = _email_field("New email address")
    password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                             render_kw={"autocomplete": "current-password"})


class ProfileForm(FlaskForm):
    display_name, byline_name = _name_fields()
    public_bio = TextAreaField("About you, on your public page", filters=[_strip], validators=[
        Length(max=600, message="At most 600 characters.")],
        description="Optional. Readers who follow your byline see it beside your published stories. If you write "
                    "under a pen name, leave out anything that could identify you.")


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm.")],
                             render_kw={"autocomplete": "current-password"})
    understood = BooleanField("I understand: my account, my pitches, drafts, messages and files are deleted for "
                              "good; my published stories stay online under my byline.",
                              validators=[DataRequired("Tick the box to confirm that you understand.")])


class InviteForm(FlaskForm):
    email = _email_field("Their email address")
    role = SelectField("Role", choices=[SelectChoice(r.value, r.title) for r in Role], default=Role.EDITOR.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r.value, r.title) for r in Role])


class SecondStepForm(FlaskForm):
    code = StringField("Code", filters=[_strip], validators=[
        DataRequired("Enter the 6-digit code from your authenticator app, or one of your recovery codes."),
        Length(max=40, message="A code has 6 digits; a recovery code 12 letters and digits.")],
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"})


class EnrolAppForm(FlaskForm):
    code = StringField("Code from the app", filters=[_strip], validators=[
        DataRequired("Enter the 6-digit code your authenticator app shows."),
        Length(max=20, message="A code has 6 digits.")],
        description="Once the app has the account, it shows a new 6-digit code every 30 seconds.",
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ProofForm(FlaskForm):
    """Proving who you are again before what matters: the password, and a code where a second factor is set."""

    password = PasswordField("Your password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    code = StringField("Code from your authenticator app", filters=[_strip], validators=[
        Length(max=40, message="A code has 6 digits; a recovery code 12 letters and digits.")],
        description="Or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"})


class SecurityKeyForm(FlaskForm):
    name = StringField("A name for this key", filters=[_strip], validators=[
        DataRequired("Give the key a name, so that you know which one to remove if you lose it."),
        Length(max=60, message="At most 60 characters.")],
        description="For example “Blue key on my keyring” or “Laptop passkey”. Only you and the desk see it.")

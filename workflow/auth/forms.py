from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from workflow.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from workflow.auth.passwords import context_words, weakness
from workflow.core import i18n
from workflow.core.form_input import mailable_address
from workflow.notifications.forms import discreet_field
from workflow.people.models import Role

NAME_HELP = _l("Shown to the desk.")
BYLINE_HELP = _l("The name printed on your published stories. It may be a pen name.")


def _strip(value):
    """Addresses are often pasted or autofilled with a space around them."""
    return value.strip() if isinstance(value, str) else value


def _email_field(label=_l("Email address"), will_be_mailed: bool = True):
    """An address field; ``will_be_mailed`` (registering, changing one's address, inviting) refuses an address
    that our mail cannot reach, while signing in takes any address an account may already have."""
    return EmailField(label, filters=[_strip], validators=[
        DataRequired(_l("Enter your email address.")),
        *([mailable_address] if will_be_mailed else []),
        Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        Length(max=254, message=_l("An email address has at most 254 characters.")),
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


def _new_password_fields(label=_l("Password")):
    password = PasswordField(label, validators=[
        DataRequired(_l("Choose a password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=_l("Use at least %(num)d characters (at most 200).", num=MIN_PASSWORD_LENGTH)),
        _strong_enough,
    ], render_kw={"autocomplete": "new-password"},
        description=_l("At least %(num)d characters. A few unrelated words make a strong one.",
                    num=MIN_PASSWORD_LENGTH))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The two passwords are not the same.")),
    ], render_kw={"autocomplete": "new-password"})
    return password, confirm


def _language_choices() -> list[SelectChoice]:
    """Each language named in itself (a reader who cannot read this page still finds their own), and marked as
    that language so that a screen reader says it right."""
    return [SelectChoice(language.code, language.name, render_kw={"lang": language.code, "dir": language.direction})
            for language in i18n.LANGUAGES.values()]


def _time_zone_choices() -> list[SelectChoice]:
    return [SelectChoice(name, label) for name, label in i18n.time_zone_choices()]


def _desk_time_zone() -> str:
    return current_app.config["TIME_ZONE"]


def _language_and_zone_fields():
    """The language the desk speaks to the person and the zone it gives them times in. The page's language and
    the desk's zone are chosen until they say otherwise; the service refuses what the desk does not know (the
    lists are not checked here, so that its message stands next to the field)."""
    language = SelectField(_l("Language"), choices=_language_choices, default=i18n.current_language,
                           validate_choice=False,
                           description=_l("The desk's pages and emails to you are in this language."))
    zone = SelectField(_l("Time zone"), choices=_time_zone_choices, default=_desk_time_zone,
                       validate_choice=False,
                       description=_l("Times on the desk's pages and in its emails are given in this zone."))
    return language, zone


def keep_refused_choice(field) -> None:
    """A select whose posted value the service refused shows that value, selected, beside its error (not the
    first choice in its place, as if the person had picked that)."""
    known = {choice.value for choice in field.iter_choices()}
    if field.data and field.data not in known:
        field.choices = [SelectChoice(field.data, field.data), *field.choices]


def _name_fields():
    display = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), Length(max=120, message=_l("At most 120 characters."))],
        description=NAME_HELP, render_kw={"autocomplete": "name", "dir": "auto"})
    byline = StringField(_l("Byline name"), validators=[
        DataRequired(_l("Enter the name for your byline.")), Length(max=120, message=_l("At most 120 characters."))],
        description=BYLINE_HELP, render_kw={"dir": "auto"})
    return display, byline


class RegisterForm(FlaskForm):
    email = _email_field()
    display_name, byline_name = _name_fields()
    password, confirm = _new_password_fields()
    # Checked unless the person unticks it (a form posted without it, like an unticked box, means no).
    discreet_emails = discreet_field(default=True)
    locale, time_zone = _language_and_zone_fields()


class LoginForm(FlaskForm):
    email = _email_field(will_be_mailed=False)
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field(will_be_mailed=False)


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields(_l("New password"))


class AcceptInvitationForm(FlaskForm):
    display_name, byline_name = _name_fields()
    password, confirm = _new_password_fields()
    locale, time_zone = _language_and_zone_fields()


class LanguageForm(FlaskForm):
    """The account page's language and time zone: no password, nothing about the account's safety changes."""

    locale, time_zone = _language_and_zone_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = _new_password_fields(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                             render_kw={"autocomplete": "current-password"})


class ProfileForm(FlaskForm):
    display_name, byline_name = _name_fields()
    public_bio = TextAreaField(_l("About you, on your public page"), filters=[_strip], validators=[
        Length(max=600, message=_l("At most 600 characters."))],
        description=_l("Optional. Readers who follow your byline see it beside your published stories. If you "
                       "write under a pen name, leave out anything that could identify you."),
        render_kw={"dir": "auto"})


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(_l("Enter your password to confirm."))],
                             render_kw={"autocomplete": "current-password"})
    understood = BooleanField(_l("I understand: my account, my pitches, drafts, messages and files are deleted "
                                 "for good; my published stories stay online under my byline."),
                              validators=[DataRequired(_l("Tick the box to confirm that you understand."))])


class InviteForm(FlaskForm):
    email = _email_field(_l("Their email address"))
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, r.title) for r in Role], default=Role.EDITOR.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, r.title) for r in Role])


class SecondStepForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(_l("Enter the 6-digit code from your authenticator app, or one of your recovery codes.")),
        Length(max=40, message=_l("A code has 6 digits; a recovery code 12 letters and digits."))],
        description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"})


class EnrolAppForm(FlaskForm):
    code = StringField(_l("Code from the app"), filters=[_strip], validators=[
        DataRequired(_l("Enter the 6-digit code your authenticator app shows.")),
        Length(max=20, message=_l("A code has 6 digits."))],
        description=_l("Once the app has the account, it shows a new 6-digit code every 30 seconds."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ProofForm(FlaskForm):
    """Proving who you are again before what matters: the password, and a code where a second factor is set."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Code from your authenticator app"), filters=[_strip], validators=[
        Length(max=40, message=_l("A code has 6 digits; a recovery code 12 letters and digits."))],
        description=_l("Or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"})


class SecurityKeyForm(FlaskForm):
    name = StringField(_l("A name for this key"), filters=[_strip], validators=[
        DataRequired(_l("Give the key a name, so that you know which one to remove if you lose it.")),
        Length(max=60, message=_l("At most 60 characters."))],
        description=_l("For example “Blue key on my keyring” or “Laptop passkey”. Only you and the desk see it."),
        render_kw={"dir": "auto"})

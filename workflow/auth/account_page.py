"""What the account page shows: its forms and the "Two-step sign-in" section. Not a view: the account's routes
(here and in privacy, which owns deleting an account) render it with the forms they were posted."""

from __future__ import annotations

from flask import current_app

from workflow.auth import second_factor, security_keys
from workflow.auth.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, LanguageForm, ProfileForm
from workflow.core import i18n
from workflow.core.forms import ActionForm


def two_step(person) -> dict:
    """The account page's "Two-step sign-in" section."""
    totp = second_factor.totp_of(person)
    keys = security_keys.keys_of(person)
    return {"app_since": totp.created_at if totp else None, "security_keys": keys,
            "required": second_factor.required_for(person),
            "codes_left": second_factor.recovery_codes_left(person) if totp or keys else 0,
            "action_form": ActionForm()}


def account_context(person, **forms) -> dict:
    """The account page for ``person``: ``forms`` are the ones posted (with their errors); the others are as a
    GET shows them (``formdata=None``: they never read another form's fields from a POST)."""
    context = {"profile_form": ProfileForm(obj=person, formdata=None),
               "password_form": ChangePasswordForm(prefix="pw", formdata=None),
               "email_form": ChangeEmailForm(prefix="em", formdata=None),
               "delete_form": DeleteAccountForm(prefix="del", formdata=None),
               # What the desk uses now: the person's choice, else the page's language and the desk's zone.
               "language_form": LanguageForm(prefix="lang", formdata=None, data={
                   "locale": i18n.supported(person.locale) or i18n.current_language(),
                   "time_zone": person.time_zone if i18n.valid_time_zone(person.time_zone)
                   else current_app.config["TIME_ZONE"]})}
    context.update(forms)
    return {**context, "two_step": two_step(person)}

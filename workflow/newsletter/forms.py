"""The signup form: one email address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from workflow.core.form_input import mailable_address


def _normalised(value):
    """Addresses are pasted or autofilled with spaces and capitals; one address is one subscriber."""
    return value.strip().lower() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    """No CSRF token: the form is in the footer of public pages that shared caches keep, which must carry no
    session. The view checks the request's origin instead, and double opt-in makes a forged signup harmless
    (at most one confirmation email per address per ten minutes)."""

    class Meta:
        csrf = False

    email = EmailField(_l("Your email address"), filters=[_normalised], validators=[
        DataRequired(_l("Enter your email address.")),
        mailable_address,
        Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        Length(max=254, message=_l("An email address has at most 254 characters.")),
    ], render_kw={"autocomplete": "email"})

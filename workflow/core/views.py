"""Small helpers shared by the views of every feature."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, render_template, request
from flask_login import current_user, login_required

from workflow.core import i18n
from workflow.core.errors import DomainError

FORM_ERROR_STATUS = 422


def attach_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def render_form(template: str, form, **context):
    """Render a form page: 200 when fresh, 422 when it carries errors (nothing is committed then)."""
    has_errors = bool(form.errors) or bool(getattr(form, "form_errors", None))
    return render_template(template, form=form, **context), FORM_ERROR_STATUS if has_errors else 200


def safe_next(default: str) -> str:
    """Follow ``next`` only to a path on this site."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc \
            and "\\" not in target and target.isprintable() and len(target) <= 2000:
        return target
    return default


# The language this browser was told to speak (the switcher, a person saving their choice): core/language.py reads it.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def remember_language(response, code: str):
    """The response, with this browser set to speak ``code`` from now on."""
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_AGE, secure=request.is_secure,
                        httponly=True, samesite="Lax")
    return response


def staff_required(view):
    """Editors and admins only; others get 403, anonymous visitors go to sign in."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def asked_language() -> str:
    """The language an admins' page kept per language is about (an email's wording, the guidelines):
    ``?language=`` (404 unless the desk speaks exactly that code), the desk's own language without it."""
    asked = request.args.get("language")
    if asked is None:
        return i18n.desk_language()
    if i18n.supported(asked) != asked:
        abort(404)
    return asked


def language_query(language: str) -> dict[str, str]:
    """The query that names ``language`` in such a page's address: none for the desk's own language."""
    return {} if language == i18n.desk_language() else {"language": language}

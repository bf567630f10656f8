"""Filters and globals for the templates: the ones every page uses. Features add their own (the bell, the
public navigation, an email's subject) with their ``init_app``; core knows no feature."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user
from markupsafe import Markup

from workflow.core import i18n
from workflow.core.forms import ActionForm
from workflow.core.urls import external_url


def machine_datetime(value: datetime | None) -> str:
    """A moment for a ``<time datetime>`` attribute: UTC, to the second (HTML allows at most three digits of
    a fraction, and a reader needs none)."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hidden_fields(form) -> Markup:
    """A form's hidden inputs (the CSRF token among them) without ids, which would repeat when a page has
    several forms."""
    return Markup("".join(str(f(id=False)) for f in form if f.type in ("HiddenField", "CSRFTokenField")))


# The reader-facing side of the site: it wears the outlet's header and footer, not the desk's.
PUBLIC_BLUEPRINTS = {"articles", "newsletter"}
PUBLIC_ENDPOINTS = {"pages.guidelines"}
DESK_ENDPOINTS = {"newsletter.admin"}  # the desk's page inside a public blueprint


def public_page() -> bool:
    """Whether this request renders a page of the outlet's public site (the desk's pages, and its admin pages
    for the newsletter, are not)."""
    if not has_request_context() or request.endpoint is None:
        return False
    return (request.blueprint in PUBLIC_BLUEPRINTS and request.endpoint not in DESK_ENDPOINTS
            or request.endpoint in PUBLIC_ENDPOINTS)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    # Times, days and counts in the reader's language and time zone (workflow/core/i18n.py).
    app.add_template_filter(i18n.format_datetime, "datetime")
    app.add_template_filter(i18n.format_date, "date")
    app.add_template_filter(machine_datetime, "machine_datetime")
    app.add_template_filter(i18n.ago, "ago")
    app.add_template_filter(i18n.format_number, "number")
    app.add_template_global(hidden_fields, "hidden_fields")
    app.add_template_global(i18n.language_name, "language_name")
    app.add_template_global(external_url, "absolute_url")
    app.add_template_global(public_page, "public_page")

    @app.context_processor
    def globals_for_templates():
        return {
            "outlet": current_app.config["OUTLET_NAME"],
            # formdata=None: the form never reads the request body (it may be an oversized upload).
            "logout_form": (ActionForm(formdata=None)
                            if has_request_context() and current_user.is_authenticated else None),
        }

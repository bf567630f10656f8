"""The newsletter: signup with double opt-in, confirmation, one-click unsubscribe, and the desk's counts."""

from __future__ import annotations

from urllib.parse import urlsplit

from babel.dates import get_day_names
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from workflow.core import limits
from workflow.core.forms import ActionForm
from workflow.core.tokens import TokenError
from workflow.core.urls import external_url
from workflow.core.views import FORM_ERROR_STATUS, staff_required
from workflow.extensions import csrf, db
from workflow.newsletter import models  # noqa: F401 (the tables, for migrations)
from workflow.newsletter import services as newsletter
from workflow.newsletter.forms import SignupForm

bp = Blueprint("newsletter", __name__)

FOREIGN_ORIGIN = _l("This form was sent from another site. Subscribe here instead.")


def _same_origin() -> bool:
    """Whether the POST came from one of our own pages: browsers send ``Origin`` (or at least ``Referer``) with
    a form post; a request with neither is not a browser's, so no one's session can be abused through it."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent or sent == "null":
        return sent is None
    ours = {urlsplit(external_url("articles.index"))[:2], urlsplit(request.host_url)[:2]}
    return urlsplit(sent)[:2] in ours


# Link builders and lists for the newsletter's email files (their trusted blocks; the wording never sees them).

@bp.app_template_global("newsletter_confirm_link")
def confirm_link(subscriber_id: int) -> str:
    subscriber = db.session.get(models.Subscriber, subscriber_id)
    token = newsletter.confirmation_token(subscriber_id, subscriber.email if subscriber else "")
    return external_url("newsletter.confirm", token=token)


@bp.app_template_global("newsletter_stories")
def issue_stories(issue: str) -> list[dict]:
    return newsletter.issue_stories(issue)


# Signup -------------------------------------------------------------------------------------------------------

def _signup_page(form: SignupForm, status: int = 200):
    return render_template("newsletter/signup.html", newsletter_form=form, newsletter_signup_in_page=True), status


@bp.get("/newsletter")
def signup_page():
    return _signup_page(SignupForm(formdata=None))


@bp.post("/newsletter")
@csrf.exempt  # the signup carries no session token (see SignupForm); the origin is checked instead
@limits.newsletter_signup
def signup():
    """Whatever the address's state, the same answer: the page never tells who is subscribed."""
    form = SignupForm()
    if not _same_origin():
        form.form_errors.append(str(FOREIGN_ORIGIN))
        return _signup_page(form, 403)
    if form.validate_on_submit():
        newsletter.request_subscription(form.email.data)
        return redirect(url_for("newsletter.check_inbox"), 303)
    return _signup_page(form, FORM_ERROR_STATUS)


@bp.get("/newsletter/check-your-inbox")
def check_inbox():
    return render_template("newsletter/check_inbox.html")


# Confirmation (double opt-in) ---------------------------------------------------------------------------------

def _token_error(error: TokenError, kind: str):
    return render_template("newsletter/token_error.html", message=error.message, kind=kind), 404


@bp.get("/newsletter/confirm/<token>")
def confirm(token: str):
    """Asks with a button: mail scanners fetch the links in an email, and a fetch must not give consent."""
    try:
        subscriber = newsletter.read_confirmation_token(token)
    except TokenError as error:
        return _token_error(error, "confirm")
    if subscriber.is_active:
        return render_template("newsletter/confirmed.html", email=subscriber.email, already=True)
    return render_template("newsletter/confirm.html", email=subscriber.email, token=token, form=ActionForm())


@bp.post("/newsletter/confirm/<token>")
def confirm_post(token: str):
    try:
        subscriber = newsletter.read_confirmation_token(token)
    except TokenError as error:
        return _token_error(error, "confirm")
    already = not newsletter.confirm(subscriber)
    return render_template("newsletter/confirmed.html", email=subscriber.email, already=already)


# Unsubscribe --------------------------------------------------------------------------------------------------

@bp.route("/newsletter/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail client posts "List-Unsubscribe=One-Click" with no session and no form
def unsubscribe(token: str):
    """GET asks (link scanners must not unsubscribe anyone); POST, from the page or the mail client, does it."""
    try:
        if request.method == "POST":
            subscriber = newsletter.unsubscribe(token)
            return render_template("newsletter/unsubscribed.html", email=subscriber.email)
        subscriber = newsletter.read_unsubscribe_token(token)
    except TokenError as error:
        return _token_error(error, "unsubscribe")
    return render_template("newsletter/unsubscribe.html", email=subscriber.email, token=token,
                           already=subscriber.unsubscribed_at is not None)


# The desk's view ----------------------------------------------------------------------------------------------

@bp.get("/admin/newsletter")
@staff_required
def admin():
    """Counts only: the desk needs to know how the newsletter does, not who reads it."""
    return render_template("newsletter/admin.html", counts=newsletter.subscriber_counts(),
                           issues=newsletter.recent_issues(),
                           weekday=_weekday(current_app.config["NEWSLETTER_WEEKDAY"]))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday(configured) -> str:
    """The configured day of the weekly newsletter ("fri") as the reader's language shortens it ("Fri"); a cron
    expression other than one day's name is shown as written."""
    name = str(configured).strip().lower()
    if name in WEEKDAYS:
        return get_day_names("abbreviated", locale=get_locale())[WEEKDAYS.index(name)]
    return str(configured).capitalize()

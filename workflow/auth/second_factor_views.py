"""The second step of signing in, setting up an authenticator app, and recovery codes. Every page works without
JavaScript: the QR code is an image drawn on the server, and the secret is also shown for typing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from workflow.auth import second_factor
from workflow.auth.forms import ActionForm, EnrolAppForm, SecondStepForm
from workflow.auth.proof import fresh_proof_required
from workflow.auth.signin import pending, pending_key, pending_user, sign_in
from workflow.core.errors import DomainError
from workflow.core.views import attach_error, render_form, safe_next
from workflow.extensions import limiter

bp = Blueprint("second_factor", __name__)

ENROL_NONCE = "enrol_nonce"
# Wrong codes for one account: the sixth in a minute waits, whichever web process it reaches.
WRONG_CODES = "5 per minute"


def _failed(response) -> bool:
    return response.status_code not in (302, 303)


def _home_of(user) -> str:
    return url_for("submissions.queue") if user.is_staff else url_for("submissions.dashboard")


def _start_again():
    flash("Sign in again: the second step waits only a few minutes after the password.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(WRONG_CODES, key_func=pending_key, methods=["POST"], deduct_when=_failed)
def verify():
    """After the password: a code from the authenticator app, or a recovery code."""
    state, user = pending(), pending_user()
    if state is None or user is None or state["s"] != "verify":
        return _start_again()
    form = SecondStepForm()
    if form.validate_on_submit():
        how = second_factor.verify(user, form.code.data)
        if how is not None:
            sign_in(user, remember=state["r"])
            if how == "recovery":
                left = second_factor.recovery_codes_left(user)
                flash(f"You signed in with a recovery code; {left} left. If your phone is lost, set up the app "
                      "again on your account page.", "info")
            return redirect(state["n"] or _home_of(user), 303)
        form.code.errors = [*form.code.errors, "That code is not right, or it was used already. Use the newest "
                                               "code your app shows, or a recovery code you have not used."]
    return render_form("auth/second_step.html", form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(WRONG_CODES, key_func=pending_key, methods=["POST"], deduct_when=_failed)
def enrol():
    """An editor or admin without a second factor sets one up before any page of the desk."""
    state, user = pending(), pending_user()
    if state is None or user is None or state["s"] != "enrol" or not state.get("e"):
        return _start_again()
    secret = second_factor.candidate_secret(user.id, state["e"])
    form = EnrolAppForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.enrol_app(user, secret, form.code.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            sign_in(user, remember=state["r"])
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True,
                                   continue_to=state["n"] or _home_of(user)), 200, {"Cache-Control": "no-store"}
    return render_form("auth/enrol_app.html", form, during_sign_in=True, **second_factor.provisioning(secret))


@bp.route("/account/two-step/app", methods=["GET", "POST"])
@login_required
@limiter.limit(WRONG_CODES, key_func=lambda: f"second-step:{current_user.id}", methods=["POST"],
               deduct_when=_failed)
@fresh_proof_required
def set_up_app():
    """Set up an authenticator app from the account page (optional for contributors)."""
    if second_factor.has_factor(current_user):
        flash("An authenticator app is already set up for your account.", "info")
        return redirect(url_for("auth.account") + "#two-step", 303)
    nonce = session.get(ENROL_NONCE) or second_factor.new_enrolment_nonce()
    session[ENROL_NONCE] = nonce
    secret = second_factor.candidate_secret(current_user.id, nonce)
    form = EnrolAppForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.enrol_app(current_user, secret, form.code.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            session.pop(ENROL_NONCE, None)
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True,
                                   continue_to=url_for("auth.account") + "#two-step"), 200, \
                {"Cache-Control": "no-store"}
    return render_form("auth/enrol_app.html", form, during_sign_in=False, **second_factor.provisioning(secret))


@bp.post("/account/two-step/app/remove")
@login_required
@fresh_proof_required
def remove_app():
    if ActionForm().validate_on_submit():
        try:
            second_factor.remove_app(current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("The authenticator app is removed: signing in asks for your password alone.", "success")
    return redirect(url_for("auth.account") + "#two-step", 303)


@bp.post("/account/two-step/recovery-codes")
@login_required
@fresh_proof_required
def new_recovery_codes():
    if ActionForm().validate_on_submit():
        try:
            codes = second_factor.regenerate_recovery_codes(current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            return render_template("auth/recovery_codes.html", codes=codes, first_time=False,
                                   continue_to=safe_next(url_for("auth.account") + "#two-step")), 200, \
                {"Cache-Control": "no-store"}
    return redirect(url_for("auth.account") + "#two-step", 303)

"""The second step of signing in, setting up an authenticator app, and recovery codes. Every page works without
JavaScript: the QR code is an image drawn on the server, and the secret is also shown for typing."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflow.auth import second_factor, security_keys
from workflow.auth.forms import EnrolAppForm, SecondStepForm, SecurityKeyForm
from workflow.auth.proof import fresh_proof_required
from workflow.auth.signin import home_of, pending, pending_key, pending_user, sign_in
from workflow.core.errors import DomainError
from workflow.core.forms import ActionForm
from workflow.core.views import attach_error, render_form, safe_next
from workflow.extensions import limiter

bp = Blueprint("second_factor", __name__)

ENROL_NONCE = "enrol_nonce"
KEY_REGISTRATION = "webauthn_registration"  # the challenge of a key's registration, for one ceremony
KEY_SIGN_IN = "webauthn_sign_in"  # the challenge of a sign-in with a key
SIGN_IN_AGAIN = _l("Sign in again: the second step waits only a few minutes after the password.")
PROVE_FIRST = _l("Confirm it is you first: reload the page.")
# Wrong codes for one account: the sixth in a minute waits, whichever web process it reaches.
WRONG_CODES = "5 per minute"


def _failed(response) -> bool:
    return response.status_code not in (302, 303)


def _failed_json(response) -> bool:
    """A key's answer refused (the options themselves are not counted)."""
    return response.status_code == 422


def current_app_json(text: str):
    """JSON made by py_webauthn (already a string)."""
    return text, 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _signing_in(step: str):
    """The sign-in waiting for this second step, and its person; (None, None) if there is none (or it is old)."""
    state, user = pending(), pending_user()
    if state is None or user is None or state["s"] != step:
        return None, None
    return state, user


def _start_again():
    flash(str(SIGN_IN_AGAIN), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(WRONG_CODES, key_func=pending_key, methods=["POST"], deduct_when=_failed)
def verify():
    """After the password: a code from the authenticator app, or a recovery code."""
    state, user = _signing_in("verify")
    if user is None:
        return _start_again()
    form = SecondStepForm()
    if form.validate_on_submit():
        how = second_factor.verify(user, form.code.data)
        if how is not None:
            sign_in(user, remember=state["r"])
            if how == "recovery":
                left = second_factor.recovery_codes_left(user)
                flash(ngettext("You signed in with a recovery code; %(num)d left. If your phone is lost, set up "
                               "the app again on your account page.",
                               "You signed in with a recovery code; %(num)d left. If your phone is lost, set up "
                               "the app again on your account page.", left), "info")
            return redirect(state["n"] or home_of(user), 303)
        form.code.errors = [*form.code.errors, _("That code is not right, or it was used already. Use the newest "
                                                 "code your app shows, or a recovery code you have not used.")]
    return render_form("auth/second_step.html", form, has_app=second_factor.totp_of(user) is not None,
                       has_keys=second_factor.has_keys(user))


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(WRONG_CODES, key_func=pending_key, methods=["POST"], deduct_when=_failed)
def enrol():
    """An editor or admin without a second factor sets one up before any page of the desk."""
    state, user = _signing_in("enrol")
    if user is None or not state.get("e"):
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
                                   continue_to=state["n"] or home_of(user)), 200, {"Cache-Control": "no-store"}
    return render_form("auth/enrol_app.html", form, during_sign_in=True, **second_factor.provisioning(secret))


@bp.route("/account/two-step/app", methods=["GET", "POST"])
@login_required
@limiter.limit(WRONG_CODES, key_func=lambda: f"second-step:{current_user.id}", methods=["POST"],
               deduct_when=_failed)
@fresh_proof_required
def set_up_app():
    """Set up an authenticator app from the account page (optional for contributors)."""
    if second_factor.has_factor(current_user):
        flash(_("An authenticator app is already set up for your account."), "info")
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
            if not codes:  # a security key came first: its recovery codes stand
                flash(_("The authenticator app is set up: signing in can ask for a code from it."), "success")
                return redirect(url_for("auth.account") + "#two-step", 303)
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
            flash(_("The authenticator app is removed: signing in asks for your password alone."), "success")
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


@bp.post("/account/two-step/not-now")
@login_required
def not_now():
    """The dashboard's suggestion of a second step, closed for good (the account page still offers it)."""
    if ActionForm().validate_on_submit():
        second_factor.close_offer(current_user)
        flash(_("All right. You can set up a second step at any time on your account page."), "info")
    return redirect(url_for("submissions.dashboard"), 303)


# --- security keys and passkeys (WebAuthn): the ceremony runs in /static/webauthn.js ----------------------------

def _json_error(message: str, status: int = 400):
    return jsonify({"error": str(message)}), status


@bp.route("/account/two-step/keys/new")
@login_required
@fresh_proof_required
def new_key():
    return render_template("auth/new_key.html", form=SecurityKeyForm())


@bp.post("/account/two-step/keys/options")
@login_required
def key_registration_options():
    if not second_factor.proof_is_fresh(current_user):
        return _json_error(PROVE_FIRST, 401)
    try:
        options, challenge = security_keys.registration_options(current_user)
    except DomainError as error:
        return _json_error(error.message)
    session[KEY_REGISTRATION] = challenge
    return current_app_json(options)


@bp.post("/account/two-step/keys")
@login_required
def register_key():
    if not second_factor.proof_is_fresh(current_user):
        return _json_error(PROVE_FIRST, 401)
    body = security_keys.credential_from(request.get_data())
    try:
        key, codes = security_keys.register(current_user, str(body.get("name") or ""), body.get("credential") or {},
                                            session.pop(KEY_REGISTRATION, None))
    except DomainError as error:
        return _json_error(error.message, 422)
    if not codes:
        flash(_("The security key “%(name)s” is added: signing in can ask for it.", name=key.name), "success")
    return jsonify({"next": url_for("auth.account") + "#two-step", "codes": codes or [], "name": key.name})


@bp.post("/account/two-step/keys/<int:key_id>/remove")
@login_required
@fresh_proof_required
def remove_key(key_id):
    if ActionForm().validate_on_submit():
        try:
            key = security_keys.remove(current_user, key_id)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The security key “%(name)s” is removed.", name=key.name), "success")
    return redirect(url_for("auth.account") + "#two-step", 303)


@bp.post("/login/verify/key/options")
@limiter.limit(WRONG_CODES, key_func=pending_key, deduct_when=_failed_json)
def key_sign_in_options():
    state, user = _signing_in("verify")
    if user is None:
        return _json_error(SIGN_IN_AGAIN, 401)
    try:
        options, challenge = security_keys.authentication_options(user)
    except DomainError as error:
        return _json_error(error.message)
    session[KEY_SIGN_IN] = challenge
    return current_app_json(options)


@bp.post("/login/verify/key")
@limiter.limit(WRONG_CODES, key_func=pending_key, deduct_when=_failed_json)
def key_sign_in():
    state, user = _signing_in("verify")
    if user is None:
        return _json_error(SIGN_IN_AGAIN, 401)
    try:
        security_keys.verify(user, security_keys.credential_from(request.get_data()), session.pop(KEY_SIGN_IN, None))
    except DomainError as error:
        return _json_error(error.message, 422)
    sign_in(user, remember=state["r"])
    return jsonify({"next": state["n"] or home_of(user)})

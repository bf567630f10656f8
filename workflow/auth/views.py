"""Sign up, sign in, confirm, reset, and the account page."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from workflow.auth import second_factor, services, sessions
from workflow.auth.account_page import account_context
from workflow.auth.forms import (
    AcceptInvitationForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    ProofForm,
    RegisterForm,
    ResetPasswordForm,
    keep_refused_choice,
)
from workflow.auth.proof import ASKED, fresh_proof_required, limit_wrong_proofs, proved
from workflow.auth.signin import begin_second_step, home_of, sign_in, sign_out
from workflow.core import i18n, limits
from workflow.core.errors import DomainError
from workflow.core.forms import ActionForm
from workflow.core.tokens import TokenError
from workflow.core.views import attach_error, remember_language, render_form, safe_next
from workflow.extensions import limiter

bp = Blueprint("auth", __name__)


def _home():
    return home_of(current_user)


def _after_password(user, remember: bool, next_page: str):
    """The password (or what stands for it) is proved: the second step where the person has one or must have one,
    else signed in."""
    if second_factor.has_factor(user):
        begin_second_step(user, remember, "verify", next_page)
        return redirect(url_for("second_factor.verify"), 303)
    if second_factor.required_for(user):
        if current_user.is_authenticated:
            sign_out()
        begin_second_step(user, remember, "enrol", next_page, second_factor.new_enrolment_nonce())
        return redirect(url_for("second_factor.enrol"), 303)
    sign_in(user, remember=remember)
    return redirect(next_page or home_of(user), 303)


@bp.route("/register", methods=["GET", "POST"])
@limits.registration
def register():
    if current_user.is_authenticated:
        return redirect(_home())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(form.email.data, form.password.data, form.display_name.data, form.byline_name.data,
                              discreet_emails=form.discreet_emails.data, locale=form.locale.data,
                              time_zone=form.time_zone.data)
        except DomainError as error:
            _refused(form, error)
        else:
            return redirect(url_for("auth.check_inbox"), 303)
    return render_form("auth/register.html", form)


def _refused(form, error: DomainError) -> None:
    """A service's refusal next to its field; a refused language or zone stays selected beside it."""
    attach_error(form, error)
    if error.field in ("locale", "time_zone"):
        keep_refused_choice(getattr(form, error.field))


@bp.route("/register/check-your-inbox")
def check_inbox():
    return render_template("auth/check_inbox.html")


@bp.route("/confirm/<token>")
def confirm(token):
    """Shows a button: a GET never changes anything (mail scanners follow links).

    A link that cannot work says so at once, rather than after the click.
    """
    try:
        services.check_confirmation_link(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message), 400
    return render_template("auth/confirm.html", form=ActionForm(), token=token)


@bp.post("/confirm/<token>")
def confirm_post(token):
    form = ActionForm()
    if not form.validate_on_submit():
        return render_form("auth/confirm.html", form, token=token)
    try:
        user = services.confirm_email(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message), 400
    flash(_("Thank you: your email address is confirmed."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(_home(), 303)
    return redirect(url_for("auth.login"), 303)


@bp.post("/confirm/resend")
@login_required
def resend_confirmation():
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.resend_confirmation(current_user)
            flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "success")
        except DomainError as error:
            flash(error.message, "info")
    return redirect(safe_next(_home()), 303)


@bp.route("/login", methods=["GET", "POST"])
@limits.sign_in
def login():
    if current_user.is_authenticated:
        return redirect(_home())
    form = LoginForm()
    if form.validate_on_submit():
        under_attack = limits.account_under_attack(form.email.data)
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            limits.count_failed_sign_in(form.email.data)
        if under_attack and (user is None or not second_factor.has_factor(user)):
            # Many wrong passwords for this account just now: the password alone does not sign in. Right or
            # wrong, the answer is the same (it tells nobody whether they guessed it); if it was right, the
            # owner gets a link by email to finish signing in.
            if user is not None:
                services.send_sign_in_link(user, remember=form.remember.data, next_page=safe_next(""))
            return render_template("auth/sign_in_link_sent.html")  # 200: the link's email is committed
        if user is not None:
            return _after_password(user, form.remember.data, safe_next(""))
        form.form_errors.append(_("That email address and password do not match an active account."))
    return render_form("auth/login.html", form)


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            sign_out()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limits.password_reset
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_form("auth/forgot_password.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        services.user_for_reset_token(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message, ask_reset=True), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)  # every session ends, this browser's too
        except DomainError as error:
            attach_error(form, error)
        else:
            logout_user()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"), 303)
    return render_form("auth/reset_password.html", form, token=token)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    try:
        invitation = services.invitation_for_token(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message, ask_inviter=True), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data, form.display_name.data,
                                              form.byline_name.data, locale=form.locale.data,
                                              time_zone=form.time_zone.data)
        except DomainError as error:
            _refused(form, error)
        else:
            with force_locale(user.locale or i18n.current_language()):  # the language they just chose
                flash(_("Welcome to the desk. One more step: set up an authenticator app.")
                      if second_factor.required_for(user) else _("Welcome to the desk."), "success")
            return _after_password(user, False, "")
    return render_form("auth/accept_invitation.html", form, invitation=invitation)


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", **account_context(current_user))


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.byline_name.data,
                                form.public_bio.data or "")
        flash(_("Your names and public page are saved."), "success")
        return redirect(url_for("auth.account"), 303)
    return _account_with_errors(profile_form=form)


@bp.post("/account/password")
@login_required
@fresh_proof_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            ended = services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(ngettext("Your password is changed. %(num)d other device is signed out; this one stays "
                           "signed in.",
                           "Your password is changed. %(num)d other devices are signed out; this one stays "
                           "signed in.", ended)
                  if ended else _("Your password is changed. No other device was signed in."), "success")
            return redirect(url_for("auth.account"), 303)
    return _account_with_errors(password_form=form)


@bp.post("/account/email")
@login_required
@limits.email_change
@fresh_proof_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("We sent a confirmation link to %(email)s. Your address changes when you open it.",
                    email=form.email.data.strip().lower()), "success")
            return redirect(url_for("auth.account"), 303)
    return _account_with_errors(email_form=form)


@bp.post("/account/language")
@login_required
def change_language():
    """The language and time zone the desk uses with the person; the next page speaks the new language."""
    form = LanguageForm(prefix="lang")
    if form.validate_on_submit():
        try:
            services.set_language_and_zone(current_user, form.locale.data, form.time_zone.data)
        except DomainError as error:
            _refused(form, error)
        else:
            with force_locale(current_user.locale or i18n.current_language()):  # said in the language chosen
                flash(_("Your language and time zone are saved."), "success")
            # This browser too: what its switcher said before gives way to the choice just made.
            return remember_language(redirect(url_for("auth.account"), 303),
                                     current_user.locale or i18n.current_language())
    return _account_with_errors(language_form=form)


def _account_with_errors(**forms):
    return render_template("auth/account.html", **account_context(current_user, **forms)), 422


@bp.route("/account/devices")
@login_required
def devices():
    """Every browser signed in to this account, with a button to end each, or all but this one."""
    return render_template("auth/devices.html", sessions=sessions.sessions_of(current_user),
                           current=current_user.current_session, action_form=ActionForm())


@bp.post("/account/devices/<int:session_id>/end")
@login_required
@fresh_proof_required
def end_session(session_id):
    form = ActionForm()
    if form.validate_on_submit():
        if session_id == current_user.current_session.id:
            sign_out()
            flash(_("You are signed out."), "info")
            return redirect(url_for("auth.login"), 303)
        if not sessions.end(current_user, session_id):
            abort(404)
        flash(_("That device is signed out. It has to sign in again with your password."), "success")
    return redirect(url_for("auth.devices"), 303)


@bp.post("/account/devices/end-others")
@login_required
@fresh_proof_required
def end_other_sessions():
    form = ActionForm()
    if form.validate_on_submit():
        ended = sessions.end_all(current_user, keep=current_user.current_session)
        flash(ngettext("%(num)d other device is signed out; this one stays signed in.",
                       "%(num)d other devices are signed out; this one stays signed in.", ended)
              if ended else _("No other device was signed in."), "success")
    return redirect(url_for("auth.devices"), 303)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limit_wrong_proofs
def confirm_identity():
    """Prove who you are again (the password, and the second factor where one is set), then go on to ``next``."""
    form = ProofForm(prefix="proof")
    if form.validate_on_submit() and proved(form):
        return redirect(safe_next(url_for("auth.account")), 303)
    status = ASKED if form.is_submitted() else 200
    return render_template("auth/confirm_identity.html", form=form, replay=[],
                           action=url_for("auth.confirm_identity", next=safe_next("")),
                           has_factor=second_factor.has_factor(current_user)), status


@bp.route("/account/not-me/<token>")
def not_me(token):
    """From "This wasn't me" in a security email: a page with a button (a GET never changes anything)."""
    try:
        services.check_not_me_link(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message, ask_reset=True), 400
    return render_template("auth/not_me.html", form=ActionForm(), token=token, done=False)


@bp.post("/account/not-me/<token>")
@limiter.limit("5 per hour", methods=["POST"])
def not_me_post(token):
    form = ActionForm()
    if not form.validate_on_submit():
        return render_form("auth/not_me.html", form, token=token, done=False)
    try:
        person = services.not_me(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message, ask_reset=True), 400
    if current_user.is_authenticated and current_user.id == person.id:
        logout_user()  # this browser's session ended with the others
    return render_template("auth/not_me.html", form=form, token=token, done=True)


@bp.route("/login/link/<token>")
def sign_in_link(token):
    """The link emailed to finish a sign-in while the account was under attack: a page with a button."""
    try:
        services.user_for_sign_in_link(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message), 400
    return render_template("auth/sign_in_link.html", form=ActionForm(), token=token)


@bp.post("/login/link/<token>")
def sign_in_link_post(token):
    form = ActionForm()
    if not form.validate_on_submit():
        return render_form("auth/sign_in_link.html", form, token=token)
    try:
        user, remember, next_page = services.use_sign_in_link(token)
    except TokenError as error:
        return render_template("auth/token_error.html", message=error.message), 400
    limits.forget_failed_sign_ins(user.email)
    return _after_password(user, remember, next_page)  # the link stands for the password, never the second step

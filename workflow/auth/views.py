"""Sign up, sign in, confirm, reset, and the account page."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_NAME

from workflow.auth import services
from workflow.auth.forms import (
    AcceptInvitationForm,
    ActionForm,
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from workflow.auth.tokens import TokenError
from workflow.core import limits
from workflow.core.errors import DomainError
from workflow.core.views import attach_error, render_form, safe_next

bp = Blueprint("auth", __name__)


def _home():
    return url_for("submissions.queue") if current_user.is_staff else url_for("submissions.dashboard")


@bp.route("/register", methods=["GET", "POST"])
@limits.registration
def register():
    if current_user.is_authenticated:
        return redirect(_home())
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(form.email.data, form.password.data, form.display_name.data, form.byline_name.data)
        return redirect(url_for("auth.check_inbox"), 303)
    return render_form("auth/register.html", form)


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
    flash("Thank you: your email address is confirmed.", "success")
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
            flash(f"We sent a new confirmation link to {current_user.email}.", "success")
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
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(_home()), 303)
        form.form_errors.append("That email address and password do not match an active account.")
    return render_form("auth/login.html", form)


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
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
        services.reset_password(token, form.password.data)
        logout_user()
        flash("Your password is changed. Sign in with the new one.", "success")
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
                                              form.byline_name.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash("Welcome to the desk.", "success")
            return redirect(_home(), 303)
    return render_form("auth/accept_invitation.html", form, invitation=invitation)


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", profile_form=ProfileForm(obj=current_user),
                           password_form=ChangePasswordForm(prefix="pw"),
                           email_form=ChangeEmailForm(prefix="em"), delete_form=DeleteAccountForm(prefix="del"))


@bp.post("/account/delete")
@login_required
def delete_account():
    from workflow.privacy.deletion import delete_account as close

    form = DeleteAccountForm(prefix="del")
    if form.validate_on_submit():
        try:
            close(current_user, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            logout_user()
            flash("Your account is deleted. Your published stories stay online under your byline.", "info")
            return redirect(url_for("submissions.index"), 303)
    return _account_with_errors(delete_form=form)


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.byline_name.data,
                                form.public_bio.data or "")
        flash("Your names and public page are saved.", "success")
        return redirect(url_for("auth.account"), 303)
    return _account_with_errors(profile_form=form)


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            # This session goes on with the new token; a remembered device stays remembered.
            login_user(current_user._get_current_object(), remember=_remembered_device())
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("auth.account"), 303)
    return _account_with_errors(password_form=form)


def _remembered_device() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_NAME) in request.cookies


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(f"We sent a confirmation link to {form.email.data.strip().lower()}. Your address changes "
                  "when you open it.", "success")
            return redirect(url_for("auth.account"), 303)
    return _account_with_errors(email_form=form)


def _account_with_errors(**forms):
    defaults = {"profile_form": ProfileForm(obj=current_user, formdata=None),
                "password_form": ChangePasswordForm(prefix="pw", formdata=None),
                "email_form": ChangeEmailForm(prefix="em", formdata=None),
                "delete_form": DeleteAccountForm(prefix="del", formdata=None)}
    defaults.update(forms)
    return render_template("auth/account.html", **defaults), 422

"""What a person can do with their own data: take it all away, or close the account for good."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from workflow.auth.account_page import account_context
from workflow.auth.forms import DeleteAccountForm
from workflow.auth.proof import fresh_proof_required
from workflow.core.errors import DomainError
from workflow.core.models import utcnow
from workflow.core.views import attach_error
from workflow.privacy.deletion import delete_account as close_account
from workflow.privacy.export import export_zip

bp = Blueprint("privacy", __name__)
log = logging.getLogger(__name__)


@bp.get("/account/export")
@login_required
@fresh_proof_required
def export():
    """A zip of everything the desk keeps about the signed-in person."""
    response = make_response(export_zip(current_user))
    response.mimetype = "application/zip"
    name = f"my-data-{utcnow().date().isoformat()}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    log.info("user %s downloaded their data", current_user.id)
    return response


@bp.post("/account/delete")
@login_required
@fresh_proof_required
def delete_account():
    form = DeleteAccountForm(prefix="del")
    if form.validate_on_submit():
        try:
            close_account(current_user, form.password.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            logout_user()  # its sessions are ended with it
            flash(_("Your account is deleted. Your published stories stay online under your byline."), "info")
            return redirect(url_for("articles.index"), 303)
    return render_template("auth/account.html", **account_context(current_user, delete_form=form)), 422

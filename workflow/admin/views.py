"""People, roles, invitations and disabled accounts: for admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workflow.auth import services as accounts
from workflow.auth.forms import ActionForm, InviteForm, RoleForm
from workflow.auth.models import Invitation, Role, User
from workflow.core.errors import DomainError
from workflow.core.views import admin_required, attach_error
from workflow.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PEOPLE_FILTERS = {"all": "Everyone", "contributor": "Contributors", "editor": "Editors", "admin": "Admins",
                  "disabled": "Disabled"}


def _people_context(invite_form: InviteForm | None = None) -> dict:
    show = request.args.get("show", "all")
    show = show if show in PEOPLE_FILTERS else "all"
    query = sa.select(User).order_by(User.display_name, User.id)
    if show == "disabled":
        query = query.where(User.disabled_at.is_not(None))
    elif show != "all":
        query = query.where(User.role == Role(show))
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()
    return {"people": db.session.scalars(query).all(), "show": show, "filters": PEOPLE_FILTERS,
            "invitations": invitations, "invite_form": invite_form or InviteForm(formdata=None),
            "action_form": ActionForm()}


@bp.route("/people")
@admin_required
def people():
    return render_template("admin/people.html", **_people_context())


@bp.post("/invitations")
@admin_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite(current_user, form.email.data, Role(form.role.data))
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data.strip().lower()}.", "success")
            return redirect(url_for("admin.people"), 303)
    return render_template("admin/people.html", **_people_context(invite_form=form)), 422


@bp.post("/invitations/<int:invitation_id>/revoke")
@admin_required
def revoke_invitation(invitation_id):
    invitation = db.session.get(Invitation, invitation_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            accounts.revoke_invitation(current_user, invitation)
            flash(f"The invitation to {invitation.email} is withdrawn.", "info")
        except DomainError as error:
            flash(error.message, "error")
    return redirect(url_for("admin.people"), 303)


@bp.route("/people/<int:user_id>")
@admin_required
def person(user_id):
    user = db.session.get(User, user_id) or abort(404)
    return render_template("admin/person.html", person=user, role_form=RoleForm(formdata=None, role=user.role.value),
                           action_form=ActionForm())


@bp.post("/people/<int:user_id>/role")
@admin_required
def change_role(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            accounts.change_role(current_user, user, Role(form.role.data))
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(f"{user.display_name} is now {user.role.title.lower()}.", "success")
            return redirect(url_for("admin.person", user_id=user.id), 303)
    return render_template("admin/person.html", person=user, role_form=form, action_form=ActionForm()), 422


@bp.post("/people/<int:user_id>/disable")
@admin_required
def disable(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            accounts.disable(current_user, user)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.person", user_id=user.id), 303)
        flash(f"{user.display_name}'s account is disabled; their sessions have ended.", "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)


@bp.post("/people/<int:user_id>/enable")
@admin_required
def enable(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        accounts.enable(current_user, user)
        flash(f"{user.display_name}'s account is enabled again.", "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)

"""People, roles, invitations and disabled accounts: for admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from workflow.admin import bp
from workflow.auth import second_factor, security_keys, sessions
from workflow.auth import services as accounts
from workflow.auth.forms import InviteForm, RoleForm
from workflow.auth.models import Invitation
from workflow.auth.proof import fresh_proof_required
from workflow.core.audit import AUTOMATIC_ACTIONS, entries
from workflow.core.errors import DomainError
from workflow.core.form_input import clean
from workflow.core.forms import ActionForm
from workflow.core.numbers import record_id
from workflow.core.views import admin_required, attach_error, safe_next
from workflow.extensions import db
from workflow.notifications import services as notifications
from workflow.notifications.events import EVENTS
from workflow.notifications.mail import email_subject, email_subjects_of
from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification
from workflow.people.models import Role, User

DELIVERIES_PAGE = 50
PEOPLE_FILTERS = {"all": _l("Everyone"), "contributor": _l("Contributors"), "editor": _l("Editors"),
                  "admin": _l("Admins"), "disabled": _l("Disabled")}
ROLE_TITLES = {Role.CONTRIBUTOR: _l("Contributor"), Role.EDITOR: _l("Editor"), Role.ADMIN: _l("Admin")}
# What the log calls each action (the stored name, with its underscores as spaces, is the English).
ACTION_NAMES = {
    "change_role": _l("change role"), "create_section": _l("create section"),
    "delete_section": _l("delete section"), "disable": _l("disable"), "edit_page": _l("edit page"),
    "enable": _l("enable"), "end_sessions": _l("end sessions"),
    "expire_ledger_replies": _l("expire ledger replies"), "expire_private_text": _l("expire private text"),
    "expire_read_notifications": _l("expire read notifications"), "invite": _l("invite"),
    "reset_email_wording": _l("reset email wording"), "reset_second_factor": _l("reset second factor"),
    "retry_delivery": _l("retry delivery"), "revoke_invitation": _l("revoke invitation"),
    "save_email_wording": _l("save email wording"), "update_section": _l("update section"),
}


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
            "with_second_step": second_factor.people_with_factor(),
            "invitations": invitations, "invite_form": invite_form or InviteForm(formdata=None),
            "action_form": ActionForm(), "role_titles": ROLE_TITLES}


@bp.route("/log")
@admin_required
def action_log():
    """What admins (and editors, for the emails' wording) changed, newest first."""
    rows, more = entries(before=request.args.get("before", type=record_id))
    return render_template("admin/log.html", rows=rows, more=more, action_names=ACTION_NAMES,
                           automatic=AUTOMATIC_ACTIONS)


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
            flash(_("Invitation sent to %(email)s.", email=form.email.data.strip().lower()), "success")
            return redirect(url_for("admin.people"), 303)
    return render_template("admin/people.html", **_people_context(invite_form=form)), 422


@bp.post("/invitations/<int:invitation_id>/revoke")
@admin_required
def revoke_invitation(invitation_id):
    invitation = db.session.get(Invitation, invitation_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            accounts.revoke_invitation(current_user, invitation)
            flash(_("The invitation to %(email)s is withdrawn.", email=invitation.email), "info")
        except DomainError as error:
            flash(error.message, "error")
    return redirect(url_for("admin.people"), 303)


def _person_page(user: User, role_form: RoleForm):
    totp = second_factor.totp_of(user)
    keys = security_keys.keys_of(user)
    return render_template("admin/person.html", person=user, role_form=role_form, action_form=ActionForm(),
                           role_titles=ROLE_TITLES,
                           devices=len(sessions.sessions_of(user)), app_since=totp.created_at if totp else None,
                           keys=len(keys), codes_left=second_factor.recovery_codes_left(user) if totp or keys else 0)


@bp.route("/people/<int:user_id>")
@admin_required
def person(user_id):
    user = db.session.get(User, user_id) or abort(404)
    return _person_page(user, RoleForm(formdata=None, role=user.role.value))


@bp.post("/people/<int:user_id>/role")
@admin_required
@fresh_proof_required
def change_role(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            accounts.change_role(current_user, user, Role(form.role.data))
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_role_changed(user), "success")
            return redirect(url_for("admin.person", user_id=user.id), 303)
    return _person_page(user, form), 422


@bp.post("/people/<int:user_id>/disable")
@admin_required
@fresh_proof_required
def disable(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            accounts.disable(current_user, user)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.person", user_id=user.id), 303)
        flash(_("%(name)s's account is disabled; their sessions have ended.", name=user.display_name), "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)


@bp.post("/people/<int:user_id>/sessions/end")
@admin_required
def end_sessions(user_id):
    """Sign someone out everywhere: a lost phone, a laptop taken at a checkpoint."""
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        ended = accounts.end_sessions(current_user, user)
        flash(ngettext("%(name)s is signed out everywhere (%(num)d device).",
                       "%(name)s is signed out everywhere (%(num)d devices).", ended, name=user.display_name)
              if user.id != current_user.id else _("Your other devices are signed out (%(num)d).", num=ended),
              "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)


@bp.post("/people/<int:user_id>/second-step/reset")
@admin_required
@fresh_proof_required
def reset_second_factor(user_id):
    """For someone who lost their phone and their recovery codes: they set up a new app at their next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            second_factor.reset_factors(current_user, user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s's second step is reset and they are signed out everywhere; they set up a new "
                    "authenticator app at their next sign-in. They were emailed.", name=user.display_name), "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)


@bp.post("/people/<int:user_id>/enable")
@admin_required
def enable(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if ActionForm().validate_on_submit():
        accounts.enable(current_user, user)
        flash(_("%(name)s's account is enabled again.", name=user.display_name), "success")
    return redirect(url_for("admin.person", user_id=user.id), 303)


def _role_changed(user: User) -> str:
    """One sentence per role, so that each language can word it."""
    if user.role is Role.ADMIN:
        return _("%(name)s is now admin.", name=user.display_name)
    if user.role is Role.EDITOR:
        return _("%(name)s is now editor.", name=user.display_name)
    return _("%(name)s is now contributor.", name=user.display_name)


DELIVERY_FILTERS = {"failed": _l("Failed for good"), "pending": _l("Waiting"), "sent": _l("Sent"),
                    "held": _l("Held for a digest"), "digested": _l("Sent in a digest"),
                    "skipped": _l("Not emailed (preference)"), "all": _l("All")}
# A delivery's state and an attempt's outcome, as the pages name them (the models' ``title`` is the English).
STATUS_TITLES = {DeliveryStatus.PENDING: _l("Pending"), DeliveryStatus.SENT: _l("Sent"),
                 DeliveryStatus.FAILED: _l("Failed"), DeliveryStatus.HELD: _l("Held for the digest"),
                 DeliveryStatus.DIGESTED: _l("Sent in a digest"),
                 DeliveryStatus.SKIPPED: _l("Not emailed (preference)")}
OUTCOME_TITLES = {AttemptOutcome.SENDING: _l("Sending"), AttemptOutcome.SENT: _l("Accepted by the mail server"),
                  AttemptOutcome.TEMPORARY_FAILURE: _l("Refused for now"),
                  AttemptOutcome.PERMANENT_FAILURE: _l("Refused for good")}


@bp.route("/deliveries")
@admin_required
def deliveries():
    """The delivery ledger: failed emails first, with filters and a retry button."""
    show = request.args.get("status", "failed")
    show = show if show in DELIVERY_FILTERS else "failed"
    event = request.args.get("event", "")
    address = clean(request.args.get("q") or "").strip()[:254]  # NUL cannot go into a PostgreSQL text value
    query = sa.select(Notification).options(joinedload(Notification.recipient)).order_by(Notification.id.desc())
    if show != "all":
        query = query.where(Notification.status == DeliveryStatus(show))
    if event in EVENTS:
        query = query.where(Notification.event == event)
    if address:
        query = query.where(Notification.email.contains(address, autoescape=True))
    before = request.args.get("before", type=record_id)
    if before:
        query = query.where(Notification.id < before)
    rows = db.session.scalars(query.limit(DELIVERIES_PAGE + 1)).all()
    shown = rows[:DELIVERIES_PAGE]
    return render_template("admin/deliveries.html", rows=shown, subjects=email_subjects_of(shown),
                           next_before=rows[DELIVERIES_PAGE - 1].id if len(rows) > DELIVERIES_PAGE else None,
                           show=show, event=event, q=address, filters=DELIVERY_FILTERS, events=sorted(EVENTS),
                           counts=notifications.status_counts(), action_form=ActionForm(),
                           status_titles=STATUS_TITLES)


@bp.route("/deliveries/<int:notification_id>")
@admin_required
def delivery(notification_id):
    notification = db.session.get(Notification, notification_id) or abort(404)
    attempts = db.session.scalars(sa.select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification.id)
                                  .order_by(DeliveryAttempt.attempt)).all()
    return render_template("admin/delivery.html", notification=notification, subject=email_subject(notification),
                           attempts=attempts, action_form=ActionForm(), status_titles=STATUS_TITLES,
                           outcome_titles=OUTCOME_TITLES)


@bp.post("/deliveries/<int:notification_id>/retry")
@admin_required
def retry_delivery(notification_id):
    notification = db.session.get(Notification, notification_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            notifications.retry_delivery(current_user, notification)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Sending “%(subject)s” to %(email)s again.", subject=email_subject(notification),
                    email=notification.email), "success")
    return redirect(safe_next(url_for("admin.deliveries")), 303)

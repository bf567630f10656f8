"""In-app notifications (the bell and its list), email preferences, and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflow.core.forms import ActionForm
from workflow.core.numbers import record_id
from workflow.core.tokens import TokenError
from workflow.core.views import render_form, safe_next
from workflow.extensions import csrf
from workflow.notifications import services as notifications
from workflow.notifications.events import choices_for
from workflow.notifications.forms import chosen, preferences_form, rows
from workflow.notifications.mail import subjects_of

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def inbox():
    before = request.args.get("before", type=record_id)
    items, next_before = notifications.inbox(current_user, before=before)
    return render_template("notifications/inbox.html", items=items, subjects=subjects_of(items),
                           next_before=next_before, before=before,
                           action_form=ActionForm())


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if ActionForm().validate_on_submit():
        notifications.mark_read(current_user, notification_id)
    return redirect(safe_next(url_for("notifications.inbox")), 303)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    if ActionForm().validate_on_submit():
        count = notifications.mark_all_read(current_user)
        flash(ngettext("Marked %(num)d notification as read.", "Marked %(num)d notifications as read.", count)
              if count else _("Nothing was unread."), "success")
    return redirect(url_for("notifications.inbox"), 303)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    events = choices_for(current_user.is_staff)
    form = preferences_form(events, notifications.preferences_of(current_user), current_user.discreet_emails)
    if form.validate_on_submit():
        changed = notifications.set_preferences(current_user, chosen(form, events))
        discreet_changed = notifications.set_discreet_emails(current_user, form.discreet_emails.data)
        if not discreet_changed:
            message = _("Your email choices are saved.") if changed else _("Nothing changed.")
        elif current_user.discreet_emails:
            message = _("Your email choices are saved. Our emails now only say that there is news on the desk.")
        else:
            message = _("Your email choices are saved. Our emails now name the story and quote what was written.")
        flash(message, "success")
        return redirect(url_for("notifications.preferences"), 303)
    return render_form("notifications/preferences.html", form, rows=rows(form, events))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail client posts "List-Unsubscribe=One-Click" with no session and no form
def unsubscribe(token: str):
    """GET asks (link scanners must not unsubscribe anyone); POST, from the page or the mail client, does it."""
    try:
        if request.method == "POST":
            user, event = notifications.unsubscribe(token)
            return render_template("notifications/unsubscribed.html", event=event, email=user.email)
        user, event = notifications.read_unsubscribe_token(token)
    except TokenError as error:
        return render_template("notifications/unsubscribe.html", error=error.message), 404
    return render_template("notifications/unsubscribe.html", event=event, email=user.email, token=token)

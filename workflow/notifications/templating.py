"""What every page shows of notifications: the bell's unread count. (Pages that list emails get their subjects
from their views: ``mail.subjects_of``.)"""

from __future__ import annotations

from flask import Flask, g, has_request_context
from flask_login import current_user

from workflow.notifications.services import unread_count


def unread_notifications() -> int:
    """The signed-in person's unread in-app notifications, for the bell: the count the sign-in loader read
    beside the person (on a GET), or one COUNT now."""
    if not has_request_context() or not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user)
    return g.unread_notifications


def init_app(app: Flask) -> None:
    @app.context_processor
    def bell():
        return {"unread_notifications": unread_notifications()}

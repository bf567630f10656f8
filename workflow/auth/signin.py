"""Signing a browser in and out (view helpers: they use Flask-Login and the request), and the state between the
password and the second step of a sign-in, which the signed session cookie carries for a few minutes."""

from __future__ import annotations

from flask import after_this_request, current_app, g, request, session, url_for
from flask_login import current_user, login_user, logout_user

from workflow.auth import sessions
from workflow.core.models import utcnow
from workflow.core.transaction import bookkeeping
from workflow.extensions import db
from workflow.notifications.services import unread_count_of
from workflow.people.models import User

PENDING = "second_step"
DEVICE_COOKIE = "desk_device"
DEVICE_COOKIE_DAYS = 400  # browsers cap cookies at about this


def load_signed_in_user(key: str) -> User | None:
    """Flask-Login's loader: the person whose live session the cookie's key names, in one statement. A GET
    renders a page with the bell on it: its unread count comes back in the same round trip too. A session
    last seen over a minute ago is noted as seen once the request's own transaction is over."""
    query = sessions.signed_in_query(key)
    with_bell = request.method == "GET"
    if with_bell:
        query = query.add_columns(unread_count_of(User.id).scalar_subquery())
    row = db.session.execute(query).first()
    if row is None or not sessions.is_alive(row[0], row[1]):
        return None
    user, session_row = row[0], row[1]
    if with_bell:
        g.unread_notifications = row[2]
    if sessions.needs_touch(session_row):
        bookkeeping(lambda: sessions.touch(session_row.id))
    return sessions.adopt(user, session_row, key)


def home_of(user: User) -> str:
    """Where a person lands once signed in: the queue for the desk, the dashboard for contributors."""
    return url_for("submissions.queue") if user.is_staff else url_for("submissions.dashboard")


def sign_in(user: User, remember: bool = False) -> None:
    """A session of the server's for ``user``, named by the cookies (the remember cookie too, if asked)."""
    if current_user.is_authenticated:
        sign_out()
    session.pop(PENDING, None)
    agent = request.user_agent.string
    device_key = sessions.recognise_device(user, request.cookies.get(DEVICE_COOKIE), agent)
    sessions.start(user, remember, agent)
    login_user(user, remember=remember)

    @after_this_request
    def remember_device(response):
        response.set_cookie(DEVICE_COOKIE, device_key, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response


def sign_out() -> None:
    sessions.end_current(current_user._get_current_object())
    logout_user()


def begin_second_step(user: User, remember: bool, step: str, next_page: str, nonce: str | None = None) -> None:
    """The password was right: remember who is signing in, for the second step only."""
    session[PENDING] = {"u": user.id, "r": bool(remember), "s": step, "n": next_page, "e": nonce,
                        "t": int(utcnow().timestamp())}


def pending() -> dict | None:
    """The sign-in waiting for its second step, if it is recent enough."""
    state = session.get(PENDING)
    if not state:
        return None
    if utcnow().timestamp() - state.get("t", 0) > current_app.config["SECOND_STEP_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return state


def pending_user() -> User | None:
    state = pending()
    if state is None:
        return None
    user = db.session.get(User, state["u"])
    return user if user is not None and user.is_active else None


def pending_key() -> str:
    """What the limit on second-step codes counts by: the account being signed in to."""
    state = session.get(PENDING) or {}
    return f"second-step:{state.get('u', 'none')}"


def renew_cookies(user: User) -> None:
    """After :func:`second_factor.prove`: the cookies carry the session's new key."""
    login_user(user, remember=user.current_session.remembered)

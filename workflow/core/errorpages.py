"""Error pages a person can read, and a log line with enough context to act on.

The page of a server error never fails itself: the request's transaction is rolled back first (on PostgreSQL a
failed statement leaves it aborted, and the page's own queries, the signed-in person and the unread count,
would fail in turn), and if the page still cannot be drawn, a plain one says the same thing.
"""

import logging
from html import escape

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from workflow.core import i18n
from workflow.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something is wrong with that request"), _l("The page could not understand what was sent.")),
    403: (_l("You cannot do that"), _l("Your account does not have access to this page or action.")),
    404: (_l("Page not found"), _l("There is nothing here, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("It changed in the meantime"), _l("Someone else changed this while you were looking at it.")),
    413: (_l("That is too large"), _l("The files you sent are larger than we accept. Send smaller files.")),
    429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong on our side"), _l("We have logged the problem. Please try again in a moment.")),
    503: (_l("The desk is busy"), _l("Please try again in a few seconds.")),
}


PLAIN_PAGE = ("<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><meta charset=\"utf-8\"><title>{title}</title>"
              "<h1>{title}</h1><p>{text}</p><p><a href=\"/\">{front}</a></p></html>")


def _end_failed_transaction() -> None:
    if db.session.registry.has():
        try:
            db.session.rollback()
        except Exception:  # the connection itself is gone: the pool replaces it on the next checkout
            log.warning("rolling back after an error failed as well", exc_info=True)


def init_app(app: Flask) -> None:
    def render(code: int, detail: str | None = None):
        title, text = (str(words) for words in MESSAGES.get(code, MESSAGES[500]))
        if code < 500:
            return render_template("errors/error.html", code=code, title=title, text=detail or text), code
        _end_failed_transaction()
        try:
            return render_template("errors/error.html", code=code, title=title, text=detail or text), code
        except Exception:
            log.exception("the error page for %s %s could not be drawn", request.method, request.path)
            _end_failed_transaction()
            # The title and text were worded above, so the page's language is known: the plain page speaks it too.
            language = i18n.current_language()
            return PLAIN_PAGE.format(lang=language, dir=i18n.direction(language), title=escape(title),
                                     text=escape(detail or text), front=escape(_("Go to the front page"))), code

    for code in (400, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        log.info("CSRF refusal on %s %s: %s", request.method, request.path, error.description)
        return render(400, _("The form had expired or came from another site. Go back, reload the page and try "
                             "again; what you typed may need to be entered again."))

    @app.errorhandler(OperationalError)
    def database_busy(error):
        if "locked" in str(error).lower():
            log.warning("database busy on %s %s: %s", request.method, request.path, error)
            return render(503)
        log.exception("database error on %s %s", request.method, request.path)
        return render(500)

    @app.errorhandler(500)
    def server_error(error):
        log.error("unhandled error on %s %s", request.method, request.path,
                  exc_info=getattr(error, "original_exception", None))
        return render(500)

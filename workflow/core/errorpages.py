"""Error pages a person can read, and a log line with enough context to act on."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something is wrong with that request", "The page could not understand what was sent."),
    403: ("You cannot do that", "Your account does not have access to this page or action."),
    404: ("Page not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "This page cannot be used that way."),
    409: ("It changed in the meantime", "Someone else changed this while you were looking at it."),
    413: ("That is too large", "The files you sent are larger than we accept. Send smaller files."),
    429: ("Too many attempts", "Please wait a minute and try again."),
    500: ("Something went wrong on our side", "We have logged the problem. Please try again in a moment."),
    503: ("The desk is busy", "Please try again in a few seconds."),
}


def init_app(app: Flask) -> None:
    def render(code: int, detail: str | None = None):
        title, text = MESSAGES.get(code, MESSAGES[500])
        return render_template("errors/error.html", code=code, title=title, text=detail or text), code

    for code in (400, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        log.info("CSRF refusal on %s %s: %s", request.method, request.path, error.description)
        return render(400, "The form had expired or came from another site. Go back, reload the page and try "
                           "again; what you typed may need to be entered again.")

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

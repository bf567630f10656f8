"""Logs you can follow, and that never carry a secret.

- **Format.** Every line goes through structlog's ``ProcessorFormatter``, so the existing
  ``logging.getLogger(__name__)`` calls, werkzeug's, gunicorn's and Celery's lines all come out the same way:
  one JSON object a line in production (``WORKFLOW_LOG_FORMAT=json``), readable lines in the quick start.
- **Request id.** Each web request gets an id (the ``X-Request-ID`` it came with when that is a plain token, else a
  new one), sent back in the response's ``X-Request-ID`` header and put on every line logged while it runs. A task
  the request enqueues carries the id in its message headers, and the worker puts it on every line of that task,
  so one pitch can be followed from the form to the mail server. Tasks handed over later by the sweeper carry the
  sweep's task id instead; their lines name the notification, and the request's own line names the notifications
  it wrote (``notification(s) [..] enqueued`` or ``... not enqueued``).
- **No secret, no person.** The tokens in emailed links (confirmation, invitation, password reset, "this was not
  me", unsubscribe) are blanked out of every line, whoever writes it (our code, werkzeug's or gunicorn's request
  lines), and so are email addresses (a mail server's refusal quotes the recipient's) and the client's IP address
  that opens a request line. The code itself never logs passwords, addresses or message bodies; it logs ids
  (SAFETY.md).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

import structlog
from flask import Flask, g, request

# A path segment after one of the routes whose last part is a secret token ("/confirm/resend" is a route).
SECRET_PATH = re.compile(
    r"(/(?:confirm|invitation|password/reset|unsubscribe|newsletter/confirm|newsletter/unsubscribe|account/not-me|login/link)/)"
    r"(?!resend\b)[^/\s?\"'#]+")
# Loggers with handlers of their own: the root (ours, werkzeug's lines), and gunicorn's when it serves us.
HANDLED_LOGGERS = ("", "werkzeug", "gunicorn.error", "gunicorn.access")

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a load balancer (or a client) is taken only if it is a plain token: nothing that could carry an
# address, a path or a second log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_TASK_HEADER = "request_id"


# The client's address that opens a web server's request line (werkzeug's, gunicorn's access log in its default
# format): no IP address is written to a log line (SAFETY.md).
REQUEST_LINE_LOGGERS = ("werkzeug", "gunicorn.access")
LEADING_ADDRESS = re.compile(r"^\[?[0-9A-Fa-f]*[.:][0-9A-Fa-f.:]*(?:%[\w.-]+)?\]?(?= )")  # IPv6 with its zone too


# An email address that a line carries by accident (a mail server's refusal quotes the recipient, say).
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    return EMAIL_ADDRESS.sub("[email]", SECRET_PATH.sub(r"\1[token]", text))


def redact_request_line(text: str) -> str:
    return LEADING_ADDRESS.sub("[address]", redact(text))


class RedactSecrets(logging.Filter):
    """For handlers that format stdlib records themselves (structlog's lines are cleaned by :func:`_redact`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # structlog's own event, cleaned in the formatter
            return True
        message = record.getMessage()
        cleaned = redact_request_line(message) if record.name in REQUEST_LINE_LOGGERS else redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _redact(_logger, _method, event: dict) -> dict:
    """The last step before rendering: blank tokens in every text of the line, the traceback included, and the
    client's address in a web server's request line."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
    if event.get("logger") in REQUEST_LINE_LOGGERS and isinstance(event.get("event"), str):
        event["event"] = redact_request_line(event["event"])
    return event


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(fmt: str) -> logging.Formatter:
    """The formatter of every handler we own: JSON lines (``json``) or readable ones (``console``)."""
    renderer = (structlog.processors.JSONRenderer() if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
    )


def configure(level: str, fmt: str) -> None:
    """Route structlog through the standard library, and give the root logger (and gunicorn's, when it serves
    us) our formatter. A process whose root logger has handlers already (a test runner) keeps them."""
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter(fmt))
        root.addHandler(handler)
        root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access"):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter(fmt))
    install()


def _filter(filterer: logging.Filterer) -> None:
    if not any(isinstance(existing, RedactSecrets) for existing in filterer.filters):
        filterer.addFilter(RedactSecrets())


def install() -> None:
    """Put the filter on every handler that writes our records, and on the web servers' request loggers
    themselves, so that a handler added later (a log shipper's, a test's) never sees a client's address
    (idempotent)."""
    for name in HANDLED_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            _filter(handler)
    for name in REQUEST_LINE_LOGGERS:
        _filter(logging.getLogger(name))


def request_id_from(header: str | None) -> str:
    header = (header or "").strip()
    return header if SANE_REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    """Give every request its id, on every line it logs and in the response."""

    def bind_request_id():
        structlog.contextvars.clear_contextvars()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    # First of all, so that whatever another before-request hook logs (a CSRF refusal) carries it.
    app.before_request_funcs.setdefault(None, []).insert(0, bind_request_id)

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    @app.teardown_request
    def forget_request_id(_exc):
        structlog.contextvars.clear_contextvars()


def connect_celery() -> None:
    """Carry the request id from the request into the task's message headers, and onto the task's lines."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_put_request_id_in_headers, weak=False, dispatch_uid="workflow.request_id")
    task_prerun.connect(_bind_task, weak=False, dispatch_uid="workflow.request_id")
    task_postrun.connect(_unbind_task, weak=False, dispatch_uid="workflow.request_id")


def _put_request_id_in_headers(headers=None, **_):
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(_TASK_HEADER, request_id)


def _bind_task(task_id=None, task=None, **_):
    structlog.contextvars.clear_contextvars()
    context = {"task": task.name, "task_id": task_id}
    request_id = getattr(task.request, _TASK_HEADER, None) or (task.request.headers or {}).get(_TASK_HEADER)
    if isinstance(request_id, str) and SANE_REQUEST_ID.fullmatch(request_id):
        context["request_id"] = request_id
    structlog.contextvars.bind_contextvars(**context)


def _unbind_task(**_):
    structlog.contextvars.clear_contextvars()

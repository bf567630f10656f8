"""Everything the test modules share, imported from here: ``from tests.helpers import signed_in, text_of``.

Each thing is written once, in the ``tests/support/`` module for its job (see ``tests/support/__init__.py``);
this module only gathers them, so that a test module needs one import line and never imports another test
module. Fixtures live in ``tests/conftest.py``; real processes in ``tests/processes.py``; Chromium in
``tests/browsers.py``.
"""

from tests.support.authenticators import SoftKey, second_step_code
from tests.support.clients import (
    CSRF_RE,
    GENERIC_SIGN_IN_ERROR,
    VERSION_RE,
    Client,
    act,
    can_sign_in,
    cookie_copy,
    in_arabic,
    page_version,
    signed_in,
    still_signed_in,
    url_of,
)
from tests.support.db import BOOKKEEPING_COLUMNS, DELIVERY_COLUMNS, WORKER_TABLES, empty_tables, fingerprint
from tests.support.factories import Factory, large_png, png_bytes, prepare_images, publish, seed_desk, unpublish
from tests.support.forms import PASSWORD, REGISTRATION, in_days, valid_pitch
from tests.support.mail import (
    MailCatcher,
    as_received,
    composed,
    delivered,
    finish_reset_requests,
    html_body,
    latest_link,
    link_in,
    links_signed_ago,
    outbox,
    plain_body,
    run_reset_requests,
    tampered,
)
from tests.support.pages import (
    error_summary,
    field_error,
    fields_with_errors,
    flashes,
    html_of,
    input_value,
    ok,
    page_language,
    redirect_path,
    row_ids,
    sidebar_counts,
    text_of,
)
from tests.support.ports import free_port
from tests.support.walks import HtmlForm, forms_on, path_of

__all__ = [
    "finish_reset_requests",
    "HtmlForm", "forms_on", "large_png", "path_of", "prepare_images",
    "BOOKKEEPING_COLUMNS", "CSRF_RE", "DELIVERY_COLUMNS", "GENERIC_SIGN_IN_ERROR", "PASSWORD", "REGISTRATION",
    "VERSION_RE", "WORKER_TABLES", "Client", "Factory", "MailCatcher", "SoftKey", "act", "as_received",
    "can_sign_in", "composed", "cookie_copy", "delivered", "empty_tables", "error_summary", "field_error",
    "fields_with_errors",
    "fingerprint", "flashes", "free_port", "html_body", "html_of", "in_arabic", "in_days", "input_value",
    "latest_link", "link_in", "links_signed_ago", "ok", "outbox", "page_language", "page_version", "plain_body",
    "png_bytes", "publish",
    "redirect_path", "row_ids", "run_reset_requests", "second_step_code", "seed_desk", "sidebar_counts", "signed_in",
    "still_signed_in", "tampered", "text_of", "unpublish", "url_of", "valid_pitch",
]

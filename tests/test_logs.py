"""No secret reaches the logs: the tokens of emailed links are blanked in our lines and in the request lines of
the web server, and passwords are never written."""

from __future__ import annotations

import io
import logging
import threading
import urllib.request

from werkzeug.serving import make_server

from tests.helpers import PASSWORD, Client, free_port
from workflow.core import logs


def test_tokens_in_paths_are_blanked_and_other_paths_kept():
    assert logs.redact("GET /confirm/abc.DEF-123_x HTTP/1.1") == "GET /confirm/[token] HTTP/1.1"
    assert logs.redact("POST /newsletter/unsubscribe/eyJz.aw.Qx?x=1") == "POST /newsletter/unsubscribe/[token]?x=1"
    assert logs.redact("/password/reset/tok and /invitation/tok2") == "/password/reset/[token] and /invitation/[token]"
    for kept in ("POST /confirm/resend HTTP/1.1", "GET /submissions/12/attachments/3", "GET /articles/a-story"):
        assert logs.redact(kept) == kept


def _captured():
    """A handler on the root logger, as the app's own are, with the app's filter installed on it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    logs.install()
    return stream, handler


def test_the_web_server_s_request_lines_and_our_own_lines_carry_no_token(app, factory):
    stream, handler = _captured()
    werkzeug, ours = logging.getLogger("werkzeug"), logging.getLogger("workflow")
    levels = werkzeug.level, ours.level  # another test's app may have set a quieter level
    werkzeug.setLevel(logging.INFO)
    ours.setLevel(logging.INFO)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secret = "eyJ1IjoxfQ.aXyZ.SecretPartOfTheLink"
    try:
        for path in (f"/confirm/{secret}", f"/password/reset/{secret}", f"/newsletter/confirm/{secret}"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
            except urllib.error.HTTPError:
                pass
        # Our own line about a refused form names the path it was posted to.
        Client(app).post(f"/confirm/{secret}", {}, csrf=False)
        person = factory.user()
        Client(app).login(person.email, PASSWORD)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        werkzeug.setLevel(levels[0])
        ours.setLevel(levels[1])
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue()
    assert "/confirm/[token]" in written and "/password/reset/[token]" in written  # the lines are there
    assert "CSRF refusal on POST /confirm/[token]" in written
    assert secret not in written and "SecretPartOfTheLink" not in written
    assert PASSWORD not in written

"""No secret reaches the logs: the tokens of emailed links are blanked in our lines and in the request lines of
the web server, and passwords are never written."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import uuid

import pytest
from werkzeug.serving import make_server

from tests.conftest import POSTGRES_ADMIN_URL
from tests.helpers import PASSWORD, Client, free_port
from tests.processes import Desk, wait_for
from workflow import ROOT
from workflow.core import logs


def test_tokens_in_paths_are_blanked_and_other_paths_kept():
    assert logs.redact("GET /confirm/abc.DEF-123_x HTTP/1.1") == "GET /confirm/[token] HTTP/1.1"
    assert logs.redact("POST /newsletter/unsubscribe/eyJz.aw.Qx?x=1") == "POST /newsletter/unsubscribe/[token]?x=1"
    assert logs.redact("/password/reset/tok and /invitation/tok2") == "/password/reset/[token] and /invitation/[token]"
    assert logs.redact("550 <first.last+desk@mail.example.org>: unknown") == "550 <[email]>: unknown"
    for kept in ("POST /confirm/resend HTTP/1.1", "GET /submissions/12/attachments/3", "GET /articles/a-story"):
        assert logs.redact(kept) == kept


def test_a_request_line_names_no_client_address():
    assert (logs.redact_request_line('203.0.113.9 - - [06/Dec/2026 15:41:52] "GET /confirm/abc HTTP/1.1" 200 -')
            == '[address] - - [06/Dec/2026 15:41:52] "GET /confirm/[token] HTTP/1.1" 200 -')
    assert logs.redact_request_line('2001:db8::7 - - [06/Dec/2026:15:41:52 +0000] "GET / HTTP/1.1" 200') \
        == '[address] - - [06/Dec/2026:15:41:52 +0000] "GET / HTTP/1.1" 200'
    assert logs.redact_request_line('fe80::1%eth0 - - [06/Dec/2026 15:41:52] "GET / HTTP/1.1" 200 -') \
        == '[address] - - [06/Dec/2026 15:41:52] "GET / HTTP/1.1" 200 -'


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
        assert Client(app).login(person.email, PASSWORD).status_code == 303  # the sign-in's line is there
    finally:
        server.shutdown()
        thread.join(timeout=5)
        werkzeug.setLevel(levels[0])
        ours.setLevel(levels[1])
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue()
    assert "/confirm/[token]" in written and "/password/reset/[token]" in written  # the lines are there
    assert "127.0.0.1" not in written and "[address] - -" in written
    assert "CSRF refusal on POST /confirm/[token]" in written
    assert secret not in written and "SecretPartOfTheLink" not in written
    assert PASSWORD not in written


ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def ip_addresses_in(text: str) -> list[str]:
    """Every IPv4 or IPv6 address in the text (a time such as 17:00:10 is not one)."""
    found = []
    for candidate in ADDRESS_LIKE.findall(text):
        for token in {candidate, candidate.strip(".:")}:
            try:
                ipaddress.ip_address(token)
            except ValueError:
                continue
            found.append(token)
    return found


def test_a_whole_journey_logs_no_address_of_any_kind(app, caplog):
    """Register, confirm, pitch, talk with the desk and sign out over real HTTP (werkzeug's server, whose
    request lines start with the client's address): every captured line, even those of a handler added after
    the app started (pytest's own), names no IP address and no email address."""
    from tests.helpers import REGISTRATION, latest_link, valid_pitch
    from tests.processes import LiveClient

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="werkzeug")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = LiveClient(f"http://127.0.0.1:{port}")
    email = REGISTRATION["email"]
    try:
        status, _, _ = browser.post("/register", REGISTRATION, page="/register")
        assert status == 303, status
        link = latest_link(app, email, "Confirm your email address")
        status, _, _ = browser.post(link, {}, page=link)
        assert status == 303, status
        browser.login(email, PASSWORD)
        status, _, location = browser.post("/pitch", valid_pitch(), page="/pitch")
        assert status == 303, status
        story = urllib.parse.urlsplit(location).path
        status, _, _ = browser.post(f"{story}/messages", {"body": "The ferryman agreed to talk."}, page=story)
        assert status == 303, status
        status, _, _ = browser.post("/logout", {}, page="/account")
        assert status == 303, status
    finally:
        server.shutdown()
        thread.join(timeout=5)
    # The desk's lines, not the test's own mail server's (aiosmtpd logs each peer's address as "mail.log"): a
    # test run's worker may deliver the journey's emails to it meanwhile.
    ours = [record for record in caplog.records if not record.name.startswith("mail.log")]
    lines = [record.getMessage() for record in ours]
    request_lines = [line for line in lines if re.search(r"POST /pitch HTTP/1.1\S*\" 303", line)]
    assert request_lines and request_lines[0].startswith("[address] - -"), request_lines  # the server's lines
    assert any("pitched submission" in line for line in lines)  # and ours are there to be searched
    written = "\n".join([*lines, *(caplog.handler.format(record) for record in ours)])
    assert ip_addresses_in('203.0.113.9 - - "GET /" and [::1]:5000, fe80::1') == ["203.0.113.9", "::1", "fe80::1"]
    assert not ip_addresses_in(written), ip_addresses_in(written)
    assert not EMAIL.search(written), EMAIL.search(written)
    for private in ("Rana Field", "R. Field", "ferryman"):
        assert private not in written


# --- logs you can follow: the request id, and the format ------------------------------------------------------

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def test_a_sane_request_id_is_kept_and_anything_else_replaced(client):
    kept = "edge-7f3a9c.01:lb"
    assert client.get("/healthz", headers={"X-Request-ID": kept}).headers["X-Request-ID"] == kept
    for sent in ("has a space", "someone@example.org", "../../etc/passwd", "x" * 200, "-leading-dash", ""):
        answered = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        assert answered != sent and GENERATED_ID.fullmatch(answered), (sent, answered)
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert GENERATED_ID.fullmatch(first) and first != second  # one per request


LOG_SNIPPET = """
import logging
from workflow import create_app
app = create_app()
client = app.test_client()
# A form posted without its CSRF token is refused, and the refusal is logged with the path (a token in it).
client.post("/confirm/eyJ1IjoxfQ.SecretPartOfTheLink", headers={"X-Request-ID": "format-check-1"})
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("workflow.check").exception("a failure while at /password/reset/AnotherSecretToken")
logging.getLogger("workflow.check").warning("refused: 550 5.1.1 <someone.private+x@mail.example.org> unknown")
"""


def _log_of_a_process(env_settings: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    env.update({"WORKFLOW_SECRET_KEY": secrets.token_urlsafe(48), "WORKFLOW_METRICS_TOKEN": secrets.token_urlsafe(32),
                "WORKFLOW_DATABASE_URL": POSTGRES_ADMIN_URL,
                "WORKFLOW_BROKER_URL": "redis://127.0.0.1:1/0", "WORKFLOW_RATELIMIT_ENABLED": "false",
                **env_settings})
    result = subprocess.run([sys.executable, "-c", LOG_SNIPPET], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "SecretPartOfTheLink" not in result.stderr and "AnotherSecretToken" not in result.stderr
    assert "someone.private" not in result.stderr and "refused: 550 5.1.1 <[email]> unknown" in result.stderr
    return result.stderr


def test_production_writes_one_json_object_a_line(tmp_path):
    written = _log_of_a_process({"WORKFLOW_ENV": "production"})
    records = [json.loads(line) for line in written.splitlines()]  # every line parses
    refusal = next(record for record in records if "CSRF refusal" in record["event"])
    assert refusal["request_id"] == "format-check-1"
    assert "/confirm/[token]" in refusal["event"]
    assert refusal["level"] == "info" and refusal["logger"].startswith("workflow")
    assert refusal["timestamp"].endswith("Z")
    failure = next(record for record in records if record["event"].startswith("a failure"))
    assert failure["level"] == "error" and "request_id" not in failure  # outside any request
    assert "/password/reset/[token]" in failure["event"] and "ZeroDivisionError" in failure["exception"]


def test_the_quick_start_writes_readable_lines(tmp_path):
    written = _log_of_a_process({"WORKFLOW_ENV": "development", "WORKFLOW_DATABASE_URL":
                                 f"sqlite:///{tmp_path / 'desk.sqlite'}"})
    refusal = next(line for line in written.splitlines() if "CSRF refusal" in line)
    assert not refusal.startswith("{") and "request_id=format-check-1" in refusal and "/confirm/[token]" in refusal
    assert "ZeroDivisionError: division by zero" in written  # the traceback, as it is


@pytest.mark.worker
@pytest.mark.slow
def test_one_pitch_is_followed_from_the_form_to_the_mail_server_and_names_nobody(tmp_path, database, redis_server,
                                                                              mailbox):
    """Gunicorn and a Celery worker in processes of their own, writing JSON lines: the id the pitch was posted
    with is on the web's lines and on the worker's delivery lines; no address, name or text of the pitch is in
    either log."""
    desk = Desk(tmp_path, database, redis_server.url, mailbox, log_format="json")
    try:
        desk.migrate()
        reporter, editor = "canary.reporter.q7@example.org", "canary.editor.x9@example.org"
        names = ("Canaryreporter Realname", "Canaryeditor Realname")
        desk.user(editor, "editor", PASSWORD, names[1])
        desk.user(reporter, "contributor", PASSWORD, names[0])
        web = desk.web(access_log=True)
        worker = desk.worker(beat=False)
        client = web.browser()
        secret = "eyJ1IjoxfQ.aXyZ.SecretPartOfTheLink"
        client.get(f"/confirm/{secret}")
        client.login(reporter, PASSWORD)
        request_id = f"journey-{uuid.uuid4().hex[:12]}"
        client.headers["X-Request-ID"] = request_id
        pitch = {"headline": "Canaryheadline about the river crossing", "summary": "Canarysummary of it",
                 "angle": "Canaryangle now", "sources": "Canarysource the ferryman"}
        status, _, _ = client.post("/pitch", pitch, page="/pitch")
        assert status == 303 and client.last_headers["X-Request-ID"] == request_id
        mailbox.wait_for_subject(reporter, "We received your pitch", timeout=30)
        mailbox.wait_for_count(2)  # and the editor's

        def deliveries():
            return [record for record in worker.log_records() if record["event"].startswith("delivery ")
                    and "outcome=sent" in record["event"]]

        sent = wait_for(lambda: len(deliveries()) == 2 and deliveries(), 10, "both deliveries logged")
        print(f"\nthe worker's delivery lines: {sent}")
        assert all(record.get("request_id") == request_id for record in sent), sent
        web_lines = [record for record in web.service.log_records() if record.get("request_id") == request_id]
        assert any("enqueued" in record["event"] for record in web_lines), web_lines
        # gunicorn's own request lines come out as JSON too, with the token blanked.
        assert any("/confirm/[token]" in record["event"] and record["logger"] == "gunicorn.access"
                   for record in web.service.log_records()), web.service.log()[-2000:]
    finally:
        desk.stop()
    for log in (web.service.log(), worker.log()):
        assert log  # there is something to search
        for private in (reporter, editor, "canary.reporter", "canary.editor", *names, *pitch.values(), "Canary",
                        "SecretPartOfTheLink", "127.0.0.1 "):
            assert private.lower() not in log.lower(), private


def test_a_log_format_that_does_not_exist_is_refused_with_the_choices(monkeypatch, tmp_path):
    from workflow.config import ConfigurationError, from_environment

    monkeypatch.setenv("WORKFLOW_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="WORKFLOW_LOG_FORMAT must be json or console"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("WORKFLOW_LOG_FORMAT", "JSON")
    assert from_environment(str(tmp_path))["LOG_FORMAT"] == "json"

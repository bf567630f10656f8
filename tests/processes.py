"""Real processes for fault tests: a Redis server of the test's own, web servers and Celery workers.

Each fault test starts its own processes on free loopback ports and stops them, so it never touches the
machine's shared services and always cleans up, even when it fails.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from tests.helpers import CSRF_RE, free_port
from workflow import ROOT
from workflow.core.crypto import new_master_key

PASSWORD = "a long and private password"  # of the people the tests make in an installation (``Desk.user``)


def wait_for(predicate, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} did not happen within {timeout}s")


class RedisServer:
    """``redis-server`` on a free port, keeping nothing on disk; it can be stopped and started again."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)

        def answers():
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                return False

        wait_for(answers, 10, "redis-server starting")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Service:
    """A process of the desk (web server or worker) with its log in a file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self, since: int = 0) -> list[dict]:
        """The JSON lines of the log (``log_format="json"``) from character ``since`` on; a line that is not
        JSON (gunicorn's master process, Celery's banner) is skipped."""
        records = []
        for line in self.log()[since:].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def kill_hard(self) -> None:
        """``kill -9`` the whole process group: no goodbye, no acknowledgement."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_hard()


class Desk:
    """A whole installation in processes: a database, a broker, web servers and workers, sharing one env."""

    def __init__(self, tmp_path: Path, database_url: str, broker_url: str, smtp, **settings):
        self.tmp_path = tmp_path
        self.services: list[Service] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
        self.env.pop("CI", None)
        self.env.update({
            "WORKFLOW_DATABASE_URL": database_url,
            "WORKFLOW_BROKER_URL": broker_url,
            "WORKFLOW_BROKER_FOLDER": str(tmp_path / "broker"),
            "WORKFLOW_QUEUE": f"fault-{uuid.uuid4().hex[:8]}",
            "WORKFLOW_SMTP_HOST": smtp.host,
            "WORKFLOW_SMTP_PORT": str(smtp.port),
            "WORKFLOW_UPLOAD_DIR": str(tmp_path / "uploads"),
            "WORKFLOW_KEY_DIR": str(tmp_path / "keys"),
            "WORKFLOW_DATA_KEY": new_master_key(),
            "WORKFLOW_ARGON2_TIME_COST": "1",
            "WORKFLOW_ARGON2_MEMORY_COST": "8192",
            "WORKFLOW_MAIL_RETRY_BASE_SECONDS": "1",
            "WORKFLOW_OUTBOX_SWEEP_SECONDS": "2",
            "WORKFLOW_OUTBOX_GRACE_SECONDS": "1",
            "WORKFLOW_BASE_URL": "http://desk.test",
            # As in tests/conftest.py: people sign in with a password; the second step has tests of its own.
            "WORKFLOW_REQUIRE_SECOND_FACTOR": "none",
        })
        self.env.update({f"WORKFLOW_{key.upper()}": str(value) for key, value in settings.items()})

    def flask(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "workflow", *args], cwd=ROOT,
                                env=self.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def migrate(self) -> None:
        self.flask("db", "upgrade")

    def user(self, email: str, role: str, password: str, name: str, discreet_emails: bool = False) -> None:
        """An account made from the shell; with the detailed emails unless asked (the tests read subjects)."""
        self.flask("users", "create", "--email", email, "--name", name, "--role", role, "--password", password,
                   "--discreet-emails" if discreet_emails else "--detailed-emails")

    def web(self, port: int | None = None, access_log: bool = False) -> LiveServer:
        """A gunicorn web server, on ``port`` if given (the one a ``base_url`` setting names), else on a free one;
        with ``access_log``, gunicorn logs a line per request too."""
        port = port or free_port()
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
        if access_log:
            command += ["--access-logfile", "-"]
        service = Service(f"web-{port}", [*command, "workflow:create_app()"], self.env, self.tmp_path).start()
        self.services.append(service)
        server = LiveServer(f"http://127.0.0.1:{port}", service)
        wait_for(server.answers, 30, f"the web server on port {port} answering")
        return server

    def worker(self, name: str = "worker", beat: bool = True, wait: bool = True) -> Service:
        # The prefork pool, as in production: acknowledgements go through the main process's event loop.
        command = [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "--loglevel", "INFO",
                   "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle",
                   "--hostname", f"{name}-{uuid.uuid4().hex[:6]}@localhost"]
        if beat:
            command += ["-B", "--schedule", str(self.tmp_path / f"beat-{name}")]
        service = Service(name, command, self.env, self.tmp_path).start()
        self.services.append(service)
        if wait:
            wait_for(lambda: "ready." in service.log(), 30, f"{name} becoming ready")
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


class LiveServer:
    def __init__(self, base_url: str, service: Service):
        self.base_url = base_url
        self.service = service

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def browser(self) -> LiveClient:
        return LiveClient(self.base_url)

    def timed_readiness(self) -> tuple[int, dict, float]:
        started = time.monotonic()
        status, checks = self.readiness()
        return status, checks, time.monotonic() - started

    def readiness(self) -> tuple[int, dict]:
        """``GET /readyz``: the status and what it says of each check."""
        try:
            with urllib.request.urlopen(self.base_url + "/readyz", timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


class LiveClient:
    """A cookie-keeping HTTP client for a live server, posting forms with their page's CSRF token."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect())
        self.headers: dict[str, str] = {}  # sent with every request (an X-Request-ID, say)
        self.last_headers = None  # the headers of the last response

    def request(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        sent = urllib.request.Request(self.base_url + path, body, headers=self.headers)
        try:
            with self.opener.open(sent, timeout=timeout) as response:
                self.last_headers = response.headers
                return response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            self.last_headers = error.headers
            return error.code, error.read().decode(errors="replace"), error.headers.get("Location", "")

    def get(self, path: str) -> str:
        return self.request(path)[1]

    def post(self, path: str, data: dict, page: str) -> tuple[int, str, str]:
        token = CSRF_RE.search(self.get(page)).group(1)
        return self.request(path, {**data, "csrf_token": token})

    def timed_post(self, path: str, data: dict, page: str) -> tuple[int, str, float]:
        """``post``, and how long the POST alone took (its form page is fetched first, untimed)."""
        token = CSRF_RE.search(self.get(page)).group(1)
        started = time.monotonic()
        status, body, _ = self.request(path, {**data, "csrf_token": token})
        return status, body, time.monotonic() - started

    def login(self, email: str, password: str) -> None:
        status, _, _ = self.post("/login", {"email": email, "password": password}, page="/login")
        assert status == 303, status

    def version(self, path: str) -> str:
        return re.search(r'name="version" type="hidden" value="(\d+)"', self.get(path)).group(1)

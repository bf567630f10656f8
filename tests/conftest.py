"""Test fixtures on real services.

Every test that touches the database runs twice: on SQLite and on PostgreSQL (a fresh database per run).
Mail goes to a real SMTP server on loopback (aiosmtpd). Tests marked ``worker`` talk to a real
``celery worker`` process through a real broker (Redis, or the filesystem broker when Redis is missing
outside CI). A missing PostgreSQL, Redis or Chromium skips its tests with the reason, except when
``CI=true``: then it fails the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.helpers import Client, MailCatcher, empty_tables, publish, signed_in
from workflow import ROOT, create_app
from workflow.core.crypto import new_master_key
from workflow.extensions import db

pytest_plugins = ["tests.browsers"]  # browser, live_server, base_url, open_page for every browser test

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("WORKFLOW_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("WORKFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def missing_service(reason: str):
    """Skip outside CI; in CI a missing service is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    url = sa.engine.make_url(POSTGRES_ADMIN_URL)
    return _port_open(url.host or "127.0.0.1", url.port or 5432)


def redis_available() -> bool:
    url = sa.engine.make_url(REDIS_URL.replace("redis://", "redis+x://"))
    return _port_open(url.host or "127.0.0.1", url.port or 6379)


@contextmanager
def fresh_postgres_database(admin_url: str = POSTGRES_ADMIN_URL):
    """Create a database of its own for this run (tests, benchmarks), and drop it afterwards."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"workflow_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'workflow.sqlite'}"
        return
    if not postgres_available():
        missing_service(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def smtp_server():
    catcher = MailCatcher()
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """Redis when it is there (required in CI); otherwise the quick start's filesystem broker."""
    if redis_available():
        return {"url": REDIS_URL, "folder": None}
    if IN_CI:
        pytest.fail(f"CI=true and Redis is not reachable at {REDIS_URL}", pytrace=False)
    folder = tmp_path_factory.mktemp("broker")
    return {"url": "filesystem://", "folder": str(folder)}


@pytest.fixture(scope="session")
def service_env(database_url, smtp_server, broker, tmp_path_factory):
    """The WORKFLOW_* environment shared by the test app and the worker process."""
    uploads = tmp_path_factory.mktemp("uploads")
    env = {
        "WORKFLOW_DATABASE_URL": database_url,
        "WORKFLOW_BROKER_URL": broker["url"],
        "WORKFLOW_SMTP_HOST": smtp_server.host,
        "WORKFLOW_SMTP_PORT": str(smtp_server.port),
        "WORKFLOW_UPLOAD_DIR": str(uploads),
        # Private data is sealed with data keys kept in a key store of the run's own, under a master key of its own.
        "WORKFLOW_KEY_DIR": str(tmp_path_factory.mktemp("keys")),
        "WORKFLOW_DATA_KEY": new_master_key(),
        "WORKFLOW_BASE_URL": "http://desk.test",
        "WORKFLOW_ARGON2_TIME_COST": "1",
        "WORKFLOW_ARGON2_MEMORY_COST": "8192",
        "WORKFLOW_MAIL_MAX_ATTEMPTS": "5",
        "WORKFLOW_MAIL_RETRY_BASE_SECONDS": "1",
        "WORKFLOW_OUTBOX_GRACE_SECONDS": "2",
        "WORKFLOW_LOG_LEVEL": "INFO",
        # Each feature's tests sign editors and admins in with their password alone; the second step, with the
        # production policy (staff must have one), has tests of its own (tests/test_auth_second_factor.py).
        "WORKFLOW_REQUIRE_SECOND_FACTOR": "none",
        # A queue of this run's own, so that test runs side by side never take each other's tasks.
        "WORKFLOW_QUEUE": f"workflow-test-{uuid.uuid4().hex[:8]}",
        # Rate limits of this run's own too: a run resetting its counters never clears another's.
        "WORKFLOW_RATELIMIT_KEY_PREFIX": f"workflow-test-limits-{uuid.uuid4().hex[:8]}",
    }
    if broker["folder"]:
        env["WORKFLOW_BROKER_FOLDER"] = broker["folder"]
    yield env
    if broker["url"].startswith("redis://"):
        import redis

        redis.Redis.from_url(broker["url"]).delete(env["WORKFLOW_QUEUE"])


@pytest.fixture(scope="session")
def app(service_env):
    saved = {key: os.environ.get(key) for key in service_env}
    os.environ.update(service_env)
    try:
        application = create_app({"TESTING": True})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def another_app(app, service_env, monkeypatch):
    """Make another desk app in this process, on the test's services (a test that adds routes of its own).
    Building an app binds Celery to it: afterwards Celery is bound to the session's app again, so that the
    tasks later tests run in this process see that app's settings."""
    from workflow.core import celery as celery_setup

    made = []

    def make(overrides: dict | None = None):
        for key, value in service_env.items():
            monkeypatch.setenv(key, value)
        made.append(create_app({"TESTING": True, **(overrides or {})}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()
    celery_setup.init_app(app)
    from workflow.extensions import celery

    assert celery.flask_app is app, "Celery is bound to another app than the session's"


@pytest.fixture
def clean_db(app):
    """Each test starts from empty tables, and with no rate limit counted against it."""
    from workflow.extensions import limiter

    with app.app_context():
        limiter.reset()
    yield
    empty_tables(app)


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.clear()
    smtp_server.refuse_with = None
    smtp_server.refuse_only_to = None
    smtp_server.refusals_left = 0
    yield smtp_server
    smtp_server.refuse_with = None
    smtp_server.refuse_only_to = None
    smtp_server.refusals_left = 0
    smtp_server.stall_data = False


@pytest.fixture
def client(app, clean_db) -> Client:
    return Client(app)


@pytest.fixture
def make_client(app, clean_db):
    """More than one browser at once (two editors, a contributor and an editor)."""
    return lambda: Client(app)


@pytest.fixture
def factory(app, clean_db):
    from tests.helpers import Factory

    return Factory(app)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...``; then ``counter.count`` is the number of SQL statements."""
    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture(scope="session")
def worker(service_env, app, tmp_path_factory):
    """A real ``celery -A celery_worker worker`` process, sharing the database, broker and SMTP server."""
    log_path = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    env = {**os.environ, **service_env}
    env.pop("CI", None)
    hostname = f"test-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    command = [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "--loglevel", "INFO",
               "--concurrency", "2", "--pool", "threads", "--without-gossip", "--without-mingle",
               "--hostname", hostname]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the worker exited at start:\n" + log_path.read_text())
        if b"ready." in log_path.read_bytes():
            break
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the worker did not become ready in 30 s:\n" + log_path.read_text())
    process.log_path = log_path
    process.hostname = hostname
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


# --- whole installations in processes (tests/processes.py) -------------------------------------------------

@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, on a free port, which the test may stop and start."""
    from tests.processes import RedisServer

    if not RedisServer.available():
        missing_service("redis-server is not installed, so the test cannot run a Redis of its own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A database of the test's own for an installation in processes, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.sqlite'}"
        return
    if not postgres_available():
        missing_service("PostgreSQL is not reachable")
    with fresh_postgres_database() as url:
        yield url


# --- the walks over the URL map (tests/test_core_access_matrix.py, tests/test_core_csrf_walk.py) ---------------------

@pytest.fixture
def one_of_everything(app, factory, make_client):
    """One of everything a URL can name, for the walks over the URL map: contributor A's assigned story with a
    draft, a file, a photo, a message and an internal note; B's own pitch; someone else's published story; the
    desk's things (a saved view, an invitation, a section, a tag, a newsletter subscriber). Returns the values of
    the URL arguments, the slug of each endpoint that takes one, and a signed-in client per role."""
    import io

    import sqlalchemy as sa
    from PIL import Image as Picture

    from tests.helpers import Client
    from workflow.articles import images
    from workflow.articles.models import Section, Tag
    from workflow.auth import services as accounts
    from workflow.core import storage
    from workflow.newsletter.models import Subscriber
    from workflow.notifications.models import Notification
    from workflow.people.models import Role, User
    from workflow.submissions import services
    from workflow.submissions.models import Attachment, Submission

    slug, editor = publish(app, factory)
    admin = factory.user("admin")
    person_a = factory.user(email="reporter.a@example.org")
    person_b = factory.user(email="reporter.b@example.org")
    story = factory.submission(person_a, "assigned", editor=editor, with_draft=True,
                               headline="Secret headline of A", summary="Sources: the mayor's driver.")
    factory.submission(person_b, "pitched", headline="B's own pitch")
    factory.message(editor, story, "Private message to A about the mayor")
    factory.message(editor, story, "Internal note: A's source is risky", internal=True)
    with app.app_context():
        submission = db.session.get(Submission, story.id)
        stored = storage.store(b"%PDF-1.4 secret notes", "application/pdf", owner_id=person_a.id)  # as at intake
        attachment = Attachment(submission_id=story.id, uploaded_by_id=person_a.id, filename="a-secret-notes.pdf",
                                content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                storage_key=stored.key)
        db.session.add(attachment)
        buffer = io.BytesIO()
        Picture.new("RGB", (640, 360), (90, 80, 70)).save(buffer, "JPEG")
        photo = images.add_image(db.session.get(User, person_a.id), submission, "p.jpg", buffer.getvalue(),
                                 alt="The mayor's car")
        images.prepare(photo.id)  # its copies now, as a worker would make them
        section = Section(slug="news", name="News")
        db.session.add_all([section, Tag(slug="ports", name="Ports")])
        view = services.save_view(db.session.get(User, editor.id), "Mine", "assignee=mine")
        db.session.add(Subscriber(email="reader@example.org"))
        invitation = accounts.invite(db.session.get(User, admin.id), "invitee@example.org", Role.EDITOR)
        db.session.commit()
        notification = db.session.scalar(sa.select(Notification.id).where(Notification.recipient_id == person_a.id)
                                         .limit(1))
        published = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        values = {
            "submission_id": story.id, "attachment_id": attachment.id, "image_id": photo.id, "key": photo.key,
            "width": photo.widths[0], "number": 1, "notification_id": notification, "view_id": view.id,
            "invitation_id": invitation.id, "user_id": person_a.id, "section_id": section.id,
            "event": "submission.assigned", "public_id": published.contributor.public_id, "filename": "desk.css",
            "token": "not-a-real-token", "key_id": 1, "code": "ar",
        }
    slugs = {"articles.article": slug, "articles.section": "news", "articles.section_feed": "news",
             "articles.tag": "ports", "pages.edit": "guidelines"}
    clients = {"anonymous": Client(app)}
    for role, person in (("contributor_a", person_a), ("contributor_b", person_b), ("editor", editor),
                         ("admin", admin)):
        clients[role] = signed_in(app, person)
    with app.app_context():  # A's own session (the URL of ending it)
        from workflow.auth.models import UserSession

        values["session_id"] = db.session.scalar(sa.select(UserSession.id).where(UserSession.user_id == person_a.id))
    return values, slugs, clients

"""Rate limits on what an attacker repeats: failed sign-ins (per account and per client address), registrations,
reset emails, newsletter signups and pitches. In-process first; then two gunicorn web servers sharing one
Redis, with the attempts alternating between them."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, Client, text_of
from tests.processes import Desk

WRONG = "not the right password at all"


def from_address(app, address: str) -> Client:
    """A browser at another client address (as the load balancer reports it)."""
    client = Client(app)
    client.http.environ_base["REMOTE_ADDR"] = address
    return client


def failed_sign_in(client: Client, email: str):
    return client.post("/login", {"email": email, "password": WRONG}, page="/login")


def assert_told_to_wait(response) -> None:
    assert response.status_code == 429
    assert "Too many attempts" in text_of(response) and "wait a minute" in text_of(response)
    assert int(response.headers["Retry-After"]) > 0


def test_the_eleventh_failed_sign_in_for_one_account_waits_from_any_address(app, factory):
    person = factory.user()
    for n in range(10):
        response = failed_sign_in(from_address(app, f"10.0.0.{n + 1}"), person.email)
        assert response.status_code == 422, n
        assert "do not match an active account" in text_of(response)
    assert_told_to_wait(failed_sign_in(from_address(app, "10.0.0.99"), person.email))
    # The account's owner, elsewhere, is held up too: the guesses are against their account.
    assert_told_to_wait(from_address(app, "10.0.1.1").login(person.email))
    # Another account is not.
    other = factory.user()
    assert from_address(app, "10.0.1.2").login(other.email).status_code == 303


def test_the_eleventh_failed_sign_in_from_one_address_waits_whatever_the_account(app, factory):
    people = [factory.user() for _ in range(11)]
    client = from_address(app, "192.0.2.7")
    for person in people[:10]:
        assert failed_sign_in(client, person.email).status_code == 422
    assert_told_to_wait(failed_sign_in(client, people[10].email))
    assert from_address(app, "192.0.2.8").login(people[10].email).status_code == 303


def test_successful_sign_ins_do_not_count(app, factory):
    person = factory.user()
    client = from_address(app, "198.51.100.1")
    for _ in range(12):
        assert client.login(person.email).status_code == 303
        client.logout()
    for _ in range(9):
        assert failed_sign_in(client, person.email).status_code == 422
    assert client.login(person.email).status_code == 303  # the tenth try, right: in


def test_registrations_reset_emails_and_newsletter_signups_are_limited(app, factory):
    from tests.test_accounts import REGISTRATION

    client = from_address(app, "203.0.113.5")
    for n in range(5):
        response = client.post("/register", {**REGISTRATION, "email": f"new{n}@example.org"}, page="/register")
        assert response.status_code == 303, n
    assert_told_to_wait(client.post("/register", {**REGISTRATION, "email": "new5@example.org"}, page="/register"))

    person = factory.user()
    for n in range(3):
        reset = from_address(app, f"203.0.113.{20 + n}")
        assert reset.post("/password/forgot", {"email": person.email}, page="/password/forgot").status_code == 200
    assert_told_to_wait(from_address(app, "203.0.113.30").post("/password/forgot", {"email": person.email},
                                                                page="/password/forgot"))

    reader = from_address(app, "203.0.113.40")
    for n in range(10):
        assert reader.post("/newsletter", {"email": f"reader{n}@example.org"}, csrf=False).status_code == 303
    assert_told_to_wait(reader.post("/newsletter", {"email": "reader10@example.org"}, csrf=False))


def test_a_contributor_can_send_ten_pitches_an_hour(app, factory):
    person = factory.user()
    client = from_address(app, "203.0.113.60")
    client.login(person.email)
    pitch = {"headline": "A story", "summary": "What happened.", "angle": "Now.", "sources": "People."}
    assert client.post("/pitch", {"headline": ""}, page="/pitch").status_code == 422  # a refused form: not counted
    for n in range(10):
        assert client.post("/pitch", {**pitch, "headline": f"Story {n}"}, page="/pitch").status_code == 303, n
    assert_told_to_wait(client.post("/pitch", {**pitch, "headline": "One too many"}, page="/pitch"))


# --- two web processes, one Redis ----------------------------------------------------------------------------

@pytest.mark.slow
def test_failed_sign_ins_are_counted_across_two_web_processes(tmp_path, database, redis_server, smtp_server):
    desk = Desk(tmp_path, database, redis_server.url, smtp_server)
    try:
        desk.migrate()
        desk.user("target@example.org", "contributor", PASSWORD, "Target")
        servers = [desk.web(), desk.web()]
        statuses = []
        for n in range(11):
            client = servers[n % 2].browser()
            status, _, _ = client.post("/login", {"email": "target@example.org", "password": WRONG}, page="/login")
            statuses.append(status)
        assert statuses == [422] * 10 + [429], statuses
        status, body, _ = servers[0].browser().post("/login", {"email": "target@example.org", "password": PASSWORD},
                                                     page="/login")
        assert status == 429 and "Too many attempts" in body
    finally:
        desk.stop()


def test_limits_are_counted_in_the_broker_s_redis_and_never_in_memory_in_production(monkeypatch, tmp_path):
    from workflow.config import ConfigurationError, check_production_safety, from_environment

    monkeypatch.setenv("WORKFLOW_BROKER_URL", "redis://cache.internal:6379/0")
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    monkeypatch.setenv("WORKFLOW_BROKER_URL", "amqp://guest:guest@rabbit.internal:5672//")
    monkeypatch.setenv("WORKFLOW_ENV", "production")
    monkeypatch.setenv("WORKFLOW_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://db.internal/desk")
    with pytest.raises(ConfigurationError, match="WORKFLOW_RATELIMIT_STORAGE_URL"):
        check_production_safety(from_environment(str(tmp_path)))
    monkeypatch.setenv("WORKFLOW_RATELIMIT_STORAGE_URL", "redis://cache.internal:6379/2")
    check_production_safety(from_environment(str(tmp_path)))

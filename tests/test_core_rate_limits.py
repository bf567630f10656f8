"""Rate limits on what an attacker repeats: failed sign-ins (per account and per client address), registrations,
reset emails, email changes, newsletter signups and pitches. In-process first; then two gunicorn web servers sharing one
Redis, with the attempts alternating between them."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, REGISTRATION, Client, text_of
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


def test_after_ten_failures_for_one_account_the_password_alone_no_longer_signs_in(app, factory):
    """Guesses from many addresses at one account: the account is not locked (its owner would be locked out),
    but a password now signs in only with the second factor, or by a link emailed to the owner; the answer to a
    right and a wrong password is the same page, so nobody learns which they typed."""
    person = factory.user()
    for n in range(10):
        response = failed_sign_in(from_address(app, f"10.0.0.{n + 1}"), person.email)
        assert response.status_code == 422, n
        assert "do not match an active account" in text_of(response)
    wrong = failed_sign_in(from_address(app, "10.0.0.99"), person.email)
    owner = from_address(app, "10.0.1.1")
    right = owner.login(person.email)
    assert wrong.status_code == right.status_code == 200
    assert text_of(wrong) == text_of(right) and "Check your inbox" in text_of(right)
    assert owner.get("/account").status_code == 302, "the password alone signed in"
    [link] = sign_in_links(app, person.email)  # one email: for the right password only
    page = owner.get(link)
    assert page.status_code == 200 and "Finish signing in" in text_of(page)
    assert owner.post(link, page=link).status_code == 303
    assert owner.get("/account").status_code == 200
    assert owner.post(link, page="/account").status_code == 400, "the link works once"
    # Another account is not concerned at all.
    other = factory.user()
    assert from_address(app, "10.0.1.2").login(other.email).status_code == 303


def test_under_attack_an_account_with_a_second_factor_signs_in_with_it(app, factory):
    import pyotp

    from workflow.auth import second_factor
    from workflow.extensions import db
    from workflow.people.models import User

    person = factory.user()
    secret = pyotp.random_base32()
    with app.app_context():
        second_factor.enrol_with_secret(db.session.get(User, person.id), secret)
        db.session.commit()
    for n in range(11):
        failed_sign_in(from_address(app, f"10.0.2.{n + 1}"), person.email)
    owner = from_address(app, "10.0.3.1")
    response = owner.login(person.email)
    assert response.status_code == 303 and response.location.endswith("/login/verify")
    done = owner.post("/login/verify", {"code": pyotp.TOTP(secret).now()}, page="/login/verify")
    assert done.status_code == 303 and owner.get("/account").status_code == 200
    assert sign_in_links(app, person.email) == []


def sign_in_links(app, email: str) -> list[str]:
    import sqlalchemy as sa

    from tests.helpers import composed, link_in
    from workflow.extensions import db
    from workflow.notifications.models import Notification

    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).where(Notification.email == email,
                                                                Notification.event == "account.sign_in_link"))
        return [link_in(composed(row), r"http://desk\.test(/login/link/\S+)") for row in rows]


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


@pytest.mark.slow
def test_wrong_second_step_codes_are_counted_across_two_web_processes(tmp_path, database, redis_server, smtp_server):
    """Five wrong codes for one account, alternating between two gunicorn servers, then the sixth waits."""
    import pyotp
    import sqlalchemy as sa

    desk = Desk(tmp_path, database, redis_server.url, smtp_server)
    try:
        desk.migrate()
        desk.user("keyholder@example.org", "editor", PASSWORD, "Key Holder")
        secret = pyotp.random_base32()
        engine = sa.create_engine(database)
        with engine.begin() as connection:
            user_id = connection.execute(sa.text("SELECT id FROM users WHERE email = 'keyholder@example.org'")).scalar()
            connection.execute(sa.text("INSERT INTO totp_secrets (user_id, secret, created_at) VALUES (:u, :s, :t)"),
                               {"u": user_id, "s": secret, "t": "2026-01-01 00:00:00+00:00"})
        engine.dispose()
        servers = [desk.web(), desk.web()]
        browser = servers[0].browser()
        status, _, location = browser.post("/login", {"email": "keyholder@example.org", "password": PASSWORD},
                                           page="/login")
        assert status == 303 and location.endswith("/login/verify"), (status, location)
        statuses = []
        for n in range(6):
            browser.base_url = servers[n % 2].base_url  # the same browser, behind a round-robin balancer
            code = pyotp.TOTP(secret).now() if n == 5 else f"{n:06d}"
            statuses.append(browser.post("/login/verify", {"code": code}, page="/login/verify")[0])
        assert statuses == [422] * 5 + [429], statuses
    finally:
        desk.stop()


def test_limits_are_counted_in_the_broker_s_redis_and_never_in_memory_in_production(monkeypatch, tmp_path):
    from workflow.config import ConfigurationError, check_production_safety, from_environment
    from workflow.core.crypto import new_master_key

    monkeypatch.setenv("WORKFLOW_BROKER_URL", "redis://cache.internal:6379/0")
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    monkeypatch.setenv("WORKFLOW_BROKER_URL", "amqp://guest:guest@rabbit.internal:5672//")
    monkeypatch.setenv("WORKFLOW_ENV", "production")
    monkeypatch.setenv("WORKFLOW_SECRET_KEY", "Ks8vQ2mX7pLr4tWz9bNc3yHd6fJg1aEu5iOo0")
    monkeypatch.setenv("WORKFLOW_METRICS_TOKEN", "Tq3nV8cZ1xR6kY4wM9sB2hF7jD5gL0pAe")
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://db.internal/desk")
    monkeypatch.setenv("WORKFLOW_DATA_KEY", new_master_key())
    with pytest.raises(ConfigurationError, match="WORKFLOW_RATELIMIT_STORAGE_URL"):
        check_production_safety(from_environment(str(tmp_path)))
    monkeypatch.setenv("WORKFLOW_RATELIMIT_STORAGE_URL", "redis://cache.internal:6379/2")
    check_production_safety(from_environment(str(tmp_path)))

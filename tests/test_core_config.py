"""Configuration: what the environment says is what the app and its Celery worker run with."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from workflow import ROOT, create_app
from workflow.config import DEFAULT_SECRET_KEY, ConfigurationError, check_production_safety, from_environment
from workflow.core.crypto import new_master_key

SCRAPER_TOKEN = "Ks8vQ2mX7pLr4tWz9bNc3yHd6fJg1aEu5iOo0"  # 37 characters, none repeated more than twice


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("WORKFLOW_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_quick_start_defaults_need_no_server(clean_env, tmp_path):
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'workflow.sqlite'}"
    assert config["CELERY"]["broker_url"] == "filesystem://"
    assert config["CELERY"]["broker_transport_options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert config["SMTP_HOST"] == "127.0.0.1" and config["SMTP_PORT"] == 8025


def test_settings_come_from_prefixed_variables(clean_env, tmp_path):
    clean_env.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://db.internal/desk")
    clean_env.setenv("WORKFLOW_BROKER_URL", "redis://cache.internal:6379/0")
    clean_env.setenv("WORKFLOW_SMTP_HOST", "mail.internal")
    clean_env.setenv("WORKFLOW_SMTP_PORT", "2525")
    clean_env.setenv("WORKFLOW_MAX_UPLOAD_MB", "4")
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.internal/desk"
    assert config["CELERY"]["broker_url"] == "redis://cache.internal:6379/0"
    assert config["CELERY"]["broker_transport_options"]["visibility_timeout"] >= 3600
    assert (config["SMTP_HOST"], config["SMTP_PORT"]) == ("mail.internal", 2525)
    assert config["MAX_UPLOAD_BYTES"] == 4 * 1024 * 1024


def test_a_bad_number_is_a_clear_error(clean_env, tmp_path):
    clean_env.setenv("WORKFLOW_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigurationError, match="WORKFLOW_SMTP_PORT must be a whole number"):
        from_environment(str(tmp_path))


@pytest.mark.parametrize("secret, database, broker, complaint", [
    (DEFAULT_SECRET_KEY, "postgresql+psycopg://db/desk", "redis://r/0", "WORKFLOW_SECRET_KEY is the development key"),
    ("short", "postgresql+psycopg://db/desk", "redis://r/0", "WORKFLOW_SECRET_KEY is 5 characters long"),
    ("", "postgresql+psycopg://db/desk", "redis://r/0", "set WORKFLOW_SECRET_KEY to a random value"),
    (secrets.token_urlsafe(48), "sqlite:////tmp/desk.sqlite", "redis://r/0", "WORKFLOW_DATABASE_URL"),
    (secrets.token_urlsafe(48), "postgresql+psycopg://db/desk", "filesystem://", "WORKFLOW_BROKER_URL"),
])
def test_production_refuses_quick_start_settings(clean_env, secret, database, broker, complaint):
    clean_env.setenv("WORKFLOW_ENV", "production")
    clean_env.setenv("WORKFLOW_SECRET_KEY", secret)
    clean_env.setenv("WORKFLOW_DATABASE_URL", database)
    clean_env.setenv("WORKFLOW_BROKER_URL", broker)
    clean_env.setenv("WORKFLOW_METRICS_TOKEN", SCRAPER_TOKEN)
    with pytest.raises(ConfigurationError, match=complaint):
        create_app()


def _production(clean_env, **settings) -> dict:
    values = {"ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "METRICS_TOKEN": SCRAPER_TOKEN,
              "DATA_KEY": new_master_key(),
              "DATABASE_URL": "postgresql+psycopg://db.internal/desk", "BROKER_URL": "redis://cache.internal:6379/0",
              **settings}
    for name, value in values.items():
        if value is None:
            clean_env.delenv(f"WORKFLOW_{name}", raising=False)
        else:
            clean_env.setenv(f"WORKFLOW_{name}", value)
    return from_environment("/nonexistent-instance")


GUESSABLE = [
    ("a" * 32, "32 times the same letter"),
    ("ab" * 24, "two letters"),
    ("0123456789abcdef" * 2, "a pattern repeated"),
    ("Secret!1" * 5, "a short word repeated"),
    ("abcdefg" * 6, "seven letters over and over"),
]


@pytest.mark.parametrize("key, what", GUESSABLE, ids=[g[1] for g in GUESSABLE])
def test_production_refuses_a_guessable_secret_key_and_says_how_to_make_one(clean_env, key, what):
    config = _production(clean_env, SECRET_KEY=key)
    with pytest.raises(ConfigurationError) as refused:
        check_production_safety(config)
    message = str(refused.value)
    assert "WORKFLOW_SECRET_KEY looks guessable" in message
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in message


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(48), lambda: secrets.token_hex(32),
                                  lambda: secrets.token_hex(16), lambda: secrets.token_urlsafe(24)],
                         ids=["token_urlsafe(48)", "token_hex(32)", "token_hex(16)", "token_urlsafe(24)"])
def test_random_keys_of_the_usual_kinds_are_accepted(clean_env, make):
    for _ in range(200):  # not one draw in 200 is mistaken for a guessable key
        check_production_safety(_production(clean_env, SECRET_KEY=make()))


def test_production_requires_a_strong_metrics_token(clean_env):
    """Without a token /metrics would answer anyone: the outbox's backlog, every endpoint's traffic."""
    with pytest.raises(ConfigurationError, match="set WORKFLOW_METRICS_TOKEN to a random value .*so that /metrics "
                                                 "answers only your scraper"):
        check_production_safety(_production(clean_env, METRICS_TOKEN=None))
    with pytest.raises(ConfigurationError, match="WORKFLOW_METRICS_TOKEN looks guessable"):
        check_production_safety(_production(clean_env, METRICS_TOKEN="metrics" * 6))
    with pytest.raises(ConfigurationError, match="WORKFLOW_METRICS_TOKEN is 12 characters long"):
        check_production_safety(_production(clean_env, METRICS_TOKEN="a-short-one!"))
    check_production_safety(_production(clean_env))
    # In development the quick start needs none of it.
    check_production_safety(_production(clean_env, ENV="development", METRICS_TOKEN=None, SECRET_KEY=None))


@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "production ", "staging", "dev", ""])
def test_an_unknown_environment_is_refused_naming_the_valid_ones(clean_env, tmp_path, value):
    """A misspelt production must not quietly run as development (insecure cookies, no checks)."""
    clean_env.setenv("WORKFLOW_ENV", value)
    with pytest.raises(ConfigurationError) as refused:
        from_environment(str(tmp_path))
    assert str(refused.value) == f"WORKFLOW_ENV must be development or production (in lower case), not {value!r}"


@pytest.mark.parametrize("value", ["development", "production"])
def test_the_known_environments_are_taken_as_they_are(clean_env, tmp_path, value):
    clean_env.setenv("WORKFLOW_ENV", value)
    config = from_environment(str(tmp_path))
    assert config["WORKFLOW_ENV"] == value
    assert config["SESSION_COOKIE_SECURE"] is (value == "production")
    clean_env.delenv("WORKFLOW_ENV")
    assert from_environment(str(tmp_path))["WORKFLOW_ENV"] == "development"


def test_production_starts_with_safe_settings(clean_env):
    clean_env.setenv("WORKFLOW_ENV", "production")
    clean_env.setenv("WORKFLOW_SECRET_KEY", secrets.token_urlsafe(48))
    clean_env.setenv("WORKFLOW_METRICS_TOKEN", SCRAPER_TOKEN)
    clean_env.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    clean_env.setenv("WORKFLOW_BROKER_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("WORKFLOW_DATA_KEY", new_master_key())
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    # /metrics, started this way, does not answer anonymously.
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer not-the-token"}).status_code == 401


def test_production_refusal_is_loud_on_the_command_line(clean_env):
    env = {"WORKFLOW_ENV": "production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import celery_worker"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr


def test_celery_settings_are_real_settings(app):
    """Every key we set is one Celery knows (a misspelt key would silently do nothing): checked against Celery's own
    table of settings, since any key once set is "in" the configuration."""
    from celery.app.defaults import DEFAULTS

    celery = app.extensions["celery"]
    assert "always_eager" not in DEFAULTS and "task_always_eager" in DEFAULTS  # the table is the one meant
    for key, value in app.config["CELERY"].items():
        assert key in DEFAULTS, f"{key} is not a Celery setting"
        assert celery.conf[key] == value
    assert celery.conf.task_acks_late is True
    assert celery.conf.task_reject_on_worker_lost is True
    assert celery.conf.worker_prefetch_multiplier == 1
    task = celery.tasks["notifications.deliver"]
    assert task.acks_late is True
    sweep = celery.conf.beat_schedule["sweep-outbox"]
    assert sweep["task"] == "notifications.sweep" and sweep["task"] in celery.tasks
    assert sweep["schedule"] == 60


@pytest.mark.worker
def test_the_running_worker_has_our_settings(app, worker):
    """Ask the live worker process for its configuration over the broker."""
    celery = app.extensions["celery"]
    inspect = celery.control.inspect(destination=[worker.hostname], timeout=10, limit=1)
    replies = inspect.conf()
    assert replies, "the worker did not answer"
    conf = replies[worker.hostname]
    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is True
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["task_default_queue"] == app.config["CELERY"]["task_default_queue"]
    registered = inspect.registered()[worker.hostname]
    assert "notifications.deliver" in registered

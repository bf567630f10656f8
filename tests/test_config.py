"""Configuration: what the environment says is what the app and its Celery worker run with."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workflow import ROOT, create_app
from workflow.config import DEFAULT_SECRET_KEY, ConfigurationError, from_environment


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
    (DEFAULT_SECRET_KEY, "postgresql+psycopg://db/desk", "redis://r/0", "WORKFLOW_SECRET_KEY"),
    ("short", "postgresql+psycopg://db/desk", "redis://r/0", "WORKFLOW_SECRET_KEY"),
    ("x" * 40, "sqlite:////tmp/desk.sqlite", "redis://r/0", "WORKFLOW_DATABASE_URL"),
    ("x" * 40, "postgresql+psycopg://db/desk", "filesystem://", "WORKFLOW_BROKER_URL"),
])
def test_production_refuses_quick_start_settings(clean_env, secret, database, broker, complaint):
    clean_env.setenv("WORKFLOW_ENV", "production")
    clean_env.setenv("WORKFLOW_SECRET_KEY", secret)
    clean_env.setenv("WORKFLOW_DATABASE_URL", database)
    clean_env.setenv("WORKFLOW_BROKER_URL", broker)
    with pytest.raises(ConfigurationError, match=complaint):
        create_app()


def test_production_starts_with_safe_settings(clean_env):
    clean_env.setenv("WORKFLOW_ENV", "production")
    clean_env.setenv("WORKFLOW_SECRET_KEY", "y" * 48)
    clean_env.setenv("WORKFLOW_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    clean_env.setenv("WORKFLOW_BROKER_URL", "redis://127.0.0.1:6379/0")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


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

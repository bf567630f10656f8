"""Configuration read from the environment.

Every setting has the prefix ``WORKFLOW_``. Defaults give the embedded quick start: SQLite for data, a
filesystem broker for Celery, mail to a local catcher. Production (``WORKFLOW_ENV=production``) refuses to
start with a guessable secret key, a SQLite database, or ``/metrics`` open to anyone. Any other value of
``WORKFLOW_ENV`` than the two below is refused: a misspelt "Production" must not run as development.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

from celery.schedules import crontab

PREFIX = "WORKFLOW_"
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"
ENVIRONMENTS = ("development", "production")
# A secret must be long, and look random: at least this many distinct characters and this many bits by a
# Shannon estimate over its own characters. secrets.token_hex(16), the weakest random key we would still take,
# scores about 93 bits at worst in 100,000 draws; "a" * 32 scores 0, and a key that repeats itself is refused.
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 8
SECRET_MIN_BITS = 90
LANGUAGE_CODES = ("en", "ar")  # the catalogues the desk has (workflow/core/i18n.py names them)
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class ConfigurationError(RuntimeError):
    """A setting makes the service unsafe or unable to run; the message says which and how to fix it."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{PREFIX}{name} must be a whole number, not {value!r}") from exc


def _language(name: str, default: str) -> str:
    value = (_env(name) or default).strip()
    if value not in LANGUAGE_CODES:
        raise ConfigurationError(f"{PREFIX}{name} must be one of {', '.join(LANGUAGE_CODES)}, not {value!r}")
    return value


def _time_zone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only here: a zone named in the environment

    value = (_env(name) or default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"{PREFIX}{name} must be a time zone of the IANA database such as "
                                 f"Asia/Beirut or UTC, not {value!r}") from exc
    return value


def _env_days(name: str, default: int) -> int:
    """A number of days that must be a positive whole number: a period of 0 would erase at once what it keeps."""
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    try:
        days = int(value.strip())
    except ValueError:
        days = 0
    if days < 1:
        raise ConfigurationError(f"{PREFIX}{name} must be a whole number of days, 1 or more (default {default}), "
                                 f"not {value!r}")
    return days


def _digest_hour() -> int:
    hour = _env_int("DIGEST_HOUR", 6)
    if not 0 <= hour <= 23:
        raise ConfigurationError(f"{PREFIX}DIGEST_HOUR must be an hour of the day (UTC) from 0 to 23, not {hour}")
    return hour


def _session_lifetimes() -> dict[str, tuple[int, int]]:
    """Each kind of session's idle and absolute lifetimes, in minutes (ASVS 5.0 7.3.1, 7.3.2): staff, whose
    accounts see every contributor, sooner than contributors; "Keep me signed in" longer than a plain session."""
    lifetimes = {
        "session": (_env_int("SESSION_IDLE_MINUTES", 180), _env_int("SESSION_HOURS", 24) * 60),
        "staff_session": (_env_int("STAFF_SESSION_IDLE_MINUTES", 60), _env_int("STAFF_SESSION_HOURS", 12) * 60),
        "remembered": (_env_int("REMEMBER_IDLE_DAYS", 14) * 1440, _env_int("REMEMBER_DAYS", 30) * 1440),
        "staff_remembered": (_env_int("STAFF_REMEMBER_IDLE_DAYS", 3) * 1440, _env_int("STAFF_REMEMBER_DAYS", 7) * 1440),
    }
    for kind, (idle, absolute) in lifetimes.items():
        if not 0 < idle <= absolute:
            raise ConfigurationError(f"a {kind.replace('_', ' ')}'s idle timeout ({idle} minutes) must be positive "
                                     f"and no longer than its whole life ({absolute} minutes)")
    return lifetimes


def _log_format(env: str) -> str:
    fmt = (_env("LOG_FORMAT") or ("json" if env == "production" else "console")).strip().lower()
    if fmt not in ("json", "console"):
        raise ConfigurationError(f"{PREFIX}LOG_FORMAT must be json or console, not {fmt!r}")
    return fmt


def _second_factor_policy() -> str:
    policy = (_env("REQUIRE_SECOND_FACTOR") or "staff").strip().lower()
    if policy not in ("staff", "all", "none"):
        raise ConfigurationError(f"{PREFIX}REQUIRE_SECOND_FACTOR must be staff, all or none, not {policy!r}")
    return policy


def _environment() -> str:
    """``development`` (the default) or ``production``, exactly: anything else is refused rather than guessed."""
    env = _env("ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"{PREFIX}ENV must be {' or '.join(ENVIRONMENTS)} (in lower case), not {env!r}")
    return env


# How a process that publishes (a web request, beat, a task scheduling a retry) connects to the broker: one try,
# and no pause after it (kombu's default pause is 2 s, whatever max_retries says). If the broker is down the
# outbox keeps the row and the sweeper hands it over later. A worker's own connection, which it keeps, is
# retried by its consumer (workflow.core.celery.Consumer).
ONE_QUICK_TRY = {"max_retries": 0, "interval_start": 0}


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from ``WORKFLOW_*`` variables, with quick-start defaults."""
    instance = Path(instance_path)
    env = _environment()
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'workflow.sqlite'}"
    broker_url = _env("BROKER_URL") or "filesystem://"
    broker_folder = Path(_env("BROKER_FOLDER") or instance / "broker")
    upload_dir = _env("UPLOAD_DIR") or str(instance / "uploads")
    desk_metrics_refresh = _env_int("DESK_METRICS_REFRESH_SECONDS", 300)
    session_lifetimes = _session_lifetimes()
    limits_url = _env("RATELIMIT_STORAGE_URL") or (
        broker_url if broker_url.startswith(("redis://", "rediss://")) else "memory://")

    sweep_seconds = float(_env_int("OUTBOX_SWEEP_SECONDS", 60))  # beat's sweeps: the outbox, photos, resets
    celery: dict = {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "task_default_queue": _env("QUEUE", "workflow"),
        # A request must never hang on a dead broker: one quick try, then the outbox keeps the row.
        "broker_connection_timeout": 1,
        "broker_connection_retry_on_startup": True,
        # A worker that lost the broker tries again every second (Celery's own pause grows by 2 s a try, up to
        # 30 s, so mail resumed long after the broker did), for about an hour before it exits.
        "broker_connection_max_retries": 3600,
        "worker_consumer": "workflow.core.celery:Consumer",
        "beat_scheduler": "workflow.core.celery:Scheduler",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Delivering mail mostly waits (on the mail server, on the database's commit): two processes per CPU
        # keep the CPUs busy. bench/notifications.py measures it.
        "worker_concurrency": _env_int("WORKER_CONCURRENCY", 2 * (os.cpu_count() or 1)),
        "worker_hijack_root_logger": False,
        # The sweeper hands the workers whatever the outbox still holds (a lost enqueue, a lost task).
        "beat_schedule": {
            "sweep-outbox": {"task": "notifications.sweep", "schedule": sweep_seconds},
            # Deadline reminders (each sent once per submission and deadline, however often this runs).
            "send-reminders": {"task": "notifications.send_reminders", "schedule": 15 * 60.0},
            # The daily digest, at WORKFLOW_DIGEST_HOUR (UTC); a second run the same day sends nothing.
            "send-digests": {"task": "notifications.send_digests",
                             "schedule": crontab(minute=0, hour=_digest_hour())},
            # Stories an editor scheduled: published when their time comes (each once).
            "publish-scheduled": {"task": "articles.publish_scheduled", "schedule": 60.0},
            # Story photos whose task was lost (the broker was down at the upload, a worker died on them).
            "sweep-images": {"task": "articles.sweep_images",
                             "schedule": sweep_seconds},
            # Password reset requests that no worker took (the broker was down when they came).
            "sweep-reset-requests": {"task": "auth.sweep_reset_requests",
                                     "schedule": sweep_seconds},
            # Sessions past their life are deleted (each request checks its own anyway).
            "forget-expired-sessions": {"task": "auth.forget_expired_sessions", "schedule": 3600.0},
            # The desk metrics page's figures, worked out ahead so the page costs one read at any size.
            "refresh-desk-metrics": {"task": "submissions.refresh_desk_metrics",
                                     "schedule": float(desk_metrics_refresh)},
            # Data that expires (workflow/privacy/expiry.py), once a day: declined and withdrawn pitches' private
            # text and files, the mail servers' replies in the delivery ledger, read in-app notifications. Each
            # run does what is due and nothing twice.
            "expire-private-text": {"task": "privacy.expire_private_text",
                                    "schedule": crontab(minute=20, hour=3)},
            "expire-ledger-replies": {"task": "privacy.expire_ledger_replies",
                                      "schedule": crontab(minute=30, hour=3)},
            "expire-read-notifications": {"task": "privacy.expire_read_notifications",
                                          "schedule": crontab(minute=40, hour=3)},
            # The weekly newsletter, on WORKFLOW_NEWSLETTER_WEEKDAY at WORKFLOW_NEWSLETTER_HOUR (UTC); a second
            # run the same week sends nothing.
            "send-newsletter": {"task": "newsletter.send_weekly",
                                "schedule": crontab(minute=0, hour=_env_int("NEWSLETTER_HOUR", 7),
                                                    day_of_week=_env("NEWSLETTER_WEEKDAY", "fri"))},
        },
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
    }
    if broker_url.startswith("filesystem://"):
        celery["broker_transport_options"] = {
            "data_folder_in": str(broker_folder / "queue"),
            "data_folder_out": str(broker_folder / "queue"),
            "control_folder": str(broker_folder / "control"),
            "processed_folder": str(broker_folder / "processed"),
            "store_processed": False,
            "polling_interval": 0.2,
        }
    elif broker_url.startswith(("redis://", "rediss://")):
        celery["broker_transport_options"] = {
            # Above the longest retry countdown, so an unacknowledged task is not redelivered while it waits.
            "visibility_timeout": 3 * 3600,
            **ONE_QUICK_TRY,
            "socket_connect_timeout": 1,
            "socket_timeout": 5,
        }
    else:  # RabbitMQ (amqp://): its connect timeout is broker_connection_timeout
        celery["broker_transport_options"] = dict(ONE_QUICK_TRY)

    return {
        "WORKFLOW_ENV": env,
        "SECRET_KEY": _env("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "CELERY": celery,
        "BROKER_FOLDER": str(broker_folder),
        "UPLOAD_DIR": upload_dir,
        # Private data at rest (workflow/core/crypto.py): the master key, older ones while `keys rotate` moves
        # their data keys over, and the key store (a folder shared by web servers and workers, like the
        # uploads, and backed up apart from the database). The quick start makes its key under instance/.
        "DATA_KEY": _env("DATA_KEY", ""),
        "DATA_KEY_FILE": _env("DATA_KEY_FILE", ""),
        "DATA_KEYS_RETIRED": _env("DATA_KEYS_RETIRED", ""),
        "KEY_DIR": _env("KEY_DIR") or str(instance / "keys"),
        "MAX_UPLOAD_BYTES": _env_int("MAX_UPLOAD_MB", 10) * 1024 * 1024,
        # The whole request body: a few attachments at the per-file cap, plus the form.
        "MAX_CONTENT_LENGTH": (_env_int("MAX_UPLOAD_MB", 10) * 3 + 1) * 1024 * 1024,
        "BASE_URL": (_env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        # Hosts besides the desk's own that the desk's wording of an email may link to (none by default).
        "EMAIL_LINK_HOSTS": tuple(host.lower() for host in (_env("EMAIL_LINK_HOSTS") or "").replace(",", " ").split()),
        "OUTLET_NAME": _env("OUTLET_NAME", "Frontline Deeply"),
        # The language a visitor whose browser asks for none we speak gets, and a new person's until they choose.
        "DEFAULT_LOCALE": _language("DEFAULT_LOCALE", "en"),
        # The desk's time zone: deadlines are days in it, and it is a new person's until they choose their own.
        "TIME_ZONE": _time_zone("TIME_ZONE", "UTC"),
        "MAIL_FROM": _env("MAIL_FROM", "Frontline Deeply desk <desk@localhost>"),
        "SMTP_HOST": _env("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": _env_int("SMTP_PORT", 8025),
        "SMTP_USERNAME": _env("SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "SMTP_SSL": _env_bool("SMTP_SSL", False),
        "SMTP_TIMEOUT": _env_int("SMTP_TIMEOUT", 10),
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 10),
        "MAIL_RETRY_BASE_SECONDS": _env_int("MAIL_RETRY_BASE_SECONDS", 5),
        "OUTBOX_GRACE_SECONDS": _env_int("OUTBOX_GRACE_SECONDS", 30),
        # How long a worker holds a notification while sending it; keep it well above SMTP_TIMEOUT.
        "DELIVERY_LEASE_SECONDS": _env_int("DELIVERY_LEASE_SECONDS", 300),
        "CONFIRM_MAX_AGE": _env_int("CONFIRM_MAX_AGE_HOURS", 72) * 3600,
        "RESET_MAX_AGE": _env_int("RESET_MAX_AGE_HOURS", 2) * 3600,
        "INVITE_MAX_AGE": _env_int("INVITE_MAX_AGE_HOURS", 7 * 24) * 3600,
        "QUEUE_PAGE_SIZE": _env_int("QUEUE_PAGE_SIZE", 50),
        "DESK_METRICS_REFRESH_SECONDS": desk_metrics_refresh,
        "DIGEST_HOUR": _digest_hour(),
        # Story images: the largest upload accepted, the most pixels decoded (a decompression bomb is refused
        # before its pixels are read), and the widths served to readers with srcset.
        "MAX_IMAGE_BYTES": _env_int("MAX_IMAGE_MB", 15) * 1024 * 1024,
        "MAX_IMAGE_PIXELS": _env_int("MAX_IMAGE_MEGAPIXELS", 40) * 1_000_000,
        "IMAGE_WIDTHS": (480, 800, 1200, 1600),
        # The Celery queue of the photos' preparation (decoding takes seconds and hundreds of megabytes): empty, the
        # queue of everything else; named, a worker of its own with few processes (-Q) keeps memory in hand.
        "IMAGE_QUEUE": _env("IMAGE_QUEUE", ""),
        "NEWSLETTER_HOUR": _env_int("NEWSLETTER_HOUR", 7),
        "NEWSLETTER_WEEKDAY": _env("NEWSLETTER_WEEKDAY", "fri"),
        # Addresses that never confirmed their subscription are forgotten after this many days.
        "NEWSLETTER_PENDING_DAYS": _env_int("NEWSLETTER_PENDING_DAYS", 7),
        # The desk answers every pitch within this many days; the dashboard and the queue say so.
        "RESPONSE_PROMISE_DAYS": _env_int("RESPONSE_PROMISE_DAYS", 5),
        # How long the desk keeps what expires, in days (workflow/privacy/expiry.py; the guidelines page says so):
        # a declined or withdrawn pitch's private text and files after the decision, the mail servers' replies in
        # the delivery ledger, and in-app notifications once read.
        "RETENTION_DAYS": _env_days("RETENTION_DAYS", 180),
        "LEDGER_REPLY_DAYS": _env_days("LEDGER_REPLY_DAYS", 90),
        "READ_NOTIFICATION_DAYS": _env_days("READ_NOTIFICATION_DAYS", 365),
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("ARGON2_MEMORY_COST", 65536),
        # Who must have a second factor (an authenticator app) to sign in: staff (editors and admins), all, none.
        "REQUIRE_SECOND_FACTOR": _second_factor_policy(),
        # How an authenticator app names the account: the issuer alone by default, never the person's address.
        "TOTP_ISSUER": _env("TOTP_ISSUER") or _env("OUTLET_NAME", "Frontline Deeply"),
        "TOTP_ACCOUNT_NAME": _env("TOTP_ACCOUNT_NAME", "desk"),
        # What matters (email, password, factors, data, admins' changes to people) asks for the password and the
        # second factor again when the last proof in the session is older than this.
        "FRESH_PROOF_SECONDS": _env_int("FRESH_PROOF_MINUTES", 10) * 60,
        # Between the password and the second step of a sign-in, at most this long.
        "SECOND_STEP_SECONDS": _env_int("SECOND_STEP_SECONDS", 300),
        # Idle and absolute lifetimes of sessions, in minutes, by kind (the server ends them; the cookies only carry
        # the session's key).
        "SESSION_LIFETIMES": session_lifetimes,
        "REMEMBER_COOKIE_DURATION": max(session_lifetimes["remembered"][1],
                                        session_lifetimes["staff_remembered"][1]) * 60,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        # Rate limits: counted where every web process sees them (Redis: the broker's, unless told otherwise).
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": limits_url,
        # The store's own key prefix: installations (or test runs) sharing one Redis count apart.
        # A store that does not answer costs a request one quick try, not the operating system's TCP timeout.
        "RATELIMIT_STORAGE_OPTIONS": ({"key_prefix": _env("RATELIMIT_KEY_PREFIX", "workflow-limits"),
                                       "socket_connect_timeout": 1, "socket_timeout": 1}
                                      if limits_url.startswith(("redis://", "rediss://")) else {}),
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A broken limit store must not take the site down: each web process counts in its own memory meanwhile
        # (the outage and the recovery are logged once each), and tries the store again after 2, 4, 8 ... s.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Load balancers in front of the web processes: how many set X-Forwarded-For (and -Proto) for us.
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        # One JSON object a line for a log collector (production's default), or readable lines (the quick start).
        "LOG_FORMAT": _log_format(env),
        # /metrics answers only a scraper that sends "Authorization: Bearer <token>" when this is set.
        "METRICS_TOKEN": _env("METRICS_TOKEN", ""),
    }


def engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        # Several processes (web, worker) share one file: wait for a lock instead of failing at once.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}


def estimated_bits(secret: str) -> float:
    """A rough upper bound of a secret's entropy: its length times the Shannon entropy of its own characters."""
    counts, length = Counter(secret), len(secret)
    return -length * sum(n / length * math.log2(n / length) for n in counts.values()) if secret else 0.0


def secret_problem(name: str, secret: str | None) -> str | None:
    """What is wrong with a secret setting (``None`` if it looks random enough), as an instruction."""
    how = f"make one with {MAKE_A_SECRET}"
    if not secret:
        return f"set {PREFIX}{name} to a random value ({how})"
    if secret == DEFAULT_SECRET_KEY:
        return f"{PREFIX}{name} is the development key: set a random value ({how})"
    if len(secret) < SECRET_MIN_LENGTH:
        return f"{PREFIX}{name} is {len(secret)} characters long: use at least {SECRET_MIN_LENGTH} random ones ({how})"
    repeats = (secret + secret).find(secret, 1) < len(secret)
    if repeats or len(set(secret)) < SECRET_MIN_DISTINCT or estimated_bits(secret) < SECRET_MIN_BITS:
        return f"{PREFIX}{name} looks guessable (too few different characters, or a pattern): {how}"
    return None


def check_production_safety(config: dict) -> None:
    """Refuse to run in production with settings that are only safe for the quick start."""
    if config.get("WORKFLOW_ENV") != "production":
        return
    problems = []
    for name in ("SECRET_KEY", "METRICS_TOKEN"):
        problem = secret_problem(name, config.get(name))
        if problem and name == "METRICS_TOKEN" and not config.get(name):
            problem += ", so that /metrics answers only your scraper (it sends Authorization: Bearer <token>)"
        if problem:
            problems.append(problem)
    if not config.get("DATA_KEY") and not config.get("DATA_KEY_FILE"):
        problems.append(f"set {PREFIX}DATA_KEY (or {PREFIX}DATA_KEY_FILE) to the master key that protects private "
                        "data (make one with: flask --app workflow keys new-master)")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append(f"set {PREFIX}DATABASE_URL to a PostgreSQL database (SQLite is for the quick start only)")
    if str(config.get("CELERY", {}).get("broker_url", "")).startswith(("filesystem://", "memory://")):
        problems.append(f"set {PREFIX}BROKER_URL to Redis or RabbitMQ (the filesystem broker is for one machine)")
    if config.get("RATELIMIT_ENABLED") and str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        problems.append(f"set {PREFIX}RATELIMIT_STORAGE_URL to Redis (limits in memory do not hold across web "
                        "processes)")
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems) + ".")

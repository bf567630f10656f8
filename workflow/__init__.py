"""The contributor desk: pitches, the editorial workflow, and the notifications around them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the web app (and its Celery instance). ``config`` overrides what the environment says."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"),
                static_folder="static")
    load_config(app, config)
    configure_logging(app)
    register_extensions(app)
    register_tasks()
    register_url_converters(app)
    register_blueprints(app)
    connect_features()
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_config(app: Flask, overrides: dict | None) -> None:
    from workflow.config import check_production_safety, engine_options, from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if overrides:
        for key, value in overrides.items():
            if key == "CELERY":
                app.config["CELERY"] = {**app.config["CELERY"], **value}
            else:
                app.config[key] = value
        if "SQLALCHEMY_DATABASE_URI" in overrides and "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(overrides["SQLALCHEMY_DATABASE_URI"])
    check_production_safety(app.config)
    os.makedirs(app.instance_path, exist_ok=True)


def configure_logging(app: Flask) -> None:
    """JSON lines in production, readable ones in the quick start; each carries the request (or task) it came
    from, and no token from an emailed link (workflow/core/logs.py)."""
    from workflow.core import logs

    level = app.config["LOG_LEVEL"]
    logs.configure(level, app.config["LOG_FORMAT"])
    logging.getLogger("workflow").setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logs.init_app(app)


def register_extensions(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from workflow.core import (  # noqa: F401 (database: hooks)
        celery,
        crypto,
        database,
        form_input,
        language,
        metrics,
        security,
        transaction,
    )
    from workflow.extensions import csrf, db, limiter, login_manager, migrate

    if app.config["PROXY_HOPS"]:  # the client's address and scheme as the load balancer saw them
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    transaction.init_app(app)
    security.init_app(app)
    form_input.init_app(app)
    celery.init_app(app)
    metrics.init_app(app)
    crypto.init_app(app)
    language.init_app(app)

    from workflow.auth.signin import load_signed_in_user
    from workflow.notifications.metrics import OutboxCollector

    metrics.register_collector(OutboxCollector())
    login_manager.user_loader(load_signed_in_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str  # the flash keeps the words in the reader's language, not a lazy string
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def register_tasks() -> None:
    """Import the task modules, so that the worker (and ``delay`` in the web process) knows every task."""
    import workflow.articles.tasks  # noqa: F401
    import workflow.auth.tasks  # noqa: F401
    import workflow.newsletter.tasks  # noqa: F401
    import workflow.notifications.schedule_tasks  # noqa: F401
    import workflow.notifications.tasks  # noqa: F401
    import workflow.privacy.tasks  # noqa: F401
    import workflow.reminders.tasks  # noqa: F401
    import workflow.submissions.tasks  # noqa: F401


def register_url_converters(app: Flask) -> None:
    """Before any route is added: path arguments the database cannot take match no route."""
    from workflow.core.converters import init_app

    init_app(app)


def register_blueprints(app: Flask) -> None:
    from workflow.admin import bp as admin_bp
    from workflow.articles.editorial_views import bp as editorial_bp
    from workflow.articles.media import bp as media_bp
    from workflow.articles.pages import bp as pages_bp
    from workflow.articles.views import bp as articles_bp
    from workflow.auth.second_factor_views import bp as second_factor_bp
    from workflow.auth.views import bp as auth_bp
    from workflow.core.health import bp as health_bp
    from workflow.core.language import bp as language_bp
    from workflow.newsletter.views import bp as newsletter_bp
    from workflow.notifications.views import bp as notifications_bp
    from workflow.privacy.views import bp as privacy_bp
    from workflow.submissions.views import bp as submissions_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(second_factor_bp)
    app.register_blueprint(submissions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(articles_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(editorial_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(newsletter_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(language_bp)


def connect_features() -> None:
    """Where a feature lends a hand to one below it, which knows nothing of it: the links that emails carry
    (from the features that own their tokens), the panels of the submission page, and publishing's steps."""
    from workflow.articles import panels as articles_panels
    from workflow.articles import services as articles
    from workflow.auth.services import add_email_links as account_links
    from workflow.newsletter.services import add_email_links as newsletter_links
    from workflow.submissions import page as submission_page
    from workflow.submissions import services as submissions

    account_links()
    newsletter_links()
    submission_page.add_panels(articles_panels.for_submission_page)
    submissions.add_publishing_step(articles.give_address)


def register_errorhandlers(app: Flask) -> None:
    from workflow.core.errorpages import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from workflow.articles import templating as articles_templating
    from workflow.core import templating
    from workflow.notifications import templating as notifications_templating

    templating.init_app(app)
    articles_templating.init_app(app)
    notifications_templating.init_app(app)


def register_commands(app: Flask) -> None:
    from workflow.articles.cli import articles
    from workflow.auth.cli import users
    from workflow.bench.cli import bench
    from workflow.demo.cli import demo
    from workflow.newsletter.cli import newsletter
    from workflow.notifications.cli import notifications
    from workflow.privacy.cli import data
    from workflow.privacy.keys import keys
    from workflow.reminders.cli import digest, reminders
    from workflow.submissions.cli import files

    app.cli.add_command(users)
    app.cli.add_command(demo)
    notifications.add_command(reminders)
    notifications.add_command(digest)
    app.cli.add_command(notifications)
    app.cli.add_command(articles)
    app.cli.add_command(newsletter)
    app.cli.add_command(bench)
    app.cli.add_command(files)
    app.cli.add_command(keys)
    app.cli.add_command(data)

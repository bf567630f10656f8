"""Migrations: one head, they build a fresh database, and they match the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from workflow.core.models import include_object
from workflow.extensions import db


def test_single_head(app):
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


def test_models_match_migrations(app):
    """Autogenerate finds nothing to add: the migrations describe exactly the models."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": include_object, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_tables_and_constraints_exist(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        assert {"users", "submissions", "revisions", "messages", "audit_entries", "attachments",
                "notifications", "saved_views", "invitations"} <= set(inspector.get_table_names())
        checks = {c["name"] for c in inspector.get_check_constraints("submissions")}
        assert "ck_submissions_commissioned_has_editor" in checks
        assert "ck_submissions_published_has_time_and_slug" in checks
        if db.engine.dialect.name == "postgresql":
            indexes = {i["name"] for i in inspector.get_indexes("submissions")}
            assert "ix_submissions_search" in indexes


@pytest.mark.slow
def test_downgrade_and_upgrade_again(app, clean_db):
    with app.app_context():
        downgrade(revision="base")
        assert "submissions" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert "submissions" in sa.inspect(db.engine).get_table_names()

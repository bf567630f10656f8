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


@pytest.mark.slow
def test_the_last_activity_s_sentences_become_codes_and_back(app, clean_db, factory):
    """The stories' last activity, stored as English sentences before it was kept as codes, becomes the codes
    they say; and going back writes the sentences again, with the names."""
    from workflow.submissions.models import Submission

    rana = factory.user("contributor", name="Rana Reporter")
    edna = factory.user("editor", name="Edna Editor")
    pitched = factory.submission(rana).id
    assigned = factory.submission(rana, state="assigned", editor=edna, with_draft=False).id
    with app.app_context():
        codes = dict(db.session.execute(sa.select(Submission.id, Submission.last_activity)).all())
        assert codes == {pitched: "pitched", assigned: "done:assigned-the-story"}
        db.session.remove()

        downgrade(revision="c7d2f9a41e60")
        with db.engine.connect() as connection:
            sentences = dict(connection.execute(sa.text("SELECT id, last_activity FROM submissions")).all())
        assert sentences == {pitched: "Rana Reporter pitched the story", assigned: "Edna Editor assigned the story"}
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE submissions SET last_activity = :text WHERE id = :id"),
                               {"text": "Edna Editor scheduled publication for 07 Dec 2026, 10:00 UTC",
                                "id": assigned})

        upgrade()
        assert dict(db.session.execute(sa.select(Submission.id, Submission.last_activity)).all()) == {
            pitched: "pitched", assigned: "scheduled:2026-12-07T10:00+00:00"}

"""One commit per request (workflow/core/transaction.py), seen from the database: a GET never changes
anything, even if its code tries; a POST that succeeds commits, one that is refused commits nothing.

Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import abort

from tests.helpers import signed_in
from workflow.extensions import csrf, db
from workflow.people.models import User


@pytest.fixture
def own_app(app, another_app):
    """The desk on the test's database, new, so the test may add routes to it before its first request."""
    return another_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                        "REQUIRE_SECOND_FACTOR": app.config["REQUIRE_SECOND_FACTOR"]})


def name_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(User.display_name).where(User.id == user_id))


def test_a_get_that_writes_is_rolled_back_and_logged(own_app, factory, caplog):
    app = own_app
    person = factory.user("editor", name="Dana Editor")

    @app.get("/_test/rename-by-orm")
    def rename_by_orm():
        db.session.get(User, person.id).display_name = "Renamed by a GET"
        db.session.flush()
        return "renamed"

    @app.get("/_test/rename-by-update")
    def rename_by_update():
        db.session.execute(sa.update(User).where(User.id == person.id).values(display_name="Renamed by UPDATE"))
        return "renamed"

    client = signed_in(app, person)
    with caplog.at_level(logging.WARNING, logger="workflow.core.transaction"):
        assert client.get("/_test/rename-by-orm").status_code == 200
        assert client.get("/_test/rename-by-update").status_code == 200
    assert name_of(app, person.id) == "Dana Editor"
    assert [r.getMessage() for r in caplog.records if r.name == "workflow.core.transaction"] == [
        "GET /_test/rename-by-orm wrote to the database: rolled back (a GET must not change anything)",
        "GET /_test/rename-by-update wrote to the database: rolled back (a GET must not change anything)"]
    # Reading still works on the same connections afterwards, and reads commit nothing of their own.
    assert "Dana Editor" in client.get("/queue").get_data(as_text=True)


def test_a_post_commits_when_it_succeeds_and_not_when_it_is_refused(own_app, factory):
    app = own_app
    person = factory.user("editor", name="Dana Editor")

    @app.post("/_test/rename/<int:status>")
    @csrf.exempt
    def rename(status: int):
        db.session.get(User, person.id).display_name = f"Renamed ({status})"
        db.session.flush()
        if status >= 400:
            abort(status)
        return "renamed", status

    client = signed_in(app, person)
    assert client.post("/_test/rename/422", csrf=False).status_code == 422
    assert name_of(app, person.id) == "Dana Editor"
    assert client.post("/_test/rename/303", csrf=False).status_code == 303
    assert name_of(app, person.id) == "Renamed (303)"

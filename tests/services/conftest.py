"""Fixtures of the service-level tests: the domain services called directly inside an app context, no HTTP.

These tests are the fast layer: they run first (``tests/services/`` sorts before the ``test_*.py`` modules), and
alone with ``pytest -m services`` (each module is marked ``services``). Like every database test they run on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from workflow.extensions import db
from workflow.people.models import Role, User


@pytest.fixture
def session(app, clean_db):
    """The database session of an app context of the test's own. What a service flushes is visible here
    before any commit; the test commits when it means to, whatever it leaves is rolled back, and ``clean_db``
    empties the tables. (Make factory data first: the factory commits in an app context of its own.)"""
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def cast(app, factory):
    """The people of a story: its contributor (``owner``), another contributor, the story's editor, the chief
    editor who moves it, and an admin; made through the real services."""
    people = SimpleNamespace(owner=factory.user("contributor", name="Olga Owner"),
                             other=factory.user("contributor", name="Otto Other"),
                             editor=factory.user("editor", name="Edna Editor"),
                             chief=factory.user("editor", name="Chris Chief"),
                             admin=factory.user("admin", name="Ada Admin"))
    with app.app_context():
        roles = dict(db.session.execute(sa.select(User.display_name, User.role)).all())
        db.session.remove()
    assert roles == {"Olga Owner": Role.CONTRIBUTOR, "Otto Other": Role.CONTRIBUTOR, "Edna Editor": Role.EDITOR,
                     "Chris Chief": Role.EDITOR, "Ada Admin": Role.ADMIN}, roles
    return people

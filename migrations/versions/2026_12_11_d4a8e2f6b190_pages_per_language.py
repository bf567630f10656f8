"""The outlet's pages that admins write are kept per language: the rows there are already are the default
language's, and each language may now have its own.

Revision ID: d4a8e2f6b190
Revises: c2b7d4e1f803
Create Date: 2026-12-11 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'd4a8e2f6b190'
down_revision = 'c2b7d4e1f803'
branch_labels = None
depends_on = None


def _default_language() -> str:
    """The desk's default language (``WORKFLOW_DEFAULT_LOCALE``): the one the pages were written in so far."""
    code = str(current_app.config.get("DEFAULT_LOCALE") or "en")
    return code.replace("_", "-").split("-", 1)[0].lower()


def upgrade():
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    op.execute(sa.text("UPDATE pages SET language = :language").bindparams(language=_default_language()))
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), nullable=False)
        batch_op.drop_constraint('pk_pages', type_='primary')
        batch_op.create_primary_key('pk_pages', ['slug', 'language'])


def downgrade():
    # Only the default language's text fits the old table: the other languages' is dropped.
    op.execute(sa.text("DELETE FROM pages WHERE language <> :language").bindparams(language=_default_language()))
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_constraint('pk_pages', type_='primary')
        batch_op.create_primary_key('pk_pages', ['slug'])
        batch_op.drop_column('language')

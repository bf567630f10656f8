"""The desk's own wording of an email is kept per language: the rows there are already are the default
language's (English), and each language may now have its own.

Revision ID: b5e0c7a3d914
Revises: 381f38a5e848
Create Date: 2026-12-09 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5e0c7a3d914'
down_revision = '381f38a5e848'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en', nullable=False))
        batch_op.drop_constraint('pk_email_templates', type_='primary')
        batch_op.create_primary_key('pk_email_templates', ['event', 'language'])


def downgrade():
    # Only the default language's wording fits the old table: the other languages' is dropped.
    op.execute(sa.text("DELETE FROM email_templates WHERE language <> 'en'"))
    with op.batch_alter_table('email_templates', schema=None) as batch_op:
        batch_op.drop_constraint('pk_email_templates', type_='primary')
        batch_op.create_primary_key('pk_email_templates', ['event'])
        batch_op.drop_column('language')

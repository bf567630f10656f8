"""Attachments say whether their metadata was removed: every file is cleaned at intake from now on; the files
stored before are not, until ``flask files clean-metadata`` has cleaned them.

Revision ID: b5d1c9e4a7f2
Revises: e172ff5a18a0
Create Date: 2026-12-06 17:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5d1c9e4a7f2'
down_revision = 'e172ff5a18a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metadata_removed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('metadata_removed')

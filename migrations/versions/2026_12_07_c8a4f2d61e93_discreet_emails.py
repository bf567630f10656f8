"""Discreet emails: a person may choose emails that name no story, no person and nothing anyone wrote. On for
every contributor (the default for contributors from now on), off for the desk, who may turn it on.

Revision ID: c8a4f2d61e93
Revises: f4a2c6e81b39
Create Date: 2026-12-07 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8a4f2d61e93'
down_revision = 'f4a2c6e81b39'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discreet_emails', sa.Boolean(), server_default=sa.false(), nullable=False))
    users = sa.table('users', sa.column('role', sa.String), sa.column('discreet_emails', sa.Boolean))
    op.execute(users.update().where(users.c.role == 'contributor').values(discreet_emails=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('discreet_emails')

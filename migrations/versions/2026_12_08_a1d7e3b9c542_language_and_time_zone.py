"""A person's language and time zone: the desk speaks to them in it, and gives them times in it. Empty for
everyone until they choose: the desk's defaults apply.

Revision ID: a1d7e3b9c542
Revises: c8a4f2d61e93
Create Date: 2026-12-08 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1d7e3b9c542'
down_revision = 'c8a4f2d61e93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('locale')

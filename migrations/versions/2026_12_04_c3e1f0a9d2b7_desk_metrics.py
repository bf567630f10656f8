"""Desk metrics: an index on audit entries by time (the metrics read one period of the audit trail), and the
table of the figures beat works out ahead for each period.

Revision ID: c3e1f0a9d2b7
Revises: a4c830a7bd06
Create Date: 2026-12-04 18:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3e1f0a9d2b7'
down_revision = 'a4c830a7bd06'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('desk_metrics_snapshots',
                    sa.Column('weeks', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('figures', sa.JSON(), nullable=False),
                    sa.PrimaryKeyConstraint('weeks', name=op.f('pk_desk_metrics_snapshots')))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_created', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_created')
    op.drop_table('desk_metrics_snapshots')

"""Data that expires: a declined or withdrawn pitch remembers when its private text was erased; the desk's own
entries on a submission's timeline (the erasure) have no actor; read notifications are found by when they were
read.

Revision ID: f4a2c6e81b39
Revises: c7e2a9d4f1b3
Create Date: 2026-12-07 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f4a2c6e81b39'
down_revision = 'c7e2a9d4f1b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_text_erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_read', ['read_at'], unique=False,
                              sqlite_where=sa.text('read_at IS NOT NULL'),
                              postgresql_where=sa.text('read_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_read', sqlite_where=sa.text('read_at IS NOT NULL'),
                            postgresql_where=sa.text('read_at IS NOT NULL'))
    # The desk's own entries name no one: they cannot stay once every entry must name its actor.
    op.execute("DELETE FROM audit_entries WHERE actor_id IS NULL")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=False)
    # Not through a batch, which on SQLite would copy the table and lose its state-count triggers (SQLite 3.35
    # and later drop a column in place).
    op.execute("ALTER TABLE submissions DROP COLUMN private_text_erased_at")

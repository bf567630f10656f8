"""Story photos are prepared by a worker: the upload is checked from its header and kept until a worker has made
its copies. Each image has a status (processing, ready, failed), the reason it failed, and when and how often a
worker took it up. The images already stored were prepared in the request: they are ready.

Revision ID: e172ff5a18a0
Revises: d380cb230e06
Create Date: 2026-12-06 15:34:28.355081

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e172ff5a18a0'
down_revision = 'd380cb230e06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('processing', 'ready', 'failed', name='image_status',
                                                        native_enum=False, create_constraint=True, length=20),
                                      server_default='ready', nullable=False))
        batch_op.add_column(sa.Column('problem', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_images_failed_says_why'), "status <> 'failed' OR problem <> ''")
        batch_op.create_index('ix_images_processing', ['created_at'], unique=False,
                              sqlite_where=sa.text("status = 'processing'"),
                              postgresql_where=sa.text("status = 'processing'"))


def downgrade():
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index('ix_images_processing', sqlite_where=sa.text("status = 'processing'"),
                            postgresql_where=sa.text("status = 'processing'"))
        batch_op.drop_constraint(op.f('ck_images_failed_says_why'), type_='check')
        batch_op.drop_constraint(op.f('ck_images_image_status'), type_='check')
        batch_op.drop_column('attempts')
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('problem')
        batch_op.drop_column('status')

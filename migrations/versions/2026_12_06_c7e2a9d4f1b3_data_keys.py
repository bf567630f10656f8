"""Private data sealed at rest: whose data key is which (the keys themselves live in the key store, never in
the database); and a revision's headline and note, an authenticator app's secret and the names of files as
text (a sealed value is longer than the 200, 300, 64 and 255 characters they may be). Values written before
stay readable as they are until ``flask keys seal-existing``.

Revision ID: c7e2a9d4f1b3
Revises: b5d1c9e4a7f2
Create Date: 2026-12-06 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7e2a9d4f1b3'
down_revision = 'b5d1c9e4a7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_keys',
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_data_keys_owner_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('owner_id', name=op.f('pk_data_keys')),
        sa.UniqueConstraint('key_id', name=op.f('uq_data_keys_key_id')),
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.alter_column('headline', existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False)
        batch_op.alter_column('note', existing_type=sa.String(length=300), type_=sa.Text(),
                              existing_nullable=False)
    with op.batch_alter_table('totp_secrets', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
    for table in ('attachments', 'images'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('filename', existing_type=sa.String(length=255), type_=sa.Text(),
                                  existing_nullable=False)


def downgrade():
    for table in ('images', 'attachments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('filename', existing_type=sa.Text(), type_=sa.String(length=255),
                                  existing_nullable=False)
    with op.batch_alter_table('totp_secrets', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.alter_column('note', existing_type=sa.Text(), type_=sa.String(length=300), existing_nullable=False)
        batch_op.alter_column('headline', existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=False)
    op.drop_table('data_keys')

"""The language a story is written in, when an editor chose it, and the story that is its translation.

Revision ID: e3c9a1f07b52
Revises: a1d7e3b9c542
Create Date: 2026-12-09 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e3c9a1f07b52'
down_revision = 'a1d7e3b9c542'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'story_languages',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('translation_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_story_languages_submission_id_submissions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translation_id'], ['submissions.id'],
                                name=op.f('fk_story_languages_translation_id_submissions'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_story_languages')),
    )
    with op.batch_alter_table('story_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_languages_translation_id'), ['translation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('story_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_languages_translation_id'))
    op.drop_table('story_languages')

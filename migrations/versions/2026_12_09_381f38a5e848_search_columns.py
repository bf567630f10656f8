"""The searches find Arabic words however they are written: each story's searched text, normalised (diacritics,
alef and hamza forms, taa marbuta, alef maqsura, tatweel, Arabic-Indic digits, case), in two search columns
(``search_text``: headline and summary, for the queue; ``published_search_text``: the published headline, dek
and body, for readers), filled here for the stories already there, in batches.

PostgreSQL: the searches become substring tests on those columns, served by trigram GIN indexes (pg_trgm,
created here if missing: a trusted extension, which the database's owner may create) under the names of the
full-text indexes they replace.

Revision ID: 381f38a5e848
Revises: e3c9a1f07b52
Create Date: 2026-12-09 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# The application's own normalisation, so that the rows filled here compare with the questions the searches ask
# (a pure module: it imports nothing of the app).
from workflow.core.search_text import joined

# revision identifiers, used by Alembic.
revision = '381f38a5e848'
down_revision = 'e3c9a1f07b52'
branch_labels = None
depends_on = None

BATCH = 500  # stories read and written at a time: a published body can be long

OLD_SEARCH = "to_tsvector('english', headline || ' ' || summary)"
OLD_PUBLISHED_SEARCH = ("to_tsvector('english', coalesce(published_headline, '') || ' ' || "
                        "coalesce(published_dek, '') || ' ' || coalesce(published_body, ''))")


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('published_search_text', sa.Text(), nullable=True))
    fill_search_columns(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("DROP INDEX IF EXISTS ix_submissions_search")
        op.execute("DROP INDEX IF EXISTS ix_submissions_published_search")
        op.execute("CREATE INDEX ix_submissions_search ON submissions USING gin (search_text gin_trgm_ops)")
        op.execute("CREATE INDEX ix_submissions_published_search ON submissions "
                   "USING gin (published_search_text gin_trgm_ops) WHERE state = 'published'")


def fill_search_columns(connection) -> int:
    """Every story's search columns from its fields, BATCH stories at a time in the order of their ids."""
    stories = sa.table('submissions', sa.column('id'), sa.column('headline'), sa.column('summary'),
                       sa.column('published_headline'), sa.column('published_dek'), sa.column('published_body'),
                       sa.column('search_text'), sa.column('published_search_text'))
    update = (stories.update().where(stories.c.id == sa.bindparam('story_id'))
              .values(search_text=sa.bindparam('text'), published_search_text=sa.bindparam('published')))
    last, done = 0, 0
    while True:
        rows = connection.execute(
            sa.select(stories.c.id, stories.c.headline, stories.c.summary, stories.c.published_headline,
                      stories.c.published_dek, stories.c.published_body)
            .where(stories.c.id > last).order_by(stories.c.id).limit(BATCH)).all()
        if not rows:
            return done
        connection.execute(update, [
            {"story_id": row.id, "text": joined(row.headline, row.summary),
             "published": joined(row.published_headline, row.published_dek, row.published_body)} for row in rows])
        last, done = rows[-1].id, done + len(rows)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm stays: something else in the database may use it.
        op.execute("DROP INDEX IF EXISTS ix_submissions_search")
        op.execute("DROP INDEX IF EXISTS ix_submissions_published_search")
        op.execute(f"CREATE INDEX ix_submissions_search ON submissions USING gin ({OLD_SEARCH})")
        op.execute(f"CREATE INDEX ix_submissions_published_search ON submissions USING gin "
                   f"({OLD_PUBLISHED_SEARCH}) WHERE state = 'published'")
    # Not through a batch, which on SQLite would copy the table and lose its state-count triggers (SQLite 3.35
    # and later drop a column in place).
    op.execute("ALTER TABLE submissions DROP COLUMN published_search_text")
    op.execute("ALTER TABLE submissions DROP COLUMN search_text")

"""State counts: submissions in each state, kept by triggers on submissions, so the queue need not count them;
an index on delivery attempts by start time, for the metrics of the last minutes.

Revision ID: a4c830a7bd06
Revises: b4d50c8d5362
Create Date: 2026-12-04 14:43:32.556305

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a4c830a7bd06'
down_revision = 'b4d50c8d5362'
branch_labels = None
depends_on = None

# Each counter is upserted (a state without a row gets one); a change of state touches the two counters in
# the order of their names, so that two transactions going opposite ways cannot deadlock on them.
POSTGRES_FUNCTION = """
CREATE FUNCTION submission_state_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO submission_state_counts AS c (state, count) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET count = c.count + 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO submission_state_counts AS c (state, count) VALUES (OLD.state, -1)
            ON CONFLICT (state) DO UPDATE SET count = c.count - 1;
    ELSIF OLD.state < NEW.state THEN
        INSERT INTO submission_state_counts AS c (state, count) VALUES (OLD.state, -1)
            ON CONFLICT (state) DO UPDATE SET count = c.count - 1;
        INSERT INTO submission_state_counts AS c (state, count) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET count = c.count + 1;
    ELSE
        INSERT INTO submission_state_counts AS c (state, count) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET count = c.count + 1;
        INSERT INTO submission_state_counts AS c (state, count) VALUES (OLD.state, -1)
            ON CONFLICT (state) DO UPDATE SET count = c.count - 1;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER submissions_state_counts_insert_delete AFTER INSERT OR DELETE ON submissions "
    "FOR EACH ROW EXECUTE FUNCTION submission_state_counts_follow()",
    "CREATE TRIGGER submissions_state_counts_update AFTER UPDATE OF state ON submissions "
    "FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION submission_state_counts_follow()",
]


def _sqlite_add(row: str, amount: str) -> str:
    return (f"INSERT INTO submission_state_counts (state, count) VALUES ({row}.state, {amount}) "
            f"ON CONFLICT (state) DO UPDATE SET count = count + ({amount});")


SQLITE_TRIGGERS = [  # SQLite runs one writer at a time: no order to keep
    f"CREATE TRIGGER submissions_state_counts_insert AFTER INSERT ON submissions BEGIN {_sqlite_add('NEW', '1')} END",
    f"CREATE TRIGGER submissions_state_counts_delete AFTER DELETE ON submissions BEGIN {_sqlite_add('OLD', '-1')} END",
    "CREATE TRIGGER submissions_state_counts_update AFTER UPDATE OF state ON submissions "
    f"WHEN OLD.state IS NOT NEW.state BEGIN {_sqlite_add('OLD', '-1')} {_sqlite_add('NEW', '1')} END",
]


def upgrade():
    op.create_table('submission_state_counts',
    sa.Column('state', sa.Enum('pitched', 'assigned', 'edited', 'published', 'declined', 'withdrawn', name='state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('state', name=op.f('pk_submission_state_counts'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_attempts_started', ['started_at'], unique=False)
    # The submissions already there.
    op.execute("INSERT INTO submission_state_counts (state, count) "
               "SELECT state, count(*) FROM submissions GROUP BY state")


def downgrade():
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_attempts_started')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER submissions_state_counts_update ON submissions")
        op.execute("DROP TRIGGER submissions_state_counts_insert_delete ON submissions")
        op.execute("DROP FUNCTION submission_state_counts_follow()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER submissions_state_counts_{name}")
    op.drop_table('submission_state_counts')

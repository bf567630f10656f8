"""Sentences worded when they are read, in the reader's language: a device keeps its browser's and system's
families (product names) instead of an English sentence, and an action log entry keeps what its detail says as
data (params).

A device's English name written before ("Firefox on Windows", "Firefox on an unknown system", "A browser on
Windows", "An unknown browser") is turned into its families; any other text is kept as it is, and shown so.

Revision ID: c7d2f9a41e60
Revises: b5e0c7a3d914
Create Date: 2026-12-10 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7d2f9a41e60'
down_revision = 'b5e0c7a3d914'
branch_labels = None
depends_on = None

DEVICE_TABLES = ('user_sessions', 'known_devices')
NAME_LENGTH = 60


def families(name: str) -> tuple[str | None, str | None] | None:
    """The browser and the system an English device name says, or None if it is not one the desk wrote."""
    if name == 'An unknown browser':
        return None, None
    if name.startswith('A browser on '):
        system = name.removeprefix('A browser on ')
        return (None, system) if system and len(system) <= NAME_LENGTH else None
    if name.endswith(' on an unknown system'):
        browser = name.removesuffix(' on an unknown system')
        return (browser, None) if browser and len(browser) <= NAME_LENGTH else None
    browser, on, system = name.partition(' on ')
    if on and browser and system and len(browser) <= NAME_LENGTH and len(system) <= NAME_LENGTH:
        return browser, system
    return None


def english(browser: str | None, system: str | None) -> str:
    if browser and system:
        return f'{browser} on {system}'
    if browser:
        return f'{browser} on an unknown system'
    return f'A browser on {system}' if system else 'An unknown browser'


def upgrade():
    for table in DEVICE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('browser', sa.String(length=NAME_LENGTH), nullable=True))
            batch_op.add_column(sa.Column('system', sa.String(length=NAME_LENGTH), nullable=True))
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))

    connection = op.get_bind()
    for table in DEVICE_TABLES:
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column('device', sa.String),
                        sa.column('browser', sa.String), sa.column('system', sa.String))
        for row_id, name in connection.execute(sa.select(rows.c.id, rows.c.device)).all():
            found = families(name or '')
            if found is not None:
                connection.execute(sa.update(rows).where(rows.c.id == row_id)
                                   .values(browser=found[0], system=found[1], device=''))


def downgrade():
    connection = op.get_bind()
    for table in DEVICE_TABLES:
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column('device', sa.String),
                        sa.column('browser', sa.String), sa.column('system', sa.String))
        for row_id, browser, system in connection.execute(
                sa.select(rows.c.id, rows.c.browser, rows.c.system).where(rows.c.device == '')).all():
            connection.execute(sa.update(rows).where(rows.c.id == row_id)
                               .values(device=english(browser, system)[:120]))
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.drop_column('params')
    for table in DEVICE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('system')
            batch_op.drop_column('browser')

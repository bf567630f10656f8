"""Sessions held by the server: one row per signed-in browser (the hash of its cookie's key, the device's
browser and system, when it began, was last seen and last proved who it is; no IP address). The users' session
token, which could only end every session at once, goes. Everyone signs in again after this upgrade.

The browsers each person signed in from before (the hash of a long-lived cookie's key), so that a sign-in from a
new one is emailed.

Password reset requests, until a worker looks their address up (so a request costs the same whatever the address).

A second factor: each person's security keys and passkeys (WebAuthn: the credential's id and public key, a name),
each person's authenticator app (its secret and the last step a code was taken for), and their
recovery codes (hashed, each used once); when the dashboard's offer of a second step was closed.

Revision ID: d380cb230e06
Revises: c3e1f0a9d2b7
Create Date: 2026-12-06 12:50:21.710239

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd380cb230e06'
down_revision = 'c3e1f0a9d2b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('key_hash', sa.String(length=64), nullable=False),
                    sa.Column('device', sa.String(length=120), nullable=False),
                    sa.Column('remembered', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('proved_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
                    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash')))
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_token'), type_='unique')
        batch_op.drop_column('session_token')
        batch_op.add_column(sa.Column('two_step_offer_closed_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('password_reset_requests',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests')))
    op.create_table('known_devices',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('key_hash', sa.String(length=64), nullable=False),
                    sa.Column('device', sa.String(length=120), nullable=False),
                    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_devices_user_id_users'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_devices')),
                    sa.UniqueConstraint('user_id', 'key_hash', name=op.f('uq_known_devices_user_id')))
    op.create_table('totp_secrets',
                    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('secret', sa.String(length=64), nullable=False),
                    sa.Column('last_step', sa.BigInteger(), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_totp_secrets_user_id_users'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_totp_secrets')))
    op.create_table('security_keys',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=60), nullable=False),
                    sa.Column('credential_id', sa.String(length=1400), nullable=False),
                    sa.Column('public_key', sa.LargeBinary(), nullable=False),
                    sa.Column('sign_count', sa.BigInteger(), nullable=False),
                    sa.Column('transports', sa.String(length=200), server_default='', nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_security_keys_user_id_users'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_keys')),
                    sa.UniqueConstraint('credential_id', name=op.f('uq_security_keys_credential_id')))
    with op.batch_alter_table('security_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_keys_user_id'), ['user_id'], unique=False)
    op.create_table('recovery_codes',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('code_hash', sa.String(length=255), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')))
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('two_step_offer_closed_at')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    op.drop_table('totp_secrets')
    with op.batch_alter_table('security_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_keys_user_id'))
    op.drop_table('security_keys')
    op.drop_table('known_devices')
    op.drop_table('password_reset_requests')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(sa.update(users).where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_token'), ['session_token'])

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')

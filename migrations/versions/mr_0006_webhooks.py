"""webhooks, their deliveries (the outbox) and delivery attempts

Revision ID: mr_0006
Revises: mr_0003
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0006'
down_revision = 'mr_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mr_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_name', sa.String(length=255), nullable=True),
    sa.CheckConstraint("status IN ('ACTIVE', 'DISABLED')", name=op.f('ck_mr_webhooks_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_webhooks'))
    )
    with op.batch_alter_table('mr_webhooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_webhooks_project'), ['project'], unique=False)

    op.create_table('mr_webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name=op.f('ck_mr_webhook_deliveries_state')),
    sa.ForeignKeyConstraint(['webhook_id'], ['mr_webhooks.id'], name=op.f('fk_mr_webhook_deliveries_webhook_id_mr_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_webhook_deliveries')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_mr_webhook_deliveries_delivery_id'))
    )
    with op.batch_alter_table('mr_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_webhook_deliveries_state_next_attempt_at'), ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mr_webhook_deliveries_webhook_id'), ['webhook_id'], unique=False)

    op.create_table('mr_webhook_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('response_head', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['mr_webhook_deliveries.id'], name=op.f('fk_mr_webhook_attempts_delivery_id_mr_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_webhook_attempts'))
    )
    with op.batch_alter_table('mr_webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mr_webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_webhook_attempts_delivery_id'))
    op.drop_table('mr_webhook_attempts')
    with op.batch_alter_table('mr_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_webhook_deliveries_webhook_id'))
        batch_op.drop_index(batch_op.f('ix_mr_webhook_deliveries_state_next_attempt_at'))
    op.drop_table('mr_webhook_deliveries')
    with op.batch_alter_table('mr_webhooks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_webhooks_project'))
    op.drop_table('mr_webhooks')

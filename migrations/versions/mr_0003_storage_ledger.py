"""storage ledger: pending uploads and deletes, sweeper leases

Revision ID: mr_0003
Revises: mr_0001
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0003'
down_revision = 'mr_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mr_pending_objects',
    sa.Column('storage_key', sa.String(length=1024), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=True),
    sa.Column('created_by_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("purpose IN ('upload', 'delete')", name=op.f('ck_mr_pending_objects_purpose')),
    sa.PrimaryKeyConstraint('storage_key', name=op.f('pk_mr_pending_objects'))
    )
    with op.batch_alter_table('mr_pending_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_pending_objects_purpose_heartbeat_at'), ['purpose', 'heartbeat_at'], unique=False)

    op.create_table('mr_storage_leases',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('holder', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_mr_storage_leases'))
    )


def downgrade() -> None:
    op.drop_table('mr_storage_leases')
    with op.batch_alter_table('mr_pending_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_pending_objects_purpose_heartbeat_at'))
    op.drop_table('mr_pending_objects')

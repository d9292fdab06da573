"""storage ledger: the resumable upload session of a direct upload

Revision ID: mr_0008
Revises: mr_0005
Create Date: 2026-12-01

A direct upload (the client sends the bytes straight to a GCS resumable session) keeps its
session's URI in its ledger row, and the number of bytes the session had received when the
sweeper last asked, so the sweeper can tell an upload still sending from one abandoned, and
cancel the session of an abandoned one.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0008'
down_revision = 'mr_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mr_pending_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_session', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('session_received', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mr_pending_objects', schema=None) as batch_op:
        batch_op.drop_column('session_received')
        batch_op.drop_column('upload_session')

"""model counters: version numbers never reused, version count and latest version on the model row

Revision ID: mr_0002
Revises: mr_0006
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0002'
down_revision = 'mr_0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mr_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_version_number', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('version_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('latest_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('latest_version', sa.String(length=255), nullable=True))
    # existing models: the counters from their versions, the latest as batches.latest_order says
    op.execute("""
        UPDATE mr_models SET
          last_version_number = COALESCE((SELECT MAX(v.number) FROM mr_model_versions v
                                          WHERE v.model_id = mr_models.id), 0),
          version_count = (SELECT COUNT(*) FROM mr_model_versions v WHERE v.model_id = mr_models.id),
          latest_version_id = (SELECT v.id FROM mr_model_versions v WHERE v.model_id = mr_models.id
                               ORDER BY CASE WHEN v.semver_key = '~' THEN 1 ELSE 0 END DESC, v.semver_major DESC,
                                        v.semver_minor DESC, v.semver_patch DESC, v.semver_key DESC, v.id DESC
                               LIMIT 1)
    """)
    op.execute("""
        UPDATE mr_models SET latest_version = (SELECT v.version FROM mr_model_versions v
                                               WHERE v.id = mr_models.latest_version_id)
    """)


def downgrade() -> None:
    with op.batch_alter_table('mr_models', schema=None) as batch_op:
        batch_op.drop_column('latest_version')
        batch_op.drop_column('latest_version_id')
        batch_op.drop_column('version_count')
        batch_op.drop_column('last_version_number')

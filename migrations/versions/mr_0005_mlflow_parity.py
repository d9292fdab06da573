"""MLflow parity: shared runs, run ids as given, datasets as logged, logged-model links, artifact roots

Revision ID: mr_0005
Revises: mr_0002
Create Date: 2026-12-01

* A version's run may be shared by many versions (the unique constraint goes, an index stays);
  a run id this server does not know is kept as given (``given_run_id``); the tag a semantic
  version was given with is kept (``semver_tag``; versions before this revision showed theirs).
* Runs made by the registry for a version are marked (``made_for_version``): every run a version
  used until now was its own.
* Datasets keep their source and input tags exactly as logged; metrics may name a logged model
  and a dataset; runs link the logged models they used and produced; each project may have an
  artifact root.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0005'
down_revision = 'mr_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mr_model_versions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_mr_model_versions_run_id', type_='unique')
        batch_op.add_column(sa.Column('given_run_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('semver_tag', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_mr_model_versions_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mr_model_versions_given_run_id'), ['given_run_id'], unique=False)
    op.execute("UPDATE mr_model_versions SET semver_tag = 'model_registry.version'")

    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('made_for_version', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE mr_runs SET made_for_version = " + ("true" if op.get_bind().dialect.name == "postgresql" else "1")
               + " WHERE id IN (SELECT run_id FROM mr_model_versions)")

    with op.batch_alter_table('mr_run_datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=True))

    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dataset_name', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('dataset_digest', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_mr_run_metrics_model_id'), ['model_id'], unique=False)

    with op.batch_alter_table('mr_logged_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_run_id', sa.String(length=255), nullable=True))

    op.create_table('mr_run_model_links',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("direction IN ('input', 'output')", name=op.f('ck_mr_run_model_links_direction')),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_model_links_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'model_id', 'direction', name=op.f('pk_mr_run_model_links'))
    )
    op.create_table('mr_artifact_roots',
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_artifact_roots_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project', name=op.f('pk_mr_artifact_roots')),
    sa.UniqueConstraint('run_id', name=op.f('uq_mr_artifact_roots_run_id'))
    )


def downgrade() -> None:
    op.drop_table('mr_artifact_roots')
    op.drop_table('mr_run_model_links')
    with op.batch_alter_table('mr_logged_models', schema=None) as batch_op:
        batch_op.drop_column('given_run_id')
    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_run_metrics_model_id'))
        batch_op.drop_column('dataset_digest')
        batch_op.drop_column('dataset_name')
        batch_op.drop_column('model_id')
    with op.batch_alter_table('mr_run_datasets', schema=None) as batch_op:
        batch_op.drop_column('tags')
        batch_op.drop_column('source')
    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.drop_column('made_for_version')
    # versions sharing a run cannot keep it under the old one-run-per-version rule
    with op.batch_alter_table('mr_model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_model_versions_given_run_id'))
        batch_op.drop_index(batch_op.f('ix_mr_model_versions_run_id'))
        batch_op.drop_column('semver_tag')
        batch_op.drop_column('given_run_id')
        batch_op.create_unique_constraint('uq_mr_model_versions_run_id', ['run_id'])

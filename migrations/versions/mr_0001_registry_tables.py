"""registry tables

Revision ID: mr_0001
Revises: 
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0001'
down_revision = None
branch_labels = ('model_registry',)
depends_on = None


def upgrade() -> None:
    op.create_table('mr_access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("scope IN ('api', 'read_api')", name=op.f('ck_mr_access_tokens_scope')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_access_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mr_access_tokens_token_hash'))
    )
    with op.batch_alter_table('mr_access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_access_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('mr_audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=255), nullable=False),
    sa.Column('target_name', sa.String(length=1024), nullable=False),
    sa.Column('actor_id', sa.String(length=255), nullable=True),
    sa.Column('actor_name', sa.String(length=255), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_audit_events'))
    )
    with op.batch_alter_table('mr_audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_audit_events_project_created_at'), ['project', 'created_at'], unique=False)

    op.create_table('mr_experiments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('lifecycle_stage', sa.String(length=16), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_experiments')),
    sa.UniqueConstraint('project', 'name', name=op.f('uq_mr_experiments_project_name'))
    )
    op.create_table('mr_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('metric_goals', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.String(length=255), nullable=True),
    sa.Column('created_by_name', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_models')),
    sa.UniqueConstraint('project', 'name', name=op.f('uq_mr_models_project_name'))
    )
    with op.batch_alter_table('mr_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_models_project_created_at'), ['project', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mr_models_project_updated_at'), ['project', 'updated_at'], unique=False)

    op.create_table('mr_project_settings',
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("visibility IN ('public', 'private')", name=op.f('ck_mr_project_settings_visibility')),
    sa.PrimaryKeyConstraint('project', name=op.f('pk_mr_project_settings'))
    )
    op.create_table('mr_model_tags',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['mr_models.id'], name=op.f('fk_mr_model_tags_model_id_mr_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'key', name=op.f('pk_mr_model_tags'))
    )
    op.create_table('mr_runs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lifecycle_stage', sa.String(length=16), nullable=False),
    sa.Column('start_time', sa.BigInteger(), nullable=True),
    sa.Column('end_time', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['mr_experiments.id'], name=op.f('fk_mr_runs_experiment_id_mr_experiments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_runs'))
    )
    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_runs_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mr_runs_project'), ['project'], unique=False)

    op.create_table('mr_artifacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('storage_key', sa.String(length=1024), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.String(length=255), nullable=True),
    sa.Column('created_by_name', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_artifacts_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_artifacts')),
    sa.UniqueConstraint('run_id', 'path', name=op.f('uq_mr_artifacts_run_id_path')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_mr_artifacts_storage_key'))
    )
    op.create_table('mr_logged_models',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('artifact_path', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('model_type', sa.String(length=255), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['mr_experiments.id'], name=op.f('fk_mr_logged_models_experiment_id_mr_experiments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_logged_models_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_logged_models'))
    )
    with op.batch_alter_table('mr_logged_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_logged_models_project'), ['project'], unique=False)
        batch_op.create_index(batch_op.f('ix_mr_logged_models_run_id'), ['run_id'], unique=False)

    op.create_table('mr_model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=255), nullable=False),
    sa.Column('semver_major', sa.BigInteger(), nullable=False),
    sa.Column('semver_minor', sa.BigInteger(), nullable=False),
    sa.Column('semver_patch', sa.BigInteger(), nullable=False),
    sa.Column('semver_prerelease', sa.String(length=255), nullable=True),
    sa.Column('semver_key', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('parent_version_id', sa.Integer(), nullable=True),
    sa.Column('logged_model_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.String(length=255), nullable=True),
    sa.Column('created_by_name', sa.String(length=255), nullable=True),
    sa.CheckConstraint("stage IN ('None', 'Staging', 'Production', 'Archived')", name=op.f('ck_mr_model_versions_stage')),
    sa.ForeignKeyConstraint(['model_id'], ['mr_models.id'], name=op.f('fk_mr_model_versions_model_id_mr_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_version_id'], ['mr_model_versions.id'], name=op.f('fk_mr_model_versions_parent_version_id_mr_model_versions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_model_versions_run_id_mr_runs'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_model_versions')),
    sa.UniqueConstraint('model_id', 'number', name=op.f('uq_mr_model_versions_model_id_number')),
    sa.UniqueConstraint('model_id', 'semver_major', 'semver_minor', 'semver_patch', 'semver_key', name='uq_mr_model_versions_precedence'),
    sa.UniqueConstraint('model_id', 'version', name=op.f('uq_mr_model_versions_model_id_version')),
    sa.UniqueConstraint('run_id', name=op.f('uq_mr_model_versions_run_id'))
    )
    with op.batch_alter_table('mr_model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_model_versions_model_id_created_at'), ['model_id', 'created_at'], unique=False)

    op.create_table('mr_run_datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('digest', sa.String(length=255), nullable=False),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('schema', sa.Text(), nullable=False),
    sa.Column('profile', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_datasets_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_run_datasets')),
    sa.UniqueConstraint('run_id', 'name', 'digest', 'role', name=op.f('uq_mr_run_datasets_run_id_name_digest_role'))
    )
    with op.batch_alter_table('mr_run_datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_run_datasets_run_id'), ['run_id'], unique=False)

    op.create_table('mr_run_metrics',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('is_nan', sa.Boolean(), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_metrics_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mr_run_metrics'))
    )
    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mr_run_metrics_run_id_key_step'), ['run_id', 'key', 'step'], unique=False)

    op.create_table('mr_run_params',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_params_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key', name=op.f('pk_mr_run_params'))
    )
    op.create_table('mr_run_tags',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_tags_run_id_mr_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key', name=op.f('pk_mr_run_tags'))
    )
    op.create_table('mr_model_aliases',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['mr_models.id'], name=op.f('fk_mr_model_aliases_model_id_mr_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['mr_model_versions.id'], name=op.f('fk_mr_model_aliases_version_id_mr_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'alias', name=op.f('pk_mr_model_aliases'))
    )
    op.create_table('mr_version_tags',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['mr_model_versions.id'], name=op.f('fk_mr_version_tags_version_id_mr_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'key', name=op.f('pk_mr_version_tags'))
    )


def downgrade() -> None:
    op.drop_table('mr_version_tags')
    op.drop_table('mr_model_aliases')
    op.drop_table('mr_run_tags')
    op.drop_table('mr_run_params')
    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_run_metrics_run_id_key_step'))

    op.drop_table('mr_run_metrics')
    with op.batch_alter_table('mr_run_datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_run_datasets_run_id'))

    op.drop_table('mr_run_datasets')
    with op.batch_alter_table('mr_model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_model_versions_model_id_created_at'))

    op.drop_table('mr_model_versions')
    with op.batch_alter_table('mr_logged_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_logged_models_run_id'))
        batch_op.drop_index(batch_op.f('ix_mr_logged_models_project'))

    op.drop_table('mr_logged_models')
    op.drop_table('mr_artifacts')
    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_runs_project'))
        batch_op.drop_index(batch_op.f('ix_mr_runs_experiment_id'))

    op.drop_table('mr_runs')
    op.drop_table('mr_model_tags')
    op.drop_table('mr_project_settings')
    with op.batch_alter_table('mr_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_models_project_updated_at'))
        batch_op.drop_index(batch_op.f('ix_mr_models_project_created_at'))

    op.drop_table('mr_models')
    op.drop_table('mr_experiments')
    with op.batch_alter_table('mr_audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_audit_events_project_created_at'))

    op.drop_table('mr_audit_events')
    with op.batch_alter_table('mr_access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mr_access_tokens_user_id'))

    op.drop_table('mr_access_tokens')

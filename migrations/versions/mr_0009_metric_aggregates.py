"""metric aggregates kept on write: per run and key, and the distinct steps of each run

Revision ID: mr_0009
Revises: mr_0008
Create Date: 2026-12-01

* ``mr_run_metric_aggregates``: per run and metric key, the count of values and of NaNs, the min
  and max of the non-NaN values, the first and last step, and the latest value (highest step,
  then timestamp, then id);
* ``mr_run_metric_steps`` and ``mr_runs.metric_step_count``: the distinct steps a run logged;
* the ``(run_id, key, step)`` index of the values gains ``timestamp`` and ``id``, so the last value
  at a step is one seek.

Existing values are aggregated here, in the migration's transaction.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'mr_0009'
down_revision = 'mr_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mr_run_metric_aggregates',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value_count', sa.BigInteger(), nullable=False),
    sa.Column('nan_count', sa.BigInteger(), nullable=False),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('first_step', sa.BigInteger(), nullable=False),
    sa.Column('last_step', sa.BigInteger(), nullable=False),
    sa.Column('latest_id', sa.BigInteger(), nullable=False),
    sa.Column('latest_value', sa.Float(), nullable=False),
    sa.Column('latest_is_nan', sa.Boolean(), nullable=False),
    sa.Column('latest_step', sa.BigInteger(), nullable=False),
    sa.Column('latest_timestamp', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_metric_aggregates_run_id_mr_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'key', name=op.f('pk_mr_run_metric_aggregates'))
    )
    op.create_table('mr_run_metric_steps',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['mr_runs.id'], name=op.f('fk_mr_run_metric_steps_run_id_mr_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'step', name=op.f('pk_mr_run_metric_steps'))
    )
    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metric_step_count', sa.BigInteger(), nullable=False, server_default='0'))
    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_mr_run_metrics_run_id_key_step')
        batch_op.create_index('ix_mr_run_metrics_run_id_key_step_time', ['run_id', 'key', 'step', 'timestamp', 'id'],
                              unique=False)

    # the aggregates of the values logged so far
    op.execute("""
        INSERT INTO mr_run_metric_aggregates (run_id, key, value_count, nan_count, min_value, max_value,
            first_step, last_step, latest_id, latest_value, latest_is_nan, latest_step, latest_timestamp)
        SELECT g.run_id, g.key, g.n, g.nans, g.lo, g.hi, g.first_step, g.last_step,
               l.id, l.value, l.is_nan, l.step, l.timestamp
        FROM (SELECT run_id, key, count(*) AS n, sum(CASE WHEN is_nan THEN 1 ELSE 0 END) AS nans,
                     min(CASE WHEN is_nan THEN NULL ELSE value END) AS lo,
                     max(CASE WHEN is_nan THEN NULL ELSE value END) AS hi,
                     min(step) AS first_step, max(step) AS last_step
              FROM mr_run_metrics GROUP BY run_id, key) AS g
        JOIN mr_run_metrics AS l ON l.id = (
            SELECT o.id FROM mr_run_metrics AS o WHERE o.run_id = g.run_id AND o.key = g.key
            ORDER BY o.step DESC, o.timestamp DESC, o.id DESC LIMIT 1)
    """)
    op.execute("INSERT INTO mr_run_metric_steps (run_id, step) SELECT DISTINCT run_id, step FROM mr_run_metrics")
    op.execute("UPDATE mr_runs SET metric_step_count = "
               "(SELECT count(*) FROM mr_run_metric_steps AS s WHERE s.run_id = mr_runs.id)")


def downgrade() -> None:
    with op.batch_alter_table('mr_run_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_mr_run_metrics_run_id_key_step_time')
        batch_op.create_index('ix_mr_run_metrics_run_id_key_step', ['run_id', 'key', 'step'], unique=False)
    with op.batch_alter_table('mr_runs', schema=None) as batch_op:
        batch_op.drop_column('metric_step_count')
    op.drop_table('mr_run_metric_steps')
    op.drop_table('mr_run_metric_aggregates')

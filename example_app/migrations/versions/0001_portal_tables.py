"""portal tables: users, projects, memberships

Revision ID: portal_0001
Revises:
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "portal_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_users")),
        sa.UniqueConstraint("username", name=op.f("uq_portal_users_username")),
    )
    op.create_table(
        "portal_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_projects")),
        sa.UniqueConstraint("slug", name=op.f("uq_portal_projects_slug")),
    )
    op.create_table(
        "portal_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["portal_projects.id"], ondelete="CASCADE",
                                name=op.f("fk_portal_memberships_project_id_portal_projects")),
        sa.ForeignKeyConstraint(["user_id"], ["portal_users.id"], ondelete="CASCADE",
                                name=op.f("fk_portal_memberships_user_id_portal_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_memberships")),
        sa.UniqueConstraint("user_id", "project_id", name=op.f("uq_portal_memberships_user_id_project_id")),
    )


def downgrade() -> None:
    op.drop_table("portal_memberships")
    op.drop_table("portal_projects")
    op.drop_table("portal_users")

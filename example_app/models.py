"""The host's own tables: users, projects and memberships (a company portal in miniature)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    })


db = SQLAlchemy(model_class=Base)

ROLES = ("guest", "reporter", "developer", "maintainer", "owner")


class User(UserMixin, db.Model):
    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Project(db.Model):
    __tablename__ = "portal_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)


class Membership(db.Model):
    __tablename__ = "portal_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_users.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_projects.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)

    user: Mapped[User] = relationship()
    project: Mapped[Project] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "project_id"),)

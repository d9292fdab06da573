"""The portal's CLI: ``init-db``, ``users create``, ``members add``, ``seed-demo``."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .models import ROLES, Membership, Project, User, db


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Upgrade the portal's and the registry's tables to the newest migration."""
    from .database import upgrade_all

    for line in upgrade_all(db.engine):
        click.echo(line)


users = AppGroup("users", help="Portal users.")


@users.command("create")
@click.argument("username")
@click.option("--password", required=True, help="The user's password.")
def users_create(username: str, password: str) -> None:
    """Create a user with a hashed password."""
    username = username.strip()
    if not username or len(username) > 80 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        _fail("a username is 1-80 letters, digits, '.', '-' or '_'")
    if len(password) < 3:
        _fail("the password must have at least 3 characters")
    if db.session.scalar(sa.select(User).where(User.username == username)):
        _fail(f"user {username!r} already exists")
    user = User(username=username)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created user {username}")


members = AppGroup("members", help="Project memberships.")


@members.command("add")
@click.argument("username")
@click.argument("project")
@click.argument("role")
def members_add(username: str, project: str, role: str) -> None:
    """Give USERNAME the ROLE in PROJECT (created if missing). ROLE: guest, reporter, developer, maintainer, owner."""
    role = role.lower()
    if role not in ROLES:
        _fail(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    slug = project.strip()
    if not slug or len(slug) > 100 or "/" in slug or not slug.replace("-", "").replace("_", "").replace(".", "").isalnum():
        _fail("a project name is 1-100 letters, digits, '.', '-' or '_'")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        _fail(f"no user named {username!r}; create it with 'users create'")
    proj = db.session.scalar(sa.select(Project).where(Project.slug == slug))
    if proj is None:
        proj = Project(slug=slug, name=slug)
        db.session.add(proj)
        db.session.flush()
        click.echo(f"Created project {slug}")
    member = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id,
                                                           Membership.project_id == proj.id))
    if member is None:
        db.session.add(Membership(user_id=user.id, project_id=proj.id, role=role))
        click.echo(f"Added {username} to {slug} as {role}")
    else:
        member.role = role
        click.echo(f"Changed {username}'s role in {slug} to {role}")
    db.session.commit()


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Fill an empty database with the demo project; print the logins and a token for rita."""
    from .seed import seed

    for line in seed():
        click.echo(line)


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(users)
    app.cli.add_command(members)
    app.cli.add_command(seed_demo)

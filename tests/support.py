"""Helpers for tests: portal users with tokens, signing in, registry settings, free ports, servers
started in processes of their own."""
from __future__ import annotations

import dataclasses
import socket
import subprocess
import time

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

PROJECT = "proj"


@dataclasses.dataclass(frozen=True)
class Person:
    username: str
    user_id: int
    role: str | None
    token: str | None
    read_token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def read_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_token}"}


ROLE_PEOPLE = (("olga", "owner"), ("max", "maintainer"), ("dev", "developer"), ("rita", "reporter"),
               ("gus", "guest"), ("otto", None))


def add_people(app, project: str = PROJECT) -> dict[str, Person]:
    """Users of every role in ``project`` (and ``otto``, signed up but no member), with tokens."""
    from example_app.models import Membership, Project, User, db
    from flask_modelregistry.services.tokens import create_token

    people: dict[str, Person] = {}
    with app.app_context():
        proj = db.session.scalar(sa.select(Project).where(Project.slug == project))
        if proj is None:
            proj = Project(slug=project, name=project)
            db.session.add(proj)
            db.session.flush()
        for username, role in ROLE_PEOPLE:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                user = User(username=username)
                # a cheap hash: the tests sign in often, and scrypt is slow on purpose
                user.password_hash = generate_password_hash(username, method="pbkdf2:sha256:1000")
                db.session.add(user)
                db.session.flush()
            if role:
                db.session.add(Membership(user_id=user.id, project_id=proj.id, role=role))
            db.session.commit()
            _t, token = create_token(str(user.id), name="test", scope="api")
            _r, read_token = create_token(str(user.id), name="test-read", scope="read_api")
            people[username] = Person(username, user.id, role, token, read_token)
    return people


def login(client, username: str, password: str | None = None) -> None:
    """Sign a test client in through the login page, as a browser would."""
    import re

    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    response = client.post("/login", data={"username": username, "password": password or username,
                                           "csrf_token": token})
    assert response.status_code == 302, response.data[:500]


def set_registry(app, project: str = PROJECT, *, enabled: bool | None = None, visibility: str | None = None) -> None:
    from flask_modelregistry.services.identity import Actor
    from flask_modelregistry.services.settings import update_settings

    with app.app_context():
        update_settings(project, Actor.system(), enabled=enabled, visibility=visibility)


def pending_and_stored(app, *, partial: bool = False) -> tuple[list[str], list[str]]:
    """The storage keys of the ledger's pending rows and those of the objects in the app's store
    (with ``partial``, its unfinished writes too), each sorted: what an upload left behind."""
    from example_app.models import db
    from flask_modelregistry.models import PendingObject

    with app.app_context():
        store = app.extensions["model_registry"].store
        objects = [o.key for o in store.list_objects()]
        if partial:
            objects += [o.key for o in store.list_partial()]
        return sorted(db.session.scalars(sa.select(PendingObject.storage_key))), sorted(objects)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answers(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Wait until ``url`` answers below 400 (a server another process is starting); fails if
    ``proc`` exits first or no such answer comes within ``timeout`` seconds (a loaded machine
    starts slowly)."""
    import requests

    deadline, last = time.monotonic() + timeout, "no connection"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise AssertionError(f"the server for {url} exited ({proc.returncode}) {out}")
        try:
            answer = requests.get(url, timeout=5)
            if answer.ok:
                return
            last = f"status {answer.status_code}"
        except requests.RequestException as exc:  # not listening yet
            last = type(exc).__name__
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s (last: {last})")

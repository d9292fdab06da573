"""Real faults for the fault tests: a PostgreSQL server of the test's own (initdb into a temporary
folder, its own port) that a test stops and starts, and the example app served by gunicorn."""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import pytest

from ..support import add_people, free_port, wait_until_answers


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip("PostgreSQL's server binaries are not installed")
    return found[-1]


@dataclasses.dataclass
class OwnPostgres:
    """A PostgreSQL server only this test uses; ``stop()`` and ``start()`` are the fault."""

    data: Path
    port: int
    user: str | None  # the system user running it (PostgreSQL refuses to run as root)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(list(args), check=True, user=self.user, timeout=timeout, cwd="/",
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "start", "-w", "-D", str(self.data), "-l", str(self.data / "server.log"),
                  "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data))


@pytest.fixture
def own_postgres() -> t.Iterator[OwnPostgres]:
    # outside pytest's folder, which only root may enter: the server runs as another user
    folder = Path(tempfile.mkdtemp(prefix="mr-own-postgres-"))
    data = folder / "data"
    data.mkdir()
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        shutil.chown(folder, user)
        shutil.chown(data, user)
    server = OwnPostgres(data, free_port(), user)
    server._run(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-sync", timeout=120)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # the test may have stopped it already
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclasses.dataclass
class Served:
    url: str
    token: str
    env: dict[str, str]
    log: Path | None = None

    def log_tail(self, size: int = 4000) -> str:
        return self.log.read_bytes()[-size:].decode("utf-8", "replace") if self.log else ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _prepare(database_url: str, storage: str) -> str:
    """Migrate the database and add the people (in this process: quicker than the CLI); rita's token."""
    from example_app import create_app
    from example_app.models import db

    from ..conftest import migrate

    migrate(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MODEL_REGISTRY_STORAGE_URI": storage,
                      "SECRET_KEY": "fault-tests", "MODEL_REGISTRY_SWEEP_INTERVAL": 0})  # the servers sweep
    try:
        return add_people(app)["rita"].token
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def serve_with_gunicorn(tmp_path: Path, database_url: str, storage: str) -> t.Iterator[Served]:
    """The example app under gunicorn (two threaded workers), with ``rita`` a reporter of ``proj``."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    env = {**os.environ, "EXAMPLE_DATABASE_URL": database_url, "MODEL_REGISTRY_STORAGE_URI": storage,
           "SECRET_KEY": "fault-tests"}
    token = _prepare(database_url, storage)
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # the workers' tracebacks, for a failing test to show
    proc = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--worker-class", "gthread",
                             "--threads", "4", "--timeout", "60", "example_app:create_app()"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/login", proc)
        yield Served(base, token, env, tmp_path / "gunicorn.log")
    finally:
        log.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

"""The example app served by gunicorn in processes of its own, for tests that kill workers or run
several hosts; and the portal's command line against the same database and store."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..support import wait_until_answers

BIN = Path(sys.executable).parent


@dataclasses.dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


def cli(env: dict, *args: str, check: bool = True) -> CommandResult:
    """``flask --app example_app ARGS`` with the settings of ``env``, run in this process (an
    interpreter per command would cost seconds)."""
    from example_app import create_app
    from example_app.models import db

    config = {"SQLALCHEMY_DATABASE_URI": env["EXAMPLE_DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"]}
    for name, value in env.items():  # parsed as the example app parses its environment
        if name.startswith("MODEL_REGISTRY_"):
            try:
                config[name] = json.loads(value)
            except ValueError:
                config[name] = value
    config["MODEL_REGISTRY_STORAGE_URI"] = env["MODEL_REGISTRY_STORAGE_URI"]
    config["MODEL_REGISTRY_SWEEP_INTERVAL"] = 0
    app = create_app(config)
    try:
        result = app.test_cli_runner().invoke(args=list(args))
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
    out = CommandResult(result.exit_code, result.stdout, result.stderr)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def portal_env(database_url: str, storage_uri: str, **settings: str) -> dict:
    env = {**os.environ, "EXAMPLE_DATABASE_URL": database_url, "MODEL_REGISTRY_STORAGE_URI": storage_uri,
           "SECRET_KEY": "shared-by-all-workers"}
    env.update(settings)
    return env


def add_writer(env: dict, username: str = "rita") -> dict:
    """A reporter of project ``proj`` and the headers of a token of theirs."""
    cli(env, "users", "create", username, "--password", username)
    cli(env, "members", "add", username, "proj", "reporter")
    token = cli(env, "model-registry", "tokens", "create", username).stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


@dataclasses.dataclass
class Gunicorn:
    proc: subprocess.Popen
    url: str

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def wait_up(self, timeout: float = 60) -> None:
        wait_until_answers(f"{self.url}/login", self.proc, timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def gunicorn(env: dict, cwd: Path, host: str, port: int, *, workers: int = 1) -> Gunicorn:
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"{host}:{port}",
                             "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--keep-alive", "75",
                             "--graceful-timeout", "5", "example_app:create_app()"],
                            env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Gunicorn(proc, f"http://{host}:{port}")
    try:
        server.wait_up()
    except BaseException:
        server.stop()
        raise
    return server

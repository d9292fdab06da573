"""Shared fixtures: an example-app instance per test on SQLite (and on PostgreSQL when
``MODEL_REGISTRY_TEST_POSTGRES_URL`` is set), local or GCS artifact storage, portal users of
every role with API tokens, and the app served on a port for real clients."""
from __future__ import annotations

import dataclasses
import os
import shutil
import threading
import typing as t
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .support import Person, add_people

PG_URL = os.environ.get("MODEL_REGISTRY_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_report_header(config: pytest.Config) -> list[str]:
    from .browser.chromium import chromium_report_header

    lines = [f"model registry database backends: {', '.join(BACKENDS)}", chromium_report_header()]
    if not PG_URL:
        lines.append("MODEL_REGISTRY_TEST_POSTGRES_URL is not set: PostgreSQL runs are skipped")
    return lines


@pytest.fixture(autouse=True)
def no_sweeper_left_running() -> t.Iterator[None]:
    """A test that builds an app outside ``TESTING`` starts the storage sweeper in this process;
    left running, it sweeps a database the test has dropped and logs a traceback into later tests
    (and Python 3.11's traceback parses code, which races an app being built in another thread)."""
    before = {th for th in threading.enumerate() if th.name == "model-registry-sweeper"}
    yield
    left = [th for th in threading.enumerate() if th.name == "model-registry-sweeper" and th not in before]
    assert not left, "the test left a storage sweeper running: build its app with MODEL_REGISTRY_SWEEP_INTERVAL=0"


def _pg_url(url: str) -> sa.URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def migrate(url: str | sa.URL) -> None:
    from example_app.database import upgrade_all

    engine = sa.create_engine(url)
    try:
        upgrade_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_server_url() -> sa.URL:
    if not PG_URL:
        pytest.skip("MODEL_REGISTRY_TEST_POSTGRES_URL is not set")
    return _pg_url(PG_URL)


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: sa.URL) -> t.Iterator[str]:
    """A database of its own for this run, migrated once, dropped at the end."""
    name = f"mr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_server_url.set(database=name)
    try:
        migrate(url)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_scratch_postgres(server_url: sa.URL) -> tuple[str, t.Callable[[], None]]:
    """A fresh, migrated database for tests that need one of their own (other processes)."""
    name = f"mr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server_url.set(database=name)
    migrate(url)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND (tablename LIKE 'mr\\_%' OR tablename LIKE 'portal\\_%') "
                "AND tablename NOT IN ('mr_alembic_version')"))]
            if tables:
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "app.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


# -- storage ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Emulator:
    host: str
    bucket: str


@pytest.fixture(scope="session")
def gcs_emulator() -> t.Iterator[Emulator]:
    """gcp-storage-emulator in this process (in memory), with one bucket."""
    from gcp_storage_emulator.server import create_server

    # port 0: the kernel picks a free port as the server binds. (A port found free beforehand could
    # be taken by then, and the emulator waits forever for a server that failed to bind.)
    server = create_server("127.0.0.1", 0, in_memory=True, default_bucket="mr-test")
    server.start()
    port = server._api._httpd.server_address[1]  # the emulator keeps its HTTP server there
    try:
        yield Emulator(host=f"http://127.0.0.1:{port}", bucket="mr-test")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcs_signing_key() -> dict:
    """A throwaway service-account key to sign URLs with (the emulator verifies no signature, but
    the URLs are signed as GCS wants): set as ``MODEL_REGISTRY_GCS_SIGNING_KEY``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "test-project", "private_key_id": "k1", "private_key": pem,
            "client_email": "registry@test-project.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token"}


@pytest.fixture
def store_kind() -> str:
    """Override with ``@pytest.mark.parametrize("store_kind", ["local", "gcs"])``."""
    return "local"


@pytest.fixture
def storage_uri(store_kind: str, tmp_path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if store_kind == "local":
        return str(tmp_path / "artifacts")
    emulator: Emulator = request.getfixturevalue("gcs_emulator")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    return f"gs://{emulator.bucket}/t-{uuid.uuid4().hex[:10]}"


# -- the app ---------------------------------------------------------------------------------

@pytest.fixture
def app_config() -> dict[str, t.Any]:
    """Extra configuration for the ``app`` fixture; override in a module or a test."""
    return {}


@pytest.fixture
def app(database_url: str, storage_uri: str, app_config: dict[str, t.Any], tmp_path):
    from example_app import create_app
    from example_app.models import db

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MODEL_REGISTRY_STORAGE_URI": storage_uri,
        "MODEL_REGISTRY_GCS_CHUNK_SIZE": 1024 * 1024,
    }
    config.update(app_config)
    application = create_app(config)
    application.instance_path = str(tmp_path / "instance")
    yield application
    with application.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.app_context() as ctx:
        yield ctx


# -- people ----------------------------------------------------------------------------------

@pytest.fixture
def people(app) -> dict[str, Person]:
    return add_people(app)


@pytest.fixture
def rita(people) -> Person:
    return people["rita"]


# -- serving on a port -----------------------------------------------------------------------

@dataclasses.dataclass
class LiveServer:
    url: str
    app: t.Any


@pytest.fixture
def live_server(app) -> t.Iterator[LiveServer]:
    """The test's app served by a threaded WSGI server on a free port, for real clients."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)

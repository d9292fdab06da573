"""Direct uploads to GCS resumable sessions that are abandoned: the ledger keeps each session's URI,
the sweeper (and ``flask model-registry storage sweep``) cancels a session that received no byte
for the grace period with ``DELETE`` on its URI, as GCS documents, and ``storage check`` reports it;
a session still receiving bytes is kept, however long it takes.

gcp-storage-emulator does not implement cancelling: it answers the ``DELETE`` with 501 and the
session goes on taking bytes. So these tests check what can be checked against it: that the
``DELETE`` reaches the emulator for exactly that session, that the ledger entry goes, that a
cancellation that could not be sent is kept and sent later, and that what the emulator still
finalises after it is an object without a row, which the sweep removes."""
from __future__ import annotations

import datetime as dt
import logging
import os

import pytest
import requests
import sqlalchemy as sa

from ..conftest import Emulator
from ..support import free_port

P = "/api/v1/projects/proj"
KiB = 1024
CHUNK = 256 * KiB


@pytest.fixture
def store_kind() -> str:
    return "gcs"


@pytest.fixture
def own_emulator(tmp_path):
    """An emulator of this test's own, on disk, that the test can stop and start again."""
    from gcp_storage_emulator.server import create_server

    port, data = free_port(), tmp_path / "emulator"

    class Own:
        server = None

        def start(self) -> None:
            self.server = create_server("127.0.0.1", port, in_memory=False, default_bucket="mr-own",
                                        data_dir=str(data))
            self.server.start()

        def stop(self) -> None:
            self.server.stop()

    own = Own()
    own.start()
    yield own, Emulator(host=f"http://127.0.0.1:{port}", bucket="mr-own")
    own.stop()


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "sessions"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return v["id"]


def _open(client, rita, vid: int, path: str, size: int) -> dict:
    opened = client.post(f"{P}/packages/ml_models/{vid}/direct-uploads", json={"path": path, "size": size},
                         headers={**rita.headers, "Origin": "http://portal.example"})
    assert opened.status_code == 201, opened.json
    return opened.json


def _ledger(app) -> dict:
    from example_app.models import db
    from flask_modelregistry.models import PendingObject

    with app.app_context():
        return {r.storage_key: r for r in db.session.execute(sa.select(
            PendingObject.storage_key, PendingObject.purpose, PendingObject.upload_session,
            PendingObject.session_received))}


def _age(app, hours: float = 2) -> None:
    """Let every reservation's last heartbeat lie ``hours`` back (as if no request came since)."""
    from example_app.models import db
    from flask_modelregistry.models import PendingObject, utcnow

    with app.app_context():
        db.session.execute(sa.update(PendingObject).values(heartbeat_at=utcnow() - dt.timedelta(hours=hours)))
        db.session.commit()


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["model-registry", "storage", *args])


def _session_deletes(caplog) -> list[str]:
    """The ``DELETE`` request lines on upload sessions the in-process emulator logged."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("gcp_storage_emulator")
            and r.getMessage().startswith('"DELETE /upload/storage/v1/')]


def test_an_abandoned_session_is_reported_then_cancelled_and_a_sending_one_kept(app, client, rita, version,
                                                                                  caplog):
    caplog.set_level(logging.INFO, logger="gcp_storage_emulator")
    data = os.urandom(3 * CHUNK)
    opened = _open(client, rita, version, "weights/model.bin", len(data))
    url = opened["session_url"]
    (key, row), = _ledger(app).items()
    assert (row.purpose, row.upload_session, row.session_received) == ("upload", url, 0)
    first = requests.put(url, data=data[:CHUNK], headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{len(data)}"})
    assert first.status_code == 308

    # past the grace period without a heartbeat, but bytes came since the last look: kept
    _age(app)
    check = _cli(app, "check", "--grace", "3600")
    assert check.exit_code == 0 and check.output.startswith("Storage is consistent"), check.output
    swept = _cli(app, "sweep", "--grace", "3600")
    assert swept.exit_code == 0, swept.output
    assert swept.output.splitlines() == [f"Kept {key} (its upload session received bytes since the last sweep)"]
    assert _ledger(app)[key].session_received == CHUNK
    assert _session_deletes(caplog) == []

    # a grace period later with no byte more: abandoned, reported, then cancelled
    _age(app)
    check = _cli(app, "check", "--grace", "3600")
    assert check.exit_code == 1
    assert check.output.startswith(f"abandoned upload session: {key} (last heartbeat "), check.output
    assert f"{CHUNK} bytes received" in check.output
    swept = _cli(app, "sweep", "--grace", "3600")
    assert swept.exit_code == 0, swept.output
    upload_id = url.partition("upload_id=")[2]
    deletes = _session_deletes(caplog)
    assert len(deletes) == 1 and upload_id in deletes[0] and "/upload/storage/v1/b/mr-test/o?" in deletes[0]
    # the emulator implements no cancel: it answers 501 (GCS answers 499), and the sweep says so
    assert " 501 " in deletes[0], deletes
    assert f"Cancelled the upload session of {key} (answered 501)" in swept.output
    assert f"Deleted {key} (abandoned upload)" in swept.output
    assert _ledger(app) == {}

    # finishing now is refused: nothing was recorded, and the bucket holds no object
    done = client.post(f"{P}/packages/ml_models/{version}/direct-uploads/complete", headers=rita.headers,
                       json={"upload": opened["upload"], "sha256": "0" * 64, "crc32c": 1})
    assert done.status_code == 400, done.json
    with app.app_context():
        assert list(app.extensions["model_registry"].store.list_objects()) == []

    # what the emulator does with the cancelled session: it still takes the bytes and finalises
    # the object (GCS would refuse them); that object has no row, and the sweep removes it
    rest = requests.put(url, data=data[CHUNK:], headers={"Content-Range": f"bytes {CHUNK}-{len(data) - 1}/{len(data)}"})
    assert rest.status_code == 200
    assert _cli(app, "check", "--grace", "0").output.startswith(f"object without a row: {key}")
    assert f"Deleted {key} (no row names it)" in _cli(app, "sweep", "--grace", "0").output
    with app.app_context():
        assert list(app.extensions["model_registry"].store.list_objects()) == []


def test_a_direct_upload_longer_than_the_grace_period_is_recorded(app, client, rita, version):
    """Bytes keep coming between sweeps: the upload is never taken as abandoned."""
    import hashlib

    import google_crc32c

    data = os.urandom(3 * CHUNK)
    opened = _open(client, rita, version, "slow.bin", len(data))
    url = opened["session_url"]
    for start in range(0, len(data), CHUNK):
        end = min(start + CHUNK, len(data)) - 1
        sent = requests.put(url, data=data[start:end + 1], headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"})
        assert sent.status_code in (200, 308)
        _age(app)
        assert "Deleted" not in _cli(app, "sweep", "--grace", "3600").output
    crc = int.from_bytes(google_crc32c.Checksum(data).digest(), "big")
    done = client.post(f"{P}/packages/ml_models/{version}/direct-uploads/complete", headers=rita.headers,
                       json={"upload": opened["upload"], "sha256": hashlib.sha256(data).hexdigest(), "crc32c": crc})
    assert done.status_code == 201, done.json
    assert _ledger(app) == {}


def test_a_cancellation_that_cannot_be_sent_is_kept_and_sent_by_the_sweep(own_emulator, monkeypatch, database_url,
                                                                          caplog):
    """The user cancels while the bucket is unreachable: the ledger keeps the session (as a delete
    still to do), ``storage check`` reports it, and the sweep cancels it once the bucket is back."""
    from example_app import create_app

    from ..support import add_people

    caplog.set_level(logging.INFO, logger="gcp_storage_emulator")
    own, emulator = own_emulator
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                      "MODEL_REGISTRY_STORAGE_URI": f"gs://{emulator.bucket}/own"})
    rita = add_people(app)["rita"]
    client = app.test_client()
    model = client.post(f"{P}/models", json={"name": "down"}, headers=rita.headers).json
    vid = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json["id"]
    opened = _open(client, rita, vid, "a.bin", 3 * CHUNK)
    (key, _row), = _ledger(app).items()

    own.stop()  # the bucket is unreachable
    cancelled = client.post(f"{P}/packages/ml_models/{vid}/direct-uploads/cancel", headers=rita.headers,
                            json={"upload": opened["upload"]})
    assert cancelled.status_code == 204
    row = _ledger(app)[key]
    assert (row.purpose, row.upload_session) == ("delete", opened["session_url"])

    own.start()
    _age(app)
    check = _cli(app, "check", "--grace", "3600")
    assert check.exit_code == 1
    assert check.output.splitlines()[0] == \
        f"object whose delete did not finish: {key} (its upload session is still to cancel)", check.output
    swept = _cli(app, "sweep", "--grace", "3600")
    assert f"Cancelled the upload session of {key} (answered 501)" in swept.output, swept.output
    assert f"Deleted {key} (its row was deleted)" in swept.output
    deletes = _session_deletes(caplog)
    assert len(deletes) == 1 and opened["session_url"].partition("upload_id=")[2] in deletes[0]
    assert _ledger(app) == {}
    assert _cli(app, "check", "--grace", "0").exit_code == 0

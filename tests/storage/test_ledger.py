"""The ledger: an upload's key is recorded before its first byte and moved to its row in the
transaction that records it; deletes record the keys they free; both stores, both databases."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from tests.core.test_storage import FailingStream

from .conftest import actor_of, artifact_keys, pending_rows, stored_keys

both_stores = pytest.mark.parametrize("store_kind", ["local", "gcs"])


class WatchedStream(io.RawIOBase):
    """A body that looks at the ledger while the store reads it."""

    def __init__(self, app, data: bytes) -> None:
        self.app, self.data, self.seen = app, io.BytesIO(data), None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.seen is None:
            self.seen = pending_rows(self.app)
        return self.data.read(size)


@both_stores
def test_an_upload_is_pending_before_its_bytes_and_recorded_after(app, rita, version, store_kind):
    from flask_modelregistry.services import artifacts

    _base, _m, v = version
    data = os.urandom(300_000)
    body = WatchedStream(app, data)
    with app.app_context():
        artifact = artifacts.upload_artifact("proj", actor_of(rita), v["run_id"], "model.bin", body)
        key = artifact.storage_key
    # while the bytes flowed, the key was in the ledger, with who and where
    assert [(r.storage_key, r.purpose, r.project, r.created_by_id) for r in body.seen] == \
        [(key, "upload", "proj", str(rita.user_id))]
    assert pending_rows(app) == []  # moved to the artifact row in the same transaction
    assert artifact_keys(app) == {key} == stored_keys(app)
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()


def test_a_failed_upload_leaves_neither_object_nor_ledger_row(app, client, rita, version):
    from flask_modelregistry.errors import RegistryError
    from flask_modelregistry.services import artifacts

    _base, _m, v = version
    with app.app_context(), pytest.raises((ConnectionResetError, RegistryError)):
        artifacts.upload_artifact("proj", actor_of(rita), v["run_id"], "x.bin",
                                  FailingStream(700_000))
    assert pending_rows(app) == [] and stored_keys(app) == set() and artifact_keys(app) == set()


@pytest.mark.parametrize("store_kind", ["gcs"])
def test_deletes_and_overwrites_leave_nothing_behind(app, client, rita, version, store_kind):
    base, model, _v = version
    for name in ("a.bin", "b.bin", "c.bin"):
        assert client.put(f"{base}/artifacts/{name}", data=os.urandom(1000), headers=rita.headers).status_code == 201
    assert client.delete(f"{base}/artifacts/a.bin", headers=rita.headers).status_code == 204
    assert len(stored_keys(app)) == 2 and pending_rows(app) == []
    assert client.post(f"{base}/artifacts/delete", json={"paths": ["b.bin"]}, headers=rita.headers).status_code == 204
    assert stored_keys(app) == artifact_keys(app) and len(artifact_keys(app)) == 1
    before = artifact_keys(app)
    r = client.put(f"/api/v1/projects/proj/packages/ml_models/{_v['id']}/files/c.bin?overwrite=true",
                   data=b"new", headers=rita.headers)
    assert r.status_code in (200, 201), r.data
    assert stored_keys(app) == artifact_keys(app) != before and pending_rows(app) == []  # the old object went
    assert client.delete(f"/api/v1/projects/proj/models/{model['id']}", headers=rita.headers).status_code == 204
    assert stored_keys(app) == set() and artifact_keys(app) == set() and pending_rows(app) == []


def test_a_delete_that_dies_before_removing_the_object_leaves_it_named(app, client, rita, version, monkeypatch):
    """The keys a delete frees are committed with the deletion; the sweeper finishes the job."""
    from flask_modelregistry.services import ledger, sweeper

    base, _m, _v = version
    assert client.put(f"{base}/artifacts/a.bin", data=b"abc", headers=rita.headers).status_code == 201
    key, = artifact_keys(app)
    monkeypatch.setattr(ledger, "delete_objects", lambda keys: None)  # the process "dies" after the commit
    assert client.delete(f"{base}/artifacts/a.bin", headers=rita.headers).status_code == 204
    assert [(r.storage_key, r.purpose) for r in pending_rows(app)] == [(key, "delete")]
    assert stored_keys(app) == {key}
    monkeypatch.undo()
    with app.app_context():
        report = sweeper.sweep()
    assert report.deleted == [key]
    assert stored_keys(app) == set() and pending_rows(app) == []


def test_an_upload_the_sweeper_gave_up_fails_and_removes_its_object(app, rita, version):
    """A reservation the sweeper took as abandoned (no heartbeat for the grace period) cannot be
    completed afterwards: the late upload answers an error and keeps nothing."""
    import datetime as dt

    from flask_modelregistry.errors import StorageError
    from flask_modelregistry.services import artifacts, sweeper

    _base, _m, v = version

    class SweptMidway(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            if self.sent == 0:
                with app.app_context():
                    assert sweeper.sweep(grace=dt.timedelta(0)).abandoned  # the sweeper takes the key
            if self.sent >= 200_000:
                return b""
            self.sent += 100_000
            return b"y" * 100_000

    with app.app_context(), pytest.raises(StorageError):
        artifacts.upload_artifact("proj", actor_of(rita), v["run_id"], "late.bin",
                                  SweptMidway())
    assert stored_keys(app) == set() and artifact_keys(app) == set() and pending_rows(app) == []


@pytest.mark.parametrize("app_config", [{"MODEL_REGISTRY_STORAGE_GRACE_PERIOD": 0.3}])
def test_the_process_heartbeats_its_reservations_until_they_end(app, app_config):
    import time

    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import PendingObject
    from flask_modelregistry.services import ledger

    def beat():
        value = db.session.scalar(sa.select(PendingObject.heartbeat_at))
        db.session.commit()
        return value

    with app.app_context():
        ledger.reserve(["runs/x/1"], project="proj", hold=True)
        first = beat()
        deadline = time.time() + 10  # the heartbeat thread beats every 0.1 s, once it is scheduled
        while beat() == first and time.time() < deadline:
            time.sleep(0.05)
        assert beat() > first  # refreshed while held, with no byte read
        ledger.release(["runs/x/1"])
        ledger.reserve(["runs/x/2"])  # not held: its caller heartbeats it, or it goes stale
        before = beat()
        time.sleep(0.3)
        assert beat() == before
        ledger.release(["runs/x/2"])


def test_keep_alive_refreshes_a_reservation_while_its_bytes_are_read(app):
    import time

    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import PendingObject
    from flask_modelregistry.services import ledger

    with app.app_context():
        ledger.reserve(["runs/x/3"], project="proj")
        first = db.session.scalar(sa.select(PendingObject.heartbeat_at))
        db.session.commit()
        stream = ledger.keep_alive(io.BytesIO(b"z" * 10), "runs/x/3", interval=0.01)
        time.sleep(0.05)
        assert stream.read(5) == b"zzzzz"
        assert db.session.scalar(sa.select(PendingObject.heartbeat_at)) > first
        ledger.release(["runs/x/3"])


def test_keep_alive_refreshes_a_part_received_into_buffers(app, tmp_path):
    """A multipart part is received with ``readinto`` (straight from gunicorn's socket into the
    store's buffers): its reservation must be refreshed then as well, or the sweeper takes an
    upload whose part is still arriving for abandoned and deletes its file."""
    import time

    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import PendingObject
    from flask_modelregistry.services import ledger
    from flask_modelregistry.storage import LocalArtifactStore

    class Slow(io.RawIOBase):
        """A body that arrives a piece at a time, read only with ``readinto``."""

        def __init__(self, data: bytes) -> None:
            self.data, self.pos = data, 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            time.sleep(0.02)
            n = min(len(buffer), 65536, len(self.data) - self.pos)
            buffer[:n] = self.data[self.pos:self.pos + n]
            self.pos += n
            return n

        def read(self, size: int = -1) -> bytes:
            raise AssertionError("received with readinto only")

    data = os.urandom(1024 * 1024)
    with app.app_context():
        ledger.reserve(["runs/x/4"], project="proj")
        first = db.session.scalar(sa.select(PendingObject.heartbeat_at))
        db.session.commit()
        store = LocalArtifactStore(tmp_path / "store")
        stream = ledger.keep_alive(Slow(data), "runs/x/4", interval=0.05)
        assert store.write_part("u4", 1, 2, stream, len(data)) == len(data)
        assert db.session.scalar(sa.select(PendingObject.heartbeat_at)) > first
        ledger.release(["runs/x/4"])

"""The sweeper and ``flask model-registry storage sweep/check``: what dead uploads and deletes
left goes after the grace period, what is alive or young stays; both stores, both databases."""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
import time

import pytest

from flask_modelregistry.storage import partial_tag

from .conftest import artifact_keys, pending_rows, stored_keys

HOUR = dt.timedelta(hours=1)


def _leftovers(app, store_kind):
    """An orphan object, a stale upload reservation with its object, a fresh reservation with
    its object (an upload in flight), and on the local store an abandoned ``.part``."""
    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import PendingObject, utcnow
    from flask_modelregistry.services import ledger
    from flask_modelregistry.storage import partial_tag

    with app.app_context():
        store = app.extensions["model_registry"].store
        store.write("runs/r/orphan", io.BytesIO(b"o" * 10))
        ledger.reserve(["runs/r/dead", "runs/r/alive"], project="proj")
        store.write("runs/r/dead", io.BytesIO(b"d" * 10))
        store.write("runs/r/alive", io.BytesIO(b"a" * 10))
        db.session.execute(sa.update(PendingObject).where(PendingObject.storage_key == "runs/r/dead")
                           .values(heartbeat_at=utcnow() - 2 * HOUR))
        # an upload whose heartbeat keeps coming while the test runs
        db.session.execute(sa.update(PendingObject).where(PendingObject.storage_key == "runs/r/alive")
                           .values(heartbeat_at=utcnow() + HOUR))
        db.session.commit()
        if store_kind == "local":
            (store.root / ".incoming").mkdir(exist_ok=True)
            part = store.root / ".incoming" / "abc.part"
            part.write_bytes(b"p" * 10)
            # the partial write of the upload in flight, stalled for longer than the grace period
            stalled = store.root / ".incoming" / f"{partial_tag('runs/r/alive')}-1.part"
            stalled.write_bytes(b"s" * 10)
            old = (utcnow() - 2 * HOUR).timestamp()
            os.utime(part, (old, old))
            os.utime(stalled, (old, old))
            for key in ("runs/r/orphan", "runs/r/alive"):
                os.utime(store.local_path(key), (old, old))
        else:  # GCS sets the times itself: let the objects grow older than a grace of one second
            time.sleep(1.1)


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_check_reports_and_sweep_removes_only_what_is_abandoned(app, client, rita, version, store_kind):
    base, _m, _v = version
    assert client.put(f"{base}/artifacts/kept.bin", data=b"k" * 100, headers=rita.headers).status_code == 201
    kept, = artifact_keys(app)
    _leftovers(app, store_kind)
    runner = app.test_cli_runner()
    grace = "3600" if store_kind == "local" else "1"
    result = runner.invoke(args=["model-registry", "storage", "check", "--grace", grace])
    assert result.exit_code == 1, result.output
    lines = result.stdout.strip().splitlines()
    assert "object without a row: runs/r/orphan" in result.output
    assert any(line.startswith("abandoned upload: runs/r/dead") for line in lines)
    if store_kind == "local":
        assert "abandoned partial write: .incoming/abc.part" in result.output
    assert "runs/r/alive" not in result.output and kept not in result.output
    assert len(lines) == 2 + (store_kind == "local")

    result = runner.invoke(args=["model-registry", "storage", "sweep", "--grace", grace])
    assert result.exit_code == 0, result.output
    assert "Deleted runs/r/orphan (no row names it)" in result.output
    assert "Deleted runs/r/dead (abandoned upload)" in result.output
    # the upload in flight (fresh heartbeat, old bytes) and the recorded file stay
    assert stored_keys(app) == {kept, "runs/r/alive"}
    assert [r.storage_key for r in pending_rows(app)] == ["runs/r/alive"]
    with app.app_context():
        parts = [p.key for p in app.extensions["model_registry"].store.list_partial()]
        assert parts == ([] if store_kind == "gcs" else [f".incoming/{partial_tag('runs/r/alive')}-1.part"])
        for key in parts:
            app.extensions["model_registry"].store.delete_partial(key)
        from flask_modelregistry.services import ledger
        ledger.discard(["runs/r/alive"])
    result = runner.invoke(args=["model-registry", "storage", "check"])
    assert result.exit_code == 0 and "Storage is consistent" in result.output, result.output
    assert runner.invoke(args=["model-registry", "storage", "sweep"]).output.strip() == "Nothing to sweep"


def test_young_leftovers_stay_until_the_grace_period_is_over(app, rita, version):
    from flask_modelregistry.services import sweeper

    with app.app_context():
        store = app.extensions["model_registry"].store
        store.write("runs/r/young", io.BytesIO(b"y"))
        (store.root / ".incoming" / "young.part").write_bytes(b"p")
        assert sweeper.sweep(grace=HOUR).lines() == ["Nothing to sweep"]
        assert {f.kind for f in sweeper.check(grace=HOUR)} == {"orphan"}  # check names every orphan
        assert sweeper.sweep(grace=dt.timedelta(0)).orphans == ["runs/r/young"]
    assert stored_keys(app) == set()


def test_check_reports_a_row_whose_object_is_missing(app, client, rita, version):
    base, _m, _v = version
    assert client.put(f"{base}/artifacts/gone.bin", data=b"g", headers=rita.headers).status_code == 201
    key, = artifact_keys(app)
    with app.app_context():
        app.extensions["model_registry"].store.delete(key)
    result = app.test_cli_runner().invoke(args=["model-registry", "storage", "check"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(f"row without an object: {key} (run ")
    assert "gone.bin" in result.output


def test_one_sweeper_at_a_time_holds_the_store(app):
    """A second sweeper finds the lease held and does nothing; once released, it sweeps."""
    from flask_modelregistry.services import sweeper

    with app.app_context():
        store = app.extensions["model_registry"].store
        lease = sweeper._Lease(sweeper._lease_name(store))
        assert lease.claim()
        store.write("runs/r/orphan", io.BytesIO(b"o"))
        seen = []
        worker = threading.Thread(target=lambda: seen.append(_sweep_in(app)))
        worker.start()
        worker.join()
        assert seen[0].skipped and stored_keys(app) == {"runs/r/orphan"}
        result = app.test_cli_runner().invoke(args=["model-registry", "storage", "sweep", "--grace", "0"])
        assert result.exit_code == 75 and "Another sweeper" in result.output
        lease.release()
        assert sweeper.sweep(grace=dt.timedelta(0)).orphans == ["runs/r/orphan"]


def _sweep_in(app):
    from flask_modelregistry.services import sweeper

    with app.app_context():
        return sweeper.sweep(grace=dt.timedelta(0))


@pytest.mark.parametrize("store_kind", ["gcs"])
def test_an_upload_whose_process_died_on_gcs_leaves_no_object_and_its_reservation_goes(app, store_kind):
    """The process dies with its resumable session open (two chunks sent, never finalised): no object
    appears, and the sweep after the grace period removes the reservation."""
    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import PendingObject, utcnow
    from flask_modelregistry.services import ledger, sweeper

    with app.app_context():
        store = app.extensions["model_registry"].store
        ledger.reserve(["runs/r/cut"], project="proj")
        writer = store.bucket.blob(store._name("runs/r/cut"), chunk_size=store.chunk_size).open(
            "wb", chunk_size=store.chunk_size, if_generation_match=0, ignore_flush=True)
        writer.write(os.urandom(2 * store.chunk_size + 10))  # two chunks reach the bucket's session
        writer._buffer.close()  # what a SIGKILL leaves: no finalising request is ever sent
        assert stored_keys(app) == set()
        db.session.execute(sa.update(PendingObject).values(heartbeat_at=utcnow() - 2 * HOUR))
        db.session.commit()
        assert [f.kind for f in sweeper.check()] == ["abandoned"]
        assert sweeper.sweep().abandoned == ["runs/r/cut"]
        assert sweeper.check() == [] and pending_rows(app) == [] and stored_keys(app) == set()

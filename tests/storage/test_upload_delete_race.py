"""Uploads racing the delete of their model: every object left in the store has its row (none,
once the model is gone), and the delete never answers 503 (no deadlock between the two)."""
from __future__ import annotations

import concurrent.futures
import os
import random
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

P = "/api/v1/projects/proj"
ROUNDS = 6
UPLOADS = 4
SIZE = 2 * 1024 * 1024


def _objects_on_disk(root: Path) -> set[str]:
    """What the local store holds, read from the folder itself."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] != ".incoming"}


def test_uploads_racing_a_model_delete_leave_no_object_without_a_row(live_server, app, rita, storage_uri):
    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import Artifact

    base = live_server.url + P
    data = os.urandom(SIZE)
    sessions = [requests.Session() for _ in range(UPLOADS + 1)]
    codes: list[int] = []
    delete_codes: list[int] = []
    for round_ in range(ROUNDS):
        model = sessions[0].post(f"{base}/models", json={"name": f"raced-{round_}"}, headers=rita.headers).json()
        v = sessions[0].post(f"{base}/models/{model['id']}/versions", json={"version": "1.0.0"},
                             headers=rita.headers).json()
        files = f"{base}/models/{model['id']}/versions/{v['id']}/artifacts"
        start = threading.Barrier(UPLOADS + 1)

        def upload(i: int) -> int:
            start.wait()
            return sessions[i].put(f"{files}/part-{i}.bin", data=data, headers=rita.headers, timeout=60).status_code

        def delete() -> int:
            start.wait()
            time.sleep(random.uniform(0.0, 0.08))  # lands while the uploads stream or record
            return sessions[UPLOADS].delete(f"{base}/models/{model['id']}", headers=rita.headers,
                                            timeout=60).status_code

        with concurrent.futures.ThreadPoolExecutor(UPLOADS + 1) as pool:
            uploads = [pool.submit(upload, i) for i in range(UPLOADS)]
            deleted = pool.submit(delete)
            codes += [f.result() for f in uploads]
            delete_codes.append(deleted.result())
    with app.app_context():
        rows = set(db.session.scalars(sa.select(Artifact.storage_key)))
    left = _objects_on_disk(Path(storage_uri))
    assert (len(left), rows, delete_codes) == (0, set(), [204] * ROUNDS), \
        f"{len(left)} objects without a row after {ROUNDS} rounds; deletes answered {delete_codes}"
    assert set(codes) <= {201, 404}, codes  # an upload that lost the race: its run is gone


@pytest.mark.parametrize("change", ["upload", "file delete"])
def test_a_file_change_while_its_model_is_deleted_takes_the_locks_in_the_deletes_order(app, backend, rita,
                                                                                      monkeypatch, change):
    """The delete locks the model's versions, then their runs, then deletes their files; an upload
    being recorded locks its run (shared), a file delete its file's row, and each then writes its
    version's row. Stopped right there while the model's delete waits for what it holds, the two
    would wait for each other: PostgreSQL kills one (a deadlock, run again, and a 503 once the
    attempts are spent under load). The file change must take the version first."""
    import io

    from flask_modelregistry.services import artifacts
    from flask_modelregistry.errors import NotFound

    from .conftest import actor_of, pause_at_touch, wait_for_lock_waiter

    if backend != "postgresql":
        pytest.skip("SQLite takes one write lock per transaction: no deadlock")
    client = app.test_client()
    model = client.post(f"{P}/models", json={"name": "locks"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    files = f"{P}/models/{model['id']}/versions/{v['id']}/artifacts"
    assert client.put(f"{files}/old.bin", data=b"o", headers=rita.headers).status_code == 201
    recording, go_on, sqlstates = pause_at_touch(monkeypatch)
    results: dict[str, object] = {}

    def upload() -> None:
        with app.app_context():
            try:
                if change == "upload":
                    results["upload"] = artifacts.upload_artifact("proj", actor_of(rita), v["run_id"], "a.bin",
                                                                  io.BytesIO(b"x" * 100)).path
                else:
                    results["upload"] = artifacts.delete_artifacts("proj", actor_of(rita), v["run_id"], ["old.bin"])
            except NotFound as exc:  # the delete went first
                results["upload"] = exc
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                results["upload"] = repr(exc)

    def delete() -> None:
        results["delete"] = app.test_client().delete(f"{P}/models/{model['id']}", headers=rita.headers).status_code

    uploader = threading.Thread(target=upload)
    uploader.start()
    assert recording.wait(30)
    deleter = threading.Thread(target=delete)
    deleter.start()
    try:
        wait_for_lock_waiter(app)  # the delete now waits for what the paused change holds
    finally:
        go_on.set()
    uploader.join(60)
    deleter.join(60)
    assert results["delete"] == 204, results
    # the change either went first (the path it uploaded, the paths it deleted) or found its run gone
    normal = "a.bin" if change == "upload" else ["old.bin"]
    assert results.get("upload", "never ended") == normal or isinstance(results.get("upload"), NotFound), results
    assert "40P01" not in sqlstates, sqlstates  # no deadlock was broken by the database

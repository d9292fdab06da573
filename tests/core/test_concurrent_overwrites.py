"""Concurrent overwrites of one file (the MLflow artifact API, the package API's
``?overwrite=true``): every upload succeeds, the last to commit is the file, and the store keeps
exactly one object for it, on SQLite and on PostgreSQL."""
from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path

import requests

P = "/api/v1/projects/proj"
WRITERS = 6


def _overwrite_at_once(url: str, headers: dict) -> tuple[list[int], list[bytes]]:
    barrier = threading.Barrier(WRITERS)
    sessions = [requests.Session() for _ in range(WRITERS)]
    bodies = [f"writer {i}".encode() * (i + 1) for i in range(WRITERS)]

    def put(i: int) -> int:
        barrier.wait()
        return sessions[i].put(url, data=bodies[i], headers=headers, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(put, range(WRITERS))), bodies


def test_concurrent_overwrites_all_succeed_and_keep_one_object(live_server, rita):
    base = live_server.url + P
    model = requests.post(f"{base}/models", json={"name": "overwritten"}, headers=rita.headers).json()
    version = requests.post(f"{base}/models/{model['id']}/versions", json={"version": "1.0.0"},
                            headers=rita.headers).json()
    files = f"{base}/packages/ml_models/{version['id']}/files/model.bin"
    run_folder = Path(live_server.app.config["MODEL_REGISTRY_STORAGE_URI"]) / "runs" / version["run_id"]
    for _round in range(8):
        codes, bodies = _overwrite_at_once(files + "?overwrite=true", rita.headers)
        assert codes == [201] * WRITERS, codes
        download = requests.get(files, headers=rita.headers)
        assert download.status_code == 200 and download.content in bodies
        listing = requests.get(f"{base}/models/{model['id']}/versions/{version['id']}/artifacts",
                               headers=rita.headers).json()
        assert [(a["path"], a["size"]) for a in listing["items"]] == [("model.bin", len(download.content))]
        assert len([p for p in run_folder.iterdir() if p.is_file()]) == 1


def test_a_delete_racing_overwrites_leaves_no_object_behind(live_server, rita):
    """A delete takes away the object its row names when deleted, not when read: an overwrite
    committing in between must not leave its new object without a row."""
    base = live_server.url + P
    model = requests.post(f"{base}/models", json={"name": "raced-delete"}, headers=rita.headers).json()
    version = requests.post(f"{base}/models/{model['id']}/versions", json={"version": "1.0.0"},
                            headers=rita.headers).json()
    files = f"{base}/packages/ml_models/{version['id']}/files/model.bin"
    delete = f"{base}/models/{model['id']}/versions/{version['id']}/artifacts/model.bin"
    listing = f"{base}/models/{model['id']}/versions/{version['id']}/artifacts"
    run_folder = Path(live_server.app.config["MODEL_REGISTRY_STORAGE_URI"]) / "runs" / version["run_id"]
    for _round in range(10):
        assert requests.put(files + "?overwrite=true", data=b"seed", headers=rita.headers).status_code == 201
        barrier = threading.Barrier(4)
        sessions = [requests.Session() for _ in range(4)]

        def act(i: int) -> int:
            barrier.wait()
            if i == 0:
                return sessions[i].delete(delete, headers=rita.headers, timeout=60).status_code
            return sessions[i].put(files + "?overwrite=true", data=b"x" * i, headers=rita.headers,
                                   timeout=60).status_code

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(act, range(4)))
        assert codes[0] == 204 and codes[1:] == [201] * 3, codes
        rows = requests.get(listing, headers=rita.headers).json()["total"]
        objects = len([p for p in run_folder.iterdir() if p.is_file()]) if run_folder.exists() else 0
        assert objects == rows, (objects, rows)

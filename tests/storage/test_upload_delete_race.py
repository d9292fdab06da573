"""Uploads racing the delete of their model: every object left in the store has its row (none,
once the model is gone), and the delete never answers 503 (no deadlock between the two)."""
from __future__ import annotations

import concurrent.futures
import os
import random
import threading
import time
from pathlib import Path

import requests

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

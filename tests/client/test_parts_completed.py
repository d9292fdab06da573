"""A multipart upload once completed is the recorded file's: aborting it afterwards (MLflow's client
aborts after any error of a complete, and its session retries a POST that timed out) succeeds and
deletes nothing, a repeated complete answers the recorded file, and of completes sent at once
exactly one assembles the file (real threads against the app on a port, both databases). On the
local folder (parts to this server) and on GCS that signs (parts straight to the bucket)."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
import urllib.parse

import pytest
import requests
import sqlalchemy as sa

from ..support import pending_and_stored

MiB = 1024 * 1024
STORES = ["local", "gcs"]


@pytest.fixture
def app_config(store_kind, gcs_signing_key) -> dict:
    return {"MODEL_REGISTRY_GCS_SIGNING_KEY": gcs_signing_key} if store_kind == "gcs" else {}


class Api:
    def __init__(self, base: str, headers: dict, churn: int) -> None:
        self.base, self.headers = base, headers
        model = f"{base}/api/v1/projects/proj/models/{churn}"
        version = requests.post(f"{model}/versions", json={"version": "2.0.0"}, headers=headers, timeout=30).json()
        self.files = f"{base}/api/v1/projects/proj/packages/ml_models/{version['id']}"

    def create(self, path: str, body: bytes, part_size: int) -> tuple[str, list[dict]]:
        created = requests.post(f"{self.files}/uploads", json={"path": path, "size": len(body), "part_size": part_size},
                                headers=self.headers, timeout=30)
        assert created.status_code == 201, created.text
        parts = []
        for n, part in enumerate(created.json()["parts"]):
            sent = requests.put(part["url"], data=body[n * part_size:(n + 1) * part_size], headers=part["headers"],
                                timeout=60)
            assert sent.status_code == 200, sent.text
            etag = sent.json()["etag"] if not created.json()["direct"] else sent.headers.get("ETag", "")
            parts.append({"part_number": part["part_number"], "etag": etag or ""})
        return created.json()["upload_id"], parts

    def complete(self, upload_id: str, parts: list[dict], session: requests.Session | None = None):
        return (session or requests).post(f"{self.files}/uploads/complete", json={"upload_id": upload_id, "parts": parts},
                                          headers=self.headers, timeout=60)

    def abort(self, upload_id: str):
        return requests.post(f"{self.files}/uploads/abort", json={"upload_id": upload_id}, headers=self.headers,
                             timeout=30)

    def get(self, path: str):
        return requests.get(f"{self.files}/files/{path}", headers=self.headers, timeout=60)


@pytest.fixture
def api(live_server, rita, churn) -> Api:
    return Api(live_server.url, rita.headers, churn)


@pytest.mark.parametrize("store_kind", STORES)
def test_aborting_a_completed_upload_keeps_the_file(api, live_server, store_kind):
    body = b"hello"
    upload_id, parts = api.create("a.bin", body, 5)
    done = api.complete(upload_id, parts)
    assert done.status_code == 201, done.text
    assert api.get("a.bin").content == body
    aborted = api.abort(upload_id)
    assert aborted.status_code == 204, aborted.text
    got = api.get("a.bin")
    assert got.status_code == 200 and got.content == body
    # completing again (a retried POST) answers the recorded file
    again = api.complete(upload_id, parts)
    assert again.status_code == 201, again.text
    assert again.json() == done.json()
    pending, objects = pending_and_stored(live_server.app)
    assert pending == [] and len(objects) == 1


@pytest.mark.parametrize("store_kind", STORES)
def test_discarding_a_recorded_key_deletes_nothing(api, live_server, store_kind):
    from flask_modelregistry.models import Artifact
    from flask_modelregistry.services import ledger
    from example_app.models import db

    upload_id, parts = api.create("b.bin", b"kept", 5)
    assert api.complete(upload_id, parts).status_code == 201
    with live_server.app.app_context():
        key = db.session.scalar(sa.select(Artifact.storage_key).where(Artifact.path.like("%b.bin")))
        ledger.discard([key])
    assert api.get("b.bin").content == b"kept"
    assert pending_and_stored(live_server.app)[1] == [key]


@pytest.mark.parametrize("store_kind", STORES)
def test_concurrent_completes_assemble_the_file_once(api, live_server, store_kind):
    body = bytes(range(256)) * (12 * MiB // 256)  # 3 parts of 5 MiB, the last smaller
    upload_id, parts = api.create("c.bin", body, 5 * MiB)
    barrier = threading.Barrier(4)
    sessions = [requests.Session() for _ in range(4)]

    def fire(i: int) -> requests.Response:
        barrier.wait(timeout=30)
        return api.complete(upload_id, parts, sessions[i])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(fire, range(4)))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 503} and 201 in codes, [a.text for a in answers]
    assert len({str(sorted(a.json().items())) for a in answers if a.status_code == 201}) == 1
    # MLflow's client aborts after a failed complete: nothing is lost
    assert api.abort(upload_id).status_code == 204
    got = api.get("c.bin")
    assert got.status_code == 200 and got.content == body
    pending, objects = pending_and_stored(live_server.app)
    assert pending == [] and len(objects) == 1


@pytest.mark.parametrize("store_kind", ["gcs"])
def test_a_slow_direct_upload_lives_while_its_parts_arrive(api, live_server, store_kind, monkeypatch):
    """Parts sent straight to the bucket keep their upload alive past the grace period; an upload
    whose parts stopped arriving is swept. The part URLs last as long as the upload."""
    from flask_modelregistry.services import sweeper

    app = live_server.app
    monkeypatch.setitem(app.config, "MODEL_REGISTRY_STORAGE_GRACE_PERIOD", 2)
    body = b"p" * (10 * MiB + 3)
    created = requests.post(f"{api.files}/uploads", json={"path": "slow.bin", "size": len(body),
                                                          "part_size": 5 * MiB}, headers=api.headers, timeout=30)
    assert created.status_code == 201 and created.json()["direct"], created.text
    parts = created.json()["parts"]
    for part in parts:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(part["url"]).query)
        assert int(query["X-Goog-Expires"][0]) == app.config["MODEL_REGISTRY_MULTIPART_EXPIRY"]
        assert part["headers"]["x-goog-content-length-range"] == f"0,{5 * MiB}"
    reserved = pending_and_stored(app)[0]
    assert len(reserved) == 4  # the file and its 3 parts
    for n, part in enumerate(parts):
        threading.Event().wait(1.5)  # a slow client
        started = dt.datetime.now(dt.timezone.utc)
        sent = requests.put(part["url"], data=body[n * 5 * MiB:(n + 1) * 5 * MiB], headers=part["headers"],
                            timeout=60)
        assert sent.status_code == 200
        # a sweep whose grace period ended after the upload's last heartbeat but before its newest part
        with app.app_context():
            report = sweeper.sweep(grace=dt.datetime.now(dt.timezone.utc) - started + dt.timedelta(seconds=0.5))
        assert report.abandoned == [] and sorted(report.arriving) == reserved, report
    done = api.complete(created.json()["upload_id"], [{"part_number": n, "etag": ""} for n in (1, 2, 3)])
    assert done.status_code == 201, done.text
    assert api.get("slow.bin").content == body
    assert pending_and_stored(app)[0] == []


@pytest.mark.parametrize("store_kind", ["gcs"])
def test_an_upload_whose_parts_stopped_is_swept(api, live_server, store_kind):
    from flask_modelregistry.services import sweeper

    app = live_server.app
    created = requests.post(f"{api.files}/uploads", json={"path": "gone.bin", "size": 10 * MiB,
                                                          "part_size": 5 * MiB}, headers=api.headers, timeout=30)
    part = created.json()["parts"][0]
    assert requests.put(part["url"], data=b"x" * 5 * MiB, headers=part["headers"], timeout=60).status_code == 200
    with app.app_context():
        report = sweeper.sweep(grace=dt.timedelta(0))
    assert len(report.abandoned) == 3 and report.arriving == []
    assert pending_and_stored(app) == ([], [])


@pytest.mark.parametrize("store_kind", STORES)
def test_a_part_size_past_the_largest_file_is_refused(api, live_server, store_kind):
    max_size = live_server.app.config["MODEL_REGISTRY_MAX_FILE_SIZE"]
    refused = requests.post(f"{api.files}/uploads", json={"path": "h.bin", "size": 10, "part_size": max_size + 1},
                            headers=api.headers, timeout=30)
    assert refused.status_code == 422 and "part_size" in refused.json()["error"]["fields"], refused.text
    assert pending_and_stored(live_server.app) == ([], [])

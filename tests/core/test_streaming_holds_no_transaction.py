"""While the bytes of an upload or a download flow, no database connection of the app sits
"idle in transaction" (holding locks and a snapshot for as long as a multi-GB transfer takes)."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import sqlalchemy as sa

P = "/api/v1/projects/proj"


def _idle_in_transaction(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.text(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")))
    finally:
        engine.dispose()


def test_no_transaction_is_held_while_bytes_flow(live_server, rita, database_url, backend):
    if backend != "postgresql":
        pytest.skip("pg_stat_activity shows PostgreSQL's connections only")
    base = live_server.url + P
    model = requests.post(f"{base}/models", json={"name": "streamed"}, headers=rita.headers).json()
    version = requests.post(f"{base}/models/{model['id']}/versions", json={"version": "1.0.0"},
                            headers=rita.headers).json()
    uploads = [f"{base}/models/{model['id']}/versions/{version['id']}/artifacts/api.bin",
               f"{base}/packages/ml_models/{version['id']}/files/package.bin",
               f"{base}/ml/mlflow/api/2.0/mlflow-artifacts/artifacts/0/{version['run_id']}/artifacts/mlflow.bin"]
    for url in uploads:
        flowing = threading.Event()

        def slow_body():
            for _ in range(5):
                yield b"x" * 64 * 1024
                flowing.set()
                time.sleep(0.2)

        answer: list[int] = []
        sender = threading.Thread(target=lambda: answer.append(
            requests.put(url, data=slow_body(), headers=rita.headers, timeout=60).status_code))
        sender.start()
        flowing.wait(10)
        time.sleep(0.3)
        assert _idle_in_transaction(database_url) == [], url
        sender.join()
        assert answer and answer[0] in (200, 201), (url, answer)
    with requests.get(uploads[0], headers=rita.headers, stream=True, timeout=60) as download:
        first = next(download.iter_content(1024))
        assert first == b"x" * 1024 and _idle_in_transaction(database_url) == []

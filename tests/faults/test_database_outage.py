"""The database stopped and started while requests run: during the outage every door answers 503
in its own shape with ``Retry-After`` (never 500), and afterwards the same app works again,
without a restart. The server is the test's own PostgreSQL; the app runs under gunicorn."""
from __future__ import annotations

import concurrent.futures
import itertools
import re
import threading
import time

import pytest
import requests

from .conftest import serve_with_gunicorn

P = "/api/v1/projects/proj"


@pytest.fixture
def served(own_postgres, tmp_path):
    yield from serve_with_gunicorn(tmp_path, own_postgres.url, str(tmp_path / "artifacts"))


def _page_session(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    answer = browser.post(f"{base}/login", data={"username": "rita", "password": "rita", "csrf_token": token},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return browser


def _doors(base: str, headers: dict, browser: requests.Session, model_id: int, version_id: int):
    """One request per door, each of which reads the database (the access check at least)."""
    tracking = f"{base}{P}/ml/mlflow/api/2.0/mlflow"
    number = itertools.count(100)
    return {
        "json read": lambda: requests.get(f"{base}{P}/models", headers=headers, timeout=60),
        "json write": lambda: requests.post(f"{base}{P}/models/{model_id}/versions",
                                            json={"version": f"{next(number)}.0.0"}, headers=headers, timeout=60),
        "mlflow": lambda: requests.get(f"{tracking}/registered-models/search", headers=headers, timeout=60),
        "package": lambda: requests.get(f"{base}{P}/packages/ml_models/{version_id}/files", headers=headers,
                                        timeout=60),
        "page": lambda: browser.get(f"{base}/projects/proj/models/{model_id}", timeout=60, allow_redirects=False),
    }


def _check_unavailable(name: str, answer: requests.Response) -> None:
    assert answer.status_code == 503, (name, answer.status_code, answer.text[:300])
    assert int(answer.headers["Retry-After"]) > 0, name
    if name.startswith("json") or name == "package":
        assert answer.json()["error"]["code"] == "unavailable", name
    elif name == "mlflow":
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    else:
        assert "text/html" in answer.headers["Content-Type"]


def test_stopped_database_answers_503_and_the_app_recovers(own_postgres, served):
    base, headers = served.url, served.headers
    model = requests.post(f"{base}{P}/models", json={"name": "outage"}, headers=headers, timeout=60).json()
    version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=headers,
                            timeout=60).json()
    browser = _page_session(base)
    doors = _doors(base, headers, browser, model["id"], version["id"])
    for name, call in doors.items():  # every door works, and the workers' pools hold connections
        answer = call()
        assert answer.status_code in (200, 201), (name, answer.status_code, answer.text[:300])

    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def load() -> None:  # requests keep coming through the outage
        for name, call in itertools.cycle(doors.items()):
            if stop.is_set():
                return
            try:
                seen.append((name, call().status_code))
            except requests.RequestException:
                seen.append((name, -1))

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        loaders = [pool.submit(load) for _ in range(2)]
        try:
            time.sleep(0.5)
            own_postgres.stop()
            try:
                for _round in range(2):  # stale pooled connections first, then refused connections
                    for name, call in doors.items():
                        _check_unavailable(name, call())
            finally:
                own_postgres.start()
            deadline = time.monotonic() + 60  # the server's start, on a loaded machine
            while time.monotonic() < deadline:
                if requests.get(f"{base}{P}/models", headers=headers, timeout=60).status_code == 200:
                    break
                time.sleep(0.2)
            time.sleep(0.5)
        finally:
            stop.set()
        for loader in loaders:
            loader.result(timeout=60)

    codes = {code for _name, code in seen}
    unexpected = sorted({(name, code) for name, code in seen if code not in (200, 201, 503)})
    assert codes <= {200, 201, 503}, (unexpected, served.log_tail())
    assert 503 in codes  # the load really ran into the outage
    for _round in range(3):  # the same app answers on every worker again, no restart
        for name, call in doors.items():
            answer = call()
            assert answer.status_code in (200, 201), (name, answer.status_code, answer.text[:300])

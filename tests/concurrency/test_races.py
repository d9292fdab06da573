"""Concurrent clients against the app served on a port (threads) on SQLite and PostgreSQL:
replace-writes keep one body whole, writes racing a delete answer 2xx or 404 (never a 500 or a
wrong 409), concurrent MLflow creations all succeed with distinct numbers, and numbers are
never reused."""
from __future__ import annotations

import concurrent.futures
import re
import threading
import typing as t

import pytest
import requests

P = "/api/v1/projects/proj"
MLFLOW = P + "/ml/mlflow/api/2.0/mlflow"
N = 20


def burst(calls: t.Sequence[t.Callable[[requests.Session], requests.Response]]) -> list[requests.Response]:
    """Run the calls at once, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    sessions = [requests.Session() for _ in calls]

    def fire(i: int) -> requests.Response:
        barrier.wait(timeout=30)
        return calls[i](sessions[i])

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, range(len(calls))))


def codes(responses: t.Sequence[requests.Response]) -> list[int]:
    return [r.status_code for r in responses]


@pytest.fixture
def api(live_server, rita):
    base = live_server.url

    def new_version(model_name: str = "m") -> tuple[dict, dict]:
        model = requests.post(f"{base}{P}/models", json={"name": model_name}, headers=rita.headers, timeout=30).json()
        version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={}, headers=rita.headers,
                                timeout=30).json()
        return model, version

    return base, rita.headers, new_version


@pytest.mark.parametrize("kind", ["metadata", "params", "datasets"])
def test_concurrent_replacements_keep_one_body_whole(api, kind):
    base, headers, new_version = api
    model, version = new_version()
    url = f"{base}{P}/models/{model['id']}/versions/{version['id']}/{kind}"
    if kind == "datasets":
        bodies = [[{"name": f"d{i}-a", "uri": f"gs://b/{i}/a", "role": "training"},
                   {"name": f"d{i}-b", "uri": f"gs://b/{i}/b", "role": "test"}] for i in range(N)]
    else:
        bodies = [{f"k{i}-a": f"v{i}", f"k{i}-b": f"w{i}"} for i in range(N)]
    answers = burst([lambda s, body=body: s.put(url, json=body, headers=headers, timeout=60) for body in bodies])
    assert all(200 <= c < 300 for c in codes(answers)), [(r.status_code, r.text[:200]) for r in answers]
    stored = requests.get(f"{base}{P}/models/{model['id']}/versions/{version['id']}"
                          + ("/datasets" if kind == "datasets" else ""), headers=headers, timeout=30).json()
    if kind == "datasets":
        items = stored["items"] if isinstance(stored, dict) else stored
        names = sorted(d["name"] for d in items)
        assert names in [sorted(d["name"] for d in body) for body in bodies], names
    else:
        assert stored[kind] in bodies, stored[kind]


def _login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = s.post(f"{base}/login", data={"username": username, "password": username, "csrf_token": token},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302
    return s


ROUNDS = 2


def test_mlflow_set_tag_racing_a_version_delete(api):
    base, headers, _ = api
    requests.post(f"{base}{MLFLOW}/registered-models/create", json={"name": "m"}, headers=headers, timeout=30)
    for _round in range(ROUNDS):
        number = requests.post(f"{base}{MLFLOW}/model-versions/create", json={"name": "m", "source": "s3://b/x"},
                               headers=headers, timeout=30).json()["model_version"]["version"]
        calls = [lambda s: s.delete(f"{base}{MLFLOW}/model-versions/delete", json={"name": "m", "version": number},
                                    headers=headers, timeout=60)]
        calls += [lambda s, i=i: s.post(f"{base}{MLFLOW}/model-versions/set-tag", json={
            "name": "m", "version": number, "key": f"k{i}", "value": "v"}, headers=headers, timeout=60)
            for i in range(6)]
        answers = burst(calls)
        assert answers[0].status_code == 200, answers[0].text
        assert set(codes(answers[1:])) <= {200, 404}, [(r.status_code, r.text[:200]) for r in answers]


def test_page_delete_racing_other_deletes_and_goal_changes(api, live_server):
    base, headers, new_version = api
    page = _login(base, "rita")
    for round_ in range(ROUNDS):
        model, version = new_version(f"m{round_}")
        v_url = f"{P}/models/{model['id']}/versions/{version['id']}"
        page_url = f"{base}/projects/proj/models/{model['id']}/versions/{version['id']}/delete"
        confirm = page.get(page_url, timeout=30)
        assert confirm.status_code == 200, confirm.text[:300]
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
        calls = [lambda s: page.post(page_url, data={"csrf_token": csrf}, allow_redirects=False, timeout=60),
                 lambda s: s.delete(f"{base}{v_url}", headers=headers, timeout=60),
                 lambda s: s.post(f"{base}{v_url}/metrics", json=[{"key": "acc", "value": 0.5}],
                                  headers=headers, timeout=60),
                 lambda s: s.put(f"{base}{v_url}/artifacts/model.bin", data=b"x" * 1000, headers=headers,
                                 timeout=60),
                 lambda s: s.put(f"{base}{v_url}/metadata", json={"a": "b"}, headers=headers, timeout=60),
                 lambda s: s.put(f"{base}{P}/models/{model['id']}/metric-goals/acc", json={"goal": "max"},
                                 headers=headers, timeout=60),
                 lambda s: s.delete(f"{base}{P}/models/{model['id']}", headers=headers, timeout=60)]
        answers = burst(calls)
        got = codes(answers)
        detail = [(r.request.method, r.url[-60:], r.status_code, r.text[:200]) for r in answers]
        assert got[0] in (302, 404), detail
        assert got[1] in (204, 404) and got[6] in (204, 404), detail
        assert got[2] in (200, 201, 204, 404) and got[3] in (201, 404), detail
        assert got[4] in (200, 404) and got[5] in (200, 404), detail
        assert requests.get(f"{base}{P}/models/{model['id']}", headers=headers, timeout=30).status_code == 404


def test_concurrent_mlflow_creations_all_succeed_with_distinct_numbers(api):
    base, headers, _ = api
    requests.post(f"{base}{MLFLOW}/registered-models/create", json={"name": "m"}, headers=headers, timeout=30)
    answers = burst([lambda s: s.post(f"{base}{MLFLOW}/model-versions/create",
                                      json={"name": "m", "source": "s3://bucket/model"}, headers=headers, timeout=60)
                     for _ in range(N)])
    assert codes(answers) == [200] * N, [r.text[:200] for r in answers if r.status_code != 200]
    versions = [r.json()["model_version"] for r in answers]
    assert sorted(int(v["version"]) for v in versions) == list(range(1, N + 1))
    semvers = {v["tags"][0]["value"] if isinstance(v.get("tags"), list) else None for v in versions}
    assert len(semvers) == N or semvers == {None}


def test_version_numbers_are_never_reused(api):
    base, headers, _ = api
    requests.post(f"{base}{MLFLOW}/registered-models/create", json={"name": "m"}, headers=headers, timeout=30)

    def create() -> str:
        r = requests.post(f"{base}{MLFLOW}/model-versions/create", json={"name": "m", "source": "s3://b/x"},
                          headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["model_version"]["version"]

    assert [create() for _ in range(3)] == ["1", "2", "3"]
    for number in ("1", "3"):
        r = requests.delete(f"{base}{MLFLOW}/model-versions/delete", json={"name": "m", "version": number},
                            headers=headers, timeout=30)
        assert r.status_code == 200
    assert create() == "4"
    # the semantic version chosen by the server follows the highest remaining one; a chosen one is
    # not shown as a tag (MLflow clients compare tags exactly) but finds the version
    got = requests.get(f"{base}{MLFLOW}/model-versions/get", params={"name": "m", "version": "3.0.0"},
                       headers=headers, timeout=30).json()["model_version"]
    assert got["version"] == "4"


def test_json_api_empty_version_is_422(api):
    base, headers, new_version = api
    model, _ = new_version()
    r = requests.post(f"{base}{P}/models/{model['id']}/versions", json={"version": ""}, headers=headers, timeout=30)
    assert r.status_code == 422 and "version" in r.json()["error"]["fields"]


def check_across_workers(base: str, headers: dict) -> None:
    """20 replacements of one version's metadata, 20 MLflow creations without a version and
    set-tags racing a delete, against several server processes (``tests/core/test_concurrency``
    runs it on two gunicorn workers sharing PostgreSQL)."""
    model = requests.post(f"{base}{P}/models", json={"name": "workers"}, headers=headers, timeout=30).json()
    version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={}, headers=headers, timeout=30).json()
    url = f"{base}{P}/models/{model['id']}/versions/{version['id']}/metadata"
    bodies = [{f"k{i}-a": f"v{i}", f"k{i}-b": f"w{i}"} for i in range(N)]
    answers = burst([lambda s, body=body: s.put(url, json=body, headers=headers, timeout=60) for body in bodies])
    assert codes(answers) == [200] * N, [r.text[:200] for r in answers if r.status_code != 200]
    stored = requests.get(f"{base}{P}/models/{model['id']}/versions/{version['id']}", headers=headers, timeout=30).json()
    assert stored["metadata"] in bodies

    answers = burst([lambda s: s.post(f"{base}{MLFLOW}/model-versions/create",
                                      json={"name": "workers", "source": "s3://bucket/model"}, headers=headers, timeout=60)
                     for _ in range(N)])
    assert codes(answers) == [200] * N, [r.text[:200] for r in answers if r.status_code != 200]
    assert sorted(int(r.json()["model_version"]["version"]) for r in answers) == list(range(2, N + 2))

    number = str(N + 1)
    calls = [lambda s: s.delete(f"{base}{MLFLOW}/model-versions/delete", json={"name": "workers", "version": number},
                                headers=headers, timeout=60)]
    calls += [lambda s, i=i: s.post(f"{base}{MLFLOW}/model-versions/set-tag", json={
        "name": "workers", "version": number, "key": f"k{i}", "value": "v"}, headers=headers, timeout=60) for i in range(8)]
    answers = burst(calls)
    assert answers[0].status_code == 200 and set(codes(answers[1:])) <= {200, 404}, codes(answers)

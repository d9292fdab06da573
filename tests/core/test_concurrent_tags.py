"""Clients setting the same new tag, parameter or alias at once (parallel MLflow logging, CI jobs)
all succeed: the database decides, in one statement, instead of the second insert failing on the
primary key with a 500. Parameters keep MLflow's rule: the same value again is fine."""
from __future__ import annotations

import concurrent.futures
import threading

import requests

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"
CLIENTS = 5


def _at_once(method: str, calls: list[tuple[str, dict]], headers: dict) -> list[int]:
    barrier = threading.Barrier(len(calls))
    sessions = [requests.Session() for _ in calls]

    def fire(i: int) -> int:
        url, body = calls[i]
        barrier.wait()
        return sessions[i].request(method, url, json=body, headers=headers, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, range(len(calls))))


def test_the_same_new_key_set_at_once_succeeds_for_everyone(live_server, rita):
    base = live_server.url
    model = requests.post(f"{base}{P}/models", json={"name": "tagged"}, headers=rita.headers).json()
    version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                            headers=rita.headers).json()
    run_id, sent = version["run_id"], [str(i) for i in range(CLIENTS)]
    for round_ in range(4):
        key = f"k{round_}"
        calls = {
            "runs/set-tag": [{"run_id": run_id, "key": key, "value": v} for v in sent],
            "runs/log-parameter": [{"run_id": run_id, "key": key, "value": "same"} for _ in sent],
            "runs/log-batch": [{"run_id": run_id, "params": [{"key": f"b{key}", "value": "same"}]} for _ in sent],
            "registered-models/set-tag": [{"name": "tagged", "key": key, "value": v} for v in sent],
            "model-versions/set-tag": [{"name": "tagged", "version": "1", "key": key, "value": v} for v in sent],
            "registered-models/alias": [{"name": "tagged", "version": "1", "alias": f"a{key}"} for _ in sent],
        }
        for path, bodies in calls.items():
            codes = _at_once("POST", [(f"{base}{T}/{path}", b) for b in bodies], rita.headers)
            assert codes == [200] * CLIENTS, (path, codes)
        params_url = f"{base}{P}/models/{model['id']}/versions/{version['id']}/params"
        codes = _at_once("PUT", [(params_url, {"replaced": v, key: v}) for v in sent], rita.headers)
        assert codes == [200] * CLIENTS, codes

    run = requests.get(f"{base}{T}/runs/get", params={"run_id": run_id}, headers=rita.headers).json()["run"]
    assert {t["key"]: t["value"] for t in run["data"]["tags"]}["k3"] in sent
    shown = requests.get(f"{base}{P}/models/{model['id']}/versions/{version['id']}", headers=rita.headers).json()
    assert set(shown["params"]) == {"replaced", "k3"} and shown["params"]["replaced"] == shown["params"]["k3"]
    assert shown["metadata"]["k3"] in sent and sorted(shown["aliases"]) == ["ak0", "ak1", "ak2", "ak3"]
    listed = requests.get(f"{base}{P}/models/{model['id']}", headers=rita.headers).json()
    assert listed["tags"]["k3"] in sent


def test_a_parameter_logged_again_with_another_value_is_still_refused(client, rita):
    model = client.post(f"{P}/models", json={"name": "params"}, headers=rita.headers).json
    run_id = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                         headers=rita.headers).json["run_id"]
    ok = client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "params": [{"key": "lr", "value": "0.1"}]},
                     headers=rita.headers)
    assert ok.status_code == 200
    r = client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "params": [
        {"key": "epochs", "value": "3"}, {"key": "lr", "value": "0.2"}]}, headers=rita.headers)
    assert r.status_code == 400 and "Changing param values is not allowed" in r.json["message"]
    run = client.get(f"{T}/runs/get", query_string={"run_id": run_id}, headers=rita.headers).json["run"]
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]  # nothing of the refused batch

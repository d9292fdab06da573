"""One set of input rules on every door: numbers beyond a double's range are refused (422 on the JSON
API and the pages, INVALID_PARAMETER_VALUE on MLflow), names, keys and paths are compared in NFC,
invisible characters are refused wherever a name or key is accepted, and dot look-alikes are
refused in paths."""
from __future__ import annotations

import re

import pytest

from ..support import login

P = "/api/v1/projects/proj"
ML = f"{P}/ml/mlflow/api/2.0/mlflow"
HUGE = "1" + "0" * 400  # 10**400 written out
INVISIBLE = {"right-to-left override": "\u202e", "zero-width space": "\u200b", "zero-width joiner": "\u200d",
             "variation selector": "\ufe0f", "private use": "\ue000", "unassigned": "\u0378",
             "language tag": "\U000e0001", "Hangul filler": "\u3164"}
COMPOSED, DECOMPOSED = "caf\u00e9", "cafe\u0301"


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "rules"}, headers=rita.headers).json
    mv = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return model["id"], mv["id"], mv["run_id"]


def _json(client, method, url, text, headers):
    return client.open(url, method=method, data=text, content_type="application/json", headers=headers)


def test_numbers_beyond_a_double_are_refused_on_every_door(client, rita, version):
    m, v, run_id = version
    metrics = f"{P}/models/{m}/versions/{v}/metrics"
    for literal in ("1e400", "-1e400", HUGE):
        r = _json(client, "POST", metrics, f'[{{"key": "loss", "value": {literal}}}]', rita.headers)
        assert r.status_code == 422, (literal, r.data[:300])
        assert "double" in " ".join(r.json["error"]["fields"].values()), r.json
        r = _json(client, "POST", f"{P}/models/{m}/versions",
                  f'{{"version": "9.0.0", "metrics": [{{"key": "loss", "value": {literal}}}]}}', rita.headers)
        assert r.status_code == 422, (literal, r.data[:300])
        for call, body in (("runs/log-metric", f'{{"run_id": "{run_id}", "key": "loss", "value": {literal}, '
                                                f'"timestamp": 1, "step": 0}}'),
                           ("runs/log-batch", f'{{"run_id": "{run_id}", "metrics": [{{"key": "loss", '
                                              f'"value": {literal}, "timestamp": 1, "step": 0}}]}}')):
            r = _json(client, "POST", f"{ML}/{call}", body, rita.headers)
            assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", (call, r.data[:300])
            assert "double" in r.json["message"]
    r = _json(client, "PUT", f"{P}/models/{m}/versions/{v}/params", '{"lr": 1e400}', rita.headers)
    assert r.status_code == 422, r.data[:300]
    # infinities written as such are kept, as MLflow keeps them
    r = _json(client, "POST", metrics, '[{"key": "loss", "value": Infinity}, {"key": "gain", "value": "-Infinity"}]',
              rita.headers)
    assert r.status_code == 201, r.data[:300]
    values = client.get(metrics, headers=rita.headers).json
    assert {x["key"] for x in values["items"]} == {"loss", "gain"}

    login(client, "rita")
    page = client.get(f"/projects/proj/models/{m}/versions/new")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    r = client.post(f"/projects/proj/models/{m}/versions/new",
                    data={"csrf_token": token, "version": "3.0.0", "metrics": "loss=1e400"})
    assert r.status_code == 422 and b"outside a double" in r.data
    listing = client.get(f"{P}/models/{m}/versions", headers=rita.headers).json
    assert [x["version"] for x in listing["items"]] == ["1.0.0"]


def test_composed_and_decomposed_names_and_paths_are_one(client, rita, version):
    m, v, _run = version
    assert client.post(f"{P}/models", json={"name": COMPOSED}, headers=rita.headers).status_code == 201
    r = client.post(f"{P}/models", json={"name": DECOMPOSED}, headers=rita.headers)
    assert r.status_code == 409, r.data[:300]
    files = f"{P}/models/{m}/versions/{v}/artifacts"
    assert client.put(f"{files}/{COMPOSED}.txt", data=b"one", headers=rita.headers).status_code == 201
    assert client.put(f"{files}/{DECOMPOSED}.txt", data=b"two", headers=rita.headers).status_code == 409
    assert client.get(f"{files}/{DECOMPOSED}.txt", headers=rita.headers).data == b"one"
    r = client.put(f"{P}/packages/ml_models/{v}/files/{DECOMPOSED}.txt", data=b"three", headers=rita.headers)
    assert r.status_code == 409
    assert [a["path"] for a in client.get(files, headers=rita.headers).json["items"]] == [f"{COMPOSED}.txt"]
    r = client.put(f"{P}/models/{m}/versions/{v}/params", json={DECOMPOSED: "1"}, headers=rita.headers)
    assert r.status_code == 200
    assert client.get(f"{P}/models/{m}/versions/{v}", headers=rita.headers).json["params"] == {COMPOSED: "1"}
    # a tag set composed is deleted by its decomposed key
    ml = f"{P}/ml/mlflow/api/2.0/mlflow/model-versions"
    body = {"name": "rules", "version": "1", "key": COMPOSED}
    assert client.post(f"{ml}/set-tag", json={**body, "value": "x"}, headers=rita.headers).status_code == 200
    assert client.delete(f"{ml}/delete-tag", json={**body, "key": DECOMPOSED}, headers=rita.headers).status_code == 200
    shown = client.get(f"{ml}/get", query_string={"name": "rules", "version": "1"}, headers=rita.headers).json
    assert COMPOSED not in {t["key"] for t in shown["model_version"].get("tags", [])}


@pytest.mark.parametrize("kind", sorted(INVISIBLE))
def test_invisible_characters_are_refused_in_every_name_and_key(client, rita, version, kind):
    m, v, run_id = version
    ch = INVISIBLE[kind]
    bad = f"lo{ch}ss"
    json_calls = [
        ("POST", f"{P}/models", {"name": f"model{ch}"}),
        ("POST", f"{P}/models", {"name": "tagged", "tags": {bad: "x"}}),
        ("POST", f"{P}/models/{m}/versions/{v}/metrics", [{"key": bad, "value": 1}]),
        ("PUT", f"{P}/models/{m}/versions/{v}/params", {bad: "1"}),
        ("PUT", f"{P}/models/{m}/versions/{v}/metadata", {bad: "1"}),
        ("PUT", f"{P}/models/{m}/versions/{v}/datasets", [{"name": bad}]),
    ]
    for method, url, body in json_calls:
        r = client.open(url, method=method, json=body, headers=rita.headers)
        assert r.status_code in (400, 422), (kind, url, body, r.data[:300])
    for url in (f"{P}/models/{m}/versions/{v}/artifacts/{bad}.bin", f"{P}/packages/ml_models/{v}/files/{bad}.bin"):
        r = client.put(url, data=b"x", headers=rita.headers)
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid", (kind, url, r.data[:300])
    mlflow_calls = [
        ("experiments/create", {"name": f"exp{ch}"}),
        ("runs/set-tag", {"run_id": run_id, "key": bad, "value": "x"}),
        ("runs/log-parameter", {"run_id": run_id, "key": bad, "value": "x"}),
        ("runs/log-metric", {"run_id": run_id, "key": bad, "value": 1.0, "timestamp": 1, "step": 0}),
        ("runs/log-batch", {"run_id": run_id, "params": [{"key": bad, "value": "1"}]}),
        ("registered-models/create", {"name": f"model{ch}"}),
        ("registered-models/alias", {"name": "rules", "alias": f"champ{ch}", "version": "1"}),
        ("runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {"name": bad, "digest": "d",
                                                                         "source_type": "local", "source": "s"}}]}),
    ]
    for call, body in mlflow_calls:
        r = client.post(f"{ML}/{call}", json=body, headers=rita.headers)
        assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", (kind, call, r.data[:300])
    # nothing of it was kept
    mv = client.get(f"{P}/models/{m}/versions/{v}", headers=rita.headers).json
    assert not mv["params"] and not mv["metrics"]
    names = [x["name"] for x in client.get(f"{P}/models", headers=rita.headers).json["items"]]
    assert names == ["rules"]


@pytest.mark.parametrize("path", ["\uff0e\uff0e/x.bin", "a/\uff0e\uff0e/x.bin", "\uff0e/x.bin", "a/\u2025/b",
                                  "a\uff0fb/../c", "dir/\ufe52\ufe52/x"])
def test_dot_look_alikes_are_refused_in_paths(client, rita, version, path):
    m, v, _run = version
    for url in (f"{P}/models/{m}/versions/{v}/artifacts/{path}", f"{P}/packages/ml_models/{v}/files/{path}"):
        r = client.put(url, data=b"x", headers=rita.headers)
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid", (url, r.data[:300])


def test_search_texts_typed_decomposed_find_names_stored_composed(client, rita, version):
    """A search typed with ``e`` + combining acute finds the model named ``café`` (stored in NFC),
    on the JSON API, the MLflow client API's filters and the pages' search boxes."""
    m, _v, _run = version
    created = client.post(f"{P}/models", json={"name": f"{COMPOSED}-model"}, headers=rita.headers)
    assert created.status_code == 201
    cafe = created.json["id"]
    assert client.post(f"{P}/models/{cafe}/versions", json={"version": "1.0.0"}, headers=rita.headers).status_code == 201
    ml = f"{P}/ml/mlflow/api/2.0/mlflow"
    assert client.post(f"{ml}/model-versions/set-tag", headers=rita.headers, json={
        "name": f"{COMPOSED}-model", "version": "1", "key": f"{COMPOSED}.tag", "value": "v"}).status_code == 200
    assert client.post(f"{ml}/registered-models/set-tag", headers=rita.headers, json={
        "name": f"{COMPOSED}-model", "key": f"{COMPOSED}.tag", "value": "v"}).status_code == 200

    found = client.get(f"{P}/models", query_string={"search": DECOMPOSED}, headers=rita.headers).json
    assert [x["name"] for x in found["items"]] == [f"{COMPOSED}-model"]
    for flt in (f"name = '{DECOMPOSED}-model'", f"name LIKE '{DECOMPOSED}%'", f"name ILIKE '%{DECOMPOSED}%'",
                f"name IN ('{DECOMPOSED}-model')", f"tags.`{DECOMPOSED}.tag` = 'v'"):
        r = client.get(f"{ml}/registered-models/search", query_string={"filter": flt}, headers=rita.headers)
        assert r.status_code == 200, (flt, r.json)
        assert [x["name"] for x in r.json.get("registered_models", [])] == [f"{COMPOSED}-model"], flt
        r = client.get(f"{ml}/model-versions/search", query_string={"filter": flt}, headers=rita.headers)
        assert r.status_code == 200, (flt, r.json)
        assert [x["name"] for x in r.json.get("model_versions", [])] == [f"{COMPOSED}-model"], flt

    login(client, "rita")
    page = client.get("/projects/proj/models", query_string={"search": DECOMPOSED})
    assert page.status_code == 200
    assert f"{COMPOSED}-model" in page.get_data(as_text=True)
    assert "rules" not in re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split()

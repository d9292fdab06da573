"""JSON that parses but that nothing can use, on the JSON API and the MLflow API: a body nested
deeper than the parser recurses, a lone surrogate escape ("\\ud800", no UTF-8 for it), a page
token or a dataset source hiding either. Each is a 400, and nothing is stored."""
from __future__ import annotations

import base64

import pytest

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def version(client, rita) -> dict:
    model = client.post(f"{P}/models", json={"name": "json"}, headers=rita.headers).json
    return client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json


@pytest.mark.parametrize("body", [b'{"name": "a", "description": "\\ud800"}', b'{"name": "\\udfff"}',
                                  b"[" * 100_000])
def test_json_api(client, rita, version, body):
    h = {**rita.headers, **JSON}
    r = client.post(f"{P}/models", data=body, headers=h)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid", r.json
    r = client.put(f"{P}/models/{version['model_id']}/versions/{version['id']}/metadata", data=body, headers=h)
    assert r.status_code == 400
    assert client.get(f"{P}/models", headers=rita.headers).json["total"] == 1


@pytest.mark.parametrize("body", [b'{"name": "a", "description": "\\ud800"}', b"[" * 100_000])
def test_mlflow_bodies(client, rita, body):
    r = client.post(f"{T}/registered-models/create", data=body, headers={**rita.headers, **JSON})
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"


def test_mlflow_page_token_and_dataset_source(client, rita, version):
    deep = base64.b64encode(b"[" * 100_000).decode()
    r = client.get(f"{T}/registered-models/search", query_string={"page_token": deep}, headers=rita.headers)
    assert r.status_code == 400 and "page token" in r.json["message"]
    for source, status in (('{"uri": "s3://bucket/\\ud800"}', 400), ("[" * 3000, 200)):
        dataset = {"name": "train", "digest": "abc", "source_type": "s3", "source": source}
        r = client.post(f"{T}/runs/log-inputs", json={"run_id": version["run_id"], "datasets": [{"dataset": dataset}]},
                        headers=rita.headers)
        assert r.status_code == status, r.json
    stored = client.get(f"{P}/models/{version['model_id']}/versions/{version['id']}/datasets",
                        headers=rita.headers).json["items"]
    assert [d["uri"] for d in stored] == ["[" * 3000]  # not JSON it can read: the source is kept as sent


def test_a_body_too_large_for_json_is_refused_before_it_is_read(client, rita):
    """Bodies are read whole to parse them, so their size is bounded (32 MiB), credentials or not."""
    body = b'{"name": "big", "description": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    for headers in ({}, rita.headers):
        r = client.post(f"{P}/models", data=body, headers={**headers, **JSON})
        assert r.status_code == 413 and r.json["error"]["code"] == "too_large", r.status_code
        r = client.post(f"{T}/registered-models/create", data=body, headers={**headers, **JSON})
        assert r.status_code == 413 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get(f"{P}/models", headers=rita.headers).json["total"] == 0

"""A NUL byte in any string a client sends (a path segment, a query parameter, a JSON field, a
header) gets a client error or "not found", never a 500. PostgreSQL refuses NUL in a query's
text, so on that backend each of these used to fail inside the database driver."""
from __future__ import annotations

import pytest

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


@pytest.fixture
def version(client, rita) -> dict:
    model = client.post(f"{P}/models", json={"name": "nul"}, headers=rita.headers).json
    return client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json


def test_project_name(client, people):
    for base in ("/api/v1/projects/pr%00oj/models", "/api/v1/projects/pr%00oj/ml/mlflow/api/2.0/mlflow/"
                 "registered-models/search", "/api/v1/projects/pr%00oj/packages/ml_models/1/files"):
        assert client.get(base, headers=people["rita"].headers).status_code == 404, base
        assert client.get(base).status_code == 401, base


def test_project_name_longer_than_any_project(client, rita):
    assert client.get(f"/api/v1/projects/{'p' * 256}/models", headers=rita.headers).status_code == 404


def test_search_parameters(client, rita, version):
    for url in (f"{P}/models", f"{P}/models/{version['model_id']}/versions"):
        r = client.get(url, query_string={"search": "n\x00"}, headers=rita.headers)
        assert r.status_code == 422 and "search" in r.json["error"]["fields"], url


def test_metric_keys(client, rita, version):
    base = f"{P}/models/{version['model_id']}"
    r = client.post(f"{base}/versions/{version['id']}/metrics", json=[{"key": "lo\x00ss", "value": 1}],
                    headers=rita.headers)
    assert r.status_code == 422 and "metrics[0].key" in r.json["error"]["fields"]
    r = client.post(f"{base}/versions", json={"version": "2.0.0", "metrics": [{"key": "a\x00", "value": 1}]},
                    headers=rita.headers)
    assert r.status_code == 422
    r = client.post(f"{T}/runs/log-metric", json={"run_id": version["run_id"], "key": "a\x00", "value": 1,
                                                  "timestamp": 1}, headers=rita.headers)
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get(f"{base}/versions/{version['id']}", headers=rita.headers).json["metrics"] == []


def test_package_names(client, rita, version):
    for url in (f"{P}/packages/ml_models/n%00ul/1.0.0/files", f"{P}/packages/ml_models/nul/1.0.0%00/files",
                f"{P}/packages/ml_models/nul/1.0.0%00/files/a.txt"):
        r = client.get(url, headers=rita.headers)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", url


def test_compared_version(client, rita, version):
    r = client.get(f"{P}/models/{version['model_id']}/compare", query_string={"versions": f"{version['id']},1.0.0\x00"},
                   headers=rita.headers)
    assert r.status_code == 422


def test_declared_content_type(client, rita, version):
    """A Content-Type that is no media type is ignored: the file's type is guessed from its name."""
    base = f"{P}/models/{version['model_id']}/versions/{version['id']}/artifacts"
    for name, declared in (("a.txt", "text/\x00plain"), ("b.txt", "text/pl\u00e4in"), ("c.txt", "x/" + "y" * 300)):
        r = client.put(f"{base}/{name}", data=b"hello", headers={**rita.headers, "Content-Type": declared})
        assert r.status_code == 201 and r.json["content_type"] == "text/plain", (declared, r.json)
        download = client.get(f"{base}/{name}", headers=rita.headers)
        assert download.data == b"hello" and download.mimetype == "text/plain"
    r = client.put(f"{base}/d.bin", data=b"{}", headers={**rita.headers, "Content-Type": "application/vnd.api+json"})
    assert r.json["content_type"] == "application/vnd.api+json"

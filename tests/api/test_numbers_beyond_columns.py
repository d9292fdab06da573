"""Numbers larger than the database's columns (ids are int4, semantic version parts int64) are
answered for what they mean, never with a 500: PostgreSQL refuses to cast them, SQLite to bind
numbers beyond int64."""
from __future__ import annotations

import pytest

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"
INT64_MAX = 2**63 - 1


@pytest.fixture
def model(client, rita) -> dict:
    model = client.post(f"{P}/models", json={"name": "big"}, headers=rita.headers).json
    for version in ("1.0.0", f"1.{INT64_MAX}.5", f"{INT64_MAX}.0.0"):
        r = client.post(f"{P}/models/{model['id']}/versions", json={"version": version}, headers=rita.headers)
        assert r.status_code == 201, r.json
    return model


def _resolve(client, rita, model, text):
    return client.get(f"{P}/models/{model['id']}/versions/resolve", query_string={"range": text}, headers=rita.headers)


def test_version_ranges(client, rita, model):
    r = _resolve(client, rita, model, "^99999999999999999999999")
    assert r.status_code == 422 and "63 bits" in r.json["error"]["fields"]["range"]
    assert _resolve(client, rita, model, f"^{INT64_MAX}").json["version"] == f"{INT64_MAX}.0.0"
    assert _resolve(client, rita, model, f"~1.{INT64_MAX}").json["version"] == f"1.{INT64_MAX}.5"
    assert _resolve(client, rita, model, f"1.{INT64_MAX}.x").json["version"] == f"1.{INT64_MAX}.5"
    assert _resolve(client, rita, model, f"<={INT64_MAX}").json["version"] == f"{INT64_MAX}.0.0"
    assert _resolve(client, rita, model, f"<1.{INT64_MAX}").json["version"] == "1.0.0"
    assert _resolve(client, rita, model, f">{INT64_MAX}").status_code == 404
    assert _resolve(client, rita, model, f">1.{INT64_MAX}").json["version"] == f"{INT64_MAX}.0.0"


def test_mlflow_search_on_version_numbers(client, rita, model):
    def numbers(filter_text: str) -> list[str]:
        r = client.get(f"{T}/model-versions/search", query_string={"filter": filter_text}, headers=rita.headers)
        assert r.status_code == 200, r.json
        return sorted(v["version"] for v in r.json.get("model_versions", []))

    assert numbers("version_number = 99999999999") == []
    assert numbers(f"version_number < {INT64_MAX}") == ["1", "2", "3"]
    assert numbers("version_number IN (2, 99999999999)") == ["2"]
    assert numbers("version_number NOT IN (2, 99999999999)") == ["1", "3"]


def test_audit_pages_before_a_huge_id(client, people, model):
    r = client.get(f"{P}/model-registry/audit", query_string={"before_id": 99999999999},
                   headers=people["max"].headers)
    assert r.status_code == 200
    assert [e["action"] for e in r.json["items"]] == ["version.create"] * 3 + ["model.create"]

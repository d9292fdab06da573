"""The longest names and versions the API accepts are stored on every database: what PostgreSQL
would refuse (a column's length exceeded) is refused up front as a field error, or fitted."""
from __future__ import annotations

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


def test_a_model_with_the_longest_name_gets_versions_and_runs(client, rita):
    name = "m" * 255
    model = client.post(f"{P}/models", json={"name": name}, headers=rita.headers)
    assert model.status_code == 201
    version = client.post(f"{P}/models/{model.json['id']}/versions", json={"version": "1.0.0-alpha.1"},
                          headers=rita.headers)
    assert version.status_code == 201, version.json
    run = client.get(f"{T}/runs/get", query_string={"run_id": version.json["run_id"]}, headers=rita.headers).json
    assert run["run"]["info"]["run_name"] == f"{name}-1.0.0-alpha.1"[:255]


def test_a_prerelease_of_very_many_parts_is_a_field_error(client, rita):
    model = client.post(f"{P}/models", json={"name": "parts"}, headers=rita.headers).json
    url = f"{P}/models/{model['id']}/versions"
    for version in ("1.0.0-" + ".".join(["1"] * 124), "1.0.0-" + ".".join(["a"] * 124)):
        assert len(version) <= 255
        r = client.post(url, json={"version": version}, headers=rita.headers)
        assert r.status_code == 422 and "prerelease" in r.json["error"]["fields"]["version"], r.json
    many = "1.0.0-" + ".".join(["rc"] * 40)
    assert client.post(url, json={"version": many}, headers=rita.headers).status_code == 201
    assert client.post(url, json={"version": "2.0.0-" + "a" * 249}, headers=rita.headers).status_code == 201
    listed = client.get(url, headers=rita.headers).json
    assert [v["version"] for v in listed["items"]] == ["2.0.0-" + "a" * 249, many]


def test_an_author_with_a_very_long_display_name_can_write(client, rita, monkeypatch):
    """The host's display name may be longer than the author columns; it is cut to fit."""
    from example_app import registry

    monkeypatch.setattr(registry.callbacks, "display_name_loader", lambda user: f"{user.username} <" + "x" * 300 + "@example.com>")
    model = client.post(f"{P}/models", json={"name": "authored"}, headers=rita.headers)
    assert model.status_code == 201 and model.json["created_by"] == ("rita <" + "x" * 300)[:255]
    version = client.post(f"{P}/models/{model.json['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers)
    assert version.status_code == 201 and len(version.json["created_by"]) == 255

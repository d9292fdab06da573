"""Models through the JSON API: create, list, get, change, delete."""
from __future__ import annotations

P = "/api/v1/projects/proj"


def test_create_list_get_update_delete_model(client, rita):
    r = client.post(f"{P}/models", json={"name": "churn", "description": "# Churn\nPredicts churn."},
                    headers=rita.headers)
    assert r.status_code == 201, r.json
    model = r.json
    assert model["name"] == "churn" and model["version_count"] == 0 and model["latest_version"] is None

    listing = client.get(f"{P}/models", headers=rita.headers).json
    assert listing["total"] == 1 and listing["items"][0]["id"] == model["id"]

    r = client.patch(f"{P}/models/{model['id']}", json={"description": "new"}, headers=rita.headers)
    assert r.status_code == 200 and r.json["description"] == "new"

    assert client.delete(f"{P}/models/{model['id']}", headers=rita.headers).status_code == 204
    assert client.get(f"{P}/models/{model['id']}", headers=rita.headers).status_code == 404

"""The audit trail: who changed what, readable by maintainers."""
from __future__ import annotations

P = "/api/v1/projects/proj"


def test_changes_are_recorded_with_their_author(client, people):
    rita, maxi = people["rita"], people["max"]
    model = client.post(f"{P}/models", json={"name": "audited"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    client.put(f"{P}/models/{model['id']}/versions/{v['id']}/artifacts/w.bin", data=b"w", headers=rita.headers)
    client.delete(f"{P}/models/{model['id']}/versions/{v['id']}", headers=maxi.headers)
    r = client.get(f"{P}/model-registry/audit", headers=maxi.headers)
    assert r.status_code == 200
    events = [(e["action"], e["actor"], e["target_name"]) for e in r.json["items"]]
    assert events == [("version.delete", "max", "audited/1.0.0"), ("artifact.upload", "rita", "w.bin"),
                      ("version.create", "rita", "audited/1.0.0"), ("model.create", "rita", "audited")]
    assert all(e["via"] == "token" for e in r.json["items"])
    page = client.get(f"{P}/model-registry/audit?limit=3", headers=maxi.headers).json
    assert len(page["items"]) == 3 and page["next_before_id"] == page["items"][-1]["id"]
    rest = client.get(f"{P}/model-registry/audit?limit=3&before_id={page['next_before_id']}",
                      headers=maxi.headers).json
    assert [e["action"] for e in rest["items"]] == ["model.create"] and rest["next_before_id"] is None
    assert client.get(f"{P}/model-registry/audit", headers=rita.headers).status_code == 403
    assert client.get(f"{P}/model-registry/audit", headers=people["otto"].headers).status_code == 404

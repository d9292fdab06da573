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


def _make(client, rita, name, **extra):
    r = client.post(f"{P}/models", json={"name": name, **extra}, headers=rita.headers)
    assert r.status_code == 201, r.json
    return r.json


def test_name_is_unique_per_project_and_validated(client, rita, people, app):
    from tests.support import add_people

    _make(client, rita, "dup", tags={"team": "ml", "tier": 1})
    r = client.post(f"{P}/models", json={"name": "dup"}, headers=rita.headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_exists"
    assert r.json["error"]["fields"]["name"]
    # the same name in another project is fine
    other = add_people(app, "other")
    assert client.post("/api/v1/projects/other/models", json={"name": "dup"},
                       headers=other["rita"].headers).status_code == 201
    for bad in ["", "   ", "a/b", "x" * 256, "-lead", "tab\there", 5, None]:
        r = client.post(f"{P}/models", json={"name": bad}, headers=rita.headers)
        assert r.status_code == 422, (bad, r.json)
        assert "name" in r.json["error"]["fields"]
    got = client.get(f"{P}/models", headers=rita.headers).json["items"][0]
    assert got["tags"] == {"team": "ml", "tier": "1"}


def test_bad_bodies_are_400_not_500(client, rita):
    for body, ctype in [(b"{not json", "application/json"), (b"[1,2]", "application/json"),
                        (b"\xff\xfe", "application/json"), (b"", "application/json"), (b"name=x", "text/plain")]:
        r = client.post(f"{P}/models", data=body, headers={**rita.headers, "Content-Type": ctype})
        assert r.status_code == 400, (body, r.status_code)
        assert r.json["error"]["code"] == "invalid"


def test_search_sort_and_pages(client, rita):
    for name in ["alpha", "beta", "gamma", "alphabet", "delta_50"]:
        _make(client, rita, name)
    r = client.get(f"{P}/models?search=ALPHA&sort=name&order=asc", headers=rita.headers).json
    assert [m["name"] for m in r["items"]] == ["alpha", "alphabet"] and r["total"] == 2
    r = client.get(f"{P}/models?search=%25", headers=rita.headers).json
    assert r["total"] == 0  # '%' is not a wildcard
    r = client.get(f"{P}/models?search=_", headers=rita.headers).json
    assert [m["name"] for m in r["items"]] == ["delta_50"]  # nor is '_' 
    names = [m["name"] for m in client.get(f"{P}/models?sort=name&order=desc", headers=rita.headers).json["items"]]
    assert names == sorted(names, reverse=True)
    newest_first = [m["name"] for m in client.get(f"{P}/models", headers=rita.headers).json["items"]]
    assert newest_first[0] == "delta_50" and newest_first[-1] == "alpha"
    page2 = client.get(f"{P}/models?sort=name&order=asc&per_page=2&page=2", headers=rita.headers).json
    assert page2 == {**page2, "page": 2, "per_page": 2, "total": 5}
    assert [m["name"] for m in page2["items"]] == ["beta", "delta_50"]
    capped = client.get(f"{P}/models?per_page=1000", headers=rita.headers).json
    assert capped["per_page"] == 100
    for query in ["sort=size", "order=up", "page=0", "page=x", "per_page=0", "per_page=-5"]:
        r = client.get(f"{P}/models?{query}", headers=rita.headers)
        assert r.status_code == 422, query
        assert r.json["error"]["fields"]


def test_rename_and_updated_at(client, rita):
    a = _make(client, rita, "first")
    _make(client, rita, "second")
    r = client.patch(f"{P}/models/{a['id']}", json={"name": "second"}, headers=rita.headers)
    assert r.status_code == 409
    r = client.patch(f"{P}/models/{a['id']}", json={"name": "renamed", "metric_goals": {"acc": "max"}},
                     headers=rita.headers)
    assert r.status_code == 200 and r.json["name"] == "renamed" and r.json["metric_goals"] == {"acc": "max"}
    assert r.json["updated_at"] > a["updated_at"]
    r = client.patch(f"{P}/models/{a['id']}", json={"metric_goals": {"acc": "up"}}, headers=rita.headers)
    assert r.status_code == 422


def test_models_of_another_project_are_not_found(client, rita, app):
    from tests.support import add_people

    other = add_people(app, "other")
    model = client.post("/api/v1/projects/other/models", json={"name": "secret"},
                        headers=other["rita"].headers).json
    assert client.get(f"{P}/models/{model['id']}", headers=rita.headers).status_code == 404
    assert client.delete(f"{P}/models/{model['id']}", headers=rita.headers).status_code == 404
    assert client.get(f"{P}/models/99999999999999", headers=rita.headers).status_code == 404

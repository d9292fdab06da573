"""The OpenAPI document describes every JSON route, from the same schemas that shape responses."""
from __future__ import annotations

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_complete(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json
    validate(spec)
    paths = spec["paths"]
    for path, method in [("/projects/{project}/models", "get"), ("/projects/{project}/models", "post"),
                         ("/projects/{project}/models/{model_id}", "patch"),
                         ("/projects/{project}/models/{model_id}/versions/{version_id}", "delete"),
                         ("/projects/{project}/models/{model_id}/versions/{version_id}/artifacts/{path}", "put"),
                         ("/projects/{project}/models/{model_id}/versions/{version_id}/metrics", "post")]:
        assert method in paths[path], (path, method)
    model = spec["components"]["schemas"]["Model"]["properties"]
    assert {"id", "name", "description", "created_at", "updated_at", "latest_version", "version_count"} <= set(model)
    version = spec["components"]["schemas"]["Version"]["properties"]
    assert {"id", "model_id", "version", "description", "created_at", "metrics", "params", "metadata",
            "artifact_count"} <= set(version)
    listing = paths["/projects/{project}/models"]["get"]
    assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} >= {"search", "sort", "order", "page", "per_page"}


def test_unknown_api_paths_answer_json(client, rita):
    r = client.get("/api/v1/nothing/here", headers=rita.headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"

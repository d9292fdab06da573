"""Every JSON API endpoint for every kind of caller on private, public and disabled registries."""
from __future__ import annotations

import io

import pytest

from flask_modelregistry.services import artifacts, registered_models, versions
from flask_modelregistry.services.identity import Actor

from tests.support import set_registry

P = "/api/v1/projects/proj"
SYSTEM = Actor.system()


def make_objects(app) -> dict:
    with app.app_context():
        model = registered_models.create_model("proj", SYSTEM, name=f"m{make_objects.n}")
        make_objects.n += 1
        mv = versions.create_version("proj", SYSTEM, model, version="1.0.0")
        artifacts.upload_artifact("proj", SYSTEM, mv.run_id, "a.txt", io.BytesIO(b"aaa"))
        artifacts.upload_artifact("proj", SYSTEM, mv.run_id, "b.txt", io.BytesIO(b"bbb"))
        return {"m": model.id, "v": mv.id}


make_objects.n = 0

# (method, url template, json body or raw bytes, need, destructive)
ENDPOINTS = [
    ("GET", "/models", None, "read", False),
    ("GET", "/models/{m}", None, "read", False),
    ("GET", "/models/{m}/versions", None, "read", False),
    ("GET", "/models/{m}/versions/{v}", None, "read", False),
    ("GET", "/models/{m}/versions/{v}/artifacts", None, "read", False),
    ("GET", "/models/{m}/versions/{v}/artifacts/a.txt", None, "read", False),
    ("HEAD", "/models/{m}/versions/{v}/artifacts/a.txt", None, "read", False),
    ("GET", "/models/{m}/versions/{v}/metrics", None, "read", False),
    ("POST", "/models", {"name": "new-model"}, "write", True),
    ("PATCH", "/models/{m}", {"description": "changed"}, "write", True),
    ("DELETE", "/models/{m}", None, "write", True),
    ("POST", "/models/{m}/versions", {"version": "2.0.0"}, "write", True),
    ("PATCH", "/models/{m}/versions/{v}", {"description": "changed"}, "write", True),
    ("DELETE", "/models/{m}/versions/{v}", None, "write", True),
    ("PUT", "/models/{m}/versions/{v}/artifacts/new/c.bin", b"\x00\x01", "write", True),
    ("DELETE", "/models/{m}/versions/{v}/artifacts/a.txt", None, "write", True),
    ("POST", "/models/{m}/versions/{v}/artifacts/delete", {"paths": ["a.txt", "b.txt"]}, "write", True),
    ("POST", "/models/{m}/versions/{v}/metrics", [{"key": "acc", "value": 0.5}], "write", True),
    ("PUT", "/models/{m}/versions/{v}/params", {"lr": "0.1"}, "write", True),
    ("PUT", "/models/{m}/versions/{v}/metadata", {"k": "v"}, "write", True),
    ("GET", "/model-registry/settings", None, "admin", False),
    ("PUT", "/model-registry/settings", {"visibility": "{visibility}"}, "admin", True),
]

CALLERS = ["anonymous", "otto", "gus", "rita", "rita:read_api", "dev", "max"]
ROLE = {"anonymous": None, "otto": None, "gus": "guest", "rita": "reporter", "rita:read_api": "reporter",
        "dev": "developer", "max": "maintainer"}
RANK = ["guest", "reporter", "developer", "maintainer", "owner"]


def expected(state: str, caller: str, need: str) -> str:
    role = ROLE[caller]
    rank = RANK.index(role) if role else -1
    signed_in = caller != "anonymous"
    read_only = caller.endswith(":read_api")
    if need == "admin":
        if not signed_in:
            return "401"
        if rank >= RANK.index("maintainer") and not read_only:
            return "ok"
        return "403" if rank >= 0 or (state == "public") else "404"
    if state == "disabled":
        return "404"
    readable = state == "public" or rank >= 0
    if not readable:
        return "401" if not signed_in else "404"
    if need == "read":
        return "ok"
    if not signed_in:
        return "401"
    if read_only or rank < RANK.index("reporter"):
        return "403"
    return "ok"


@pytest.mark.parametrize("state", ["private", "public", "disabled"])
def test_every_endpoint_for_every_caller(app, client, people, state):
    visibility = "public" if state == "public" else "private"
    set_registry(app, enabled=state != "disabled", visibility=visibility)
    shared = make_objects(app)
    problems = []
    for caller in CALLERS:
        if caller == "anonymous":
            headers = {}
        elif caller.endswith(":read_api"):
            headers = people[caller.split(":")[0]].read_headers
        else:
            headers = people[caller].headers
        for method, template, body, need, destructive in ENDPOINTS:
            want = expected(state, caller, need)
            ids = make_objects(app) if (destructive and want == "ok") else shared
            url = P + template.format(**ids)
            kwargs = {"headers": headers}
            if isinstance(body, bytes):
                kwargs["data"] = body
            elif body is not None:
                if isinstance(body, dict) and body.get("visibility") == "{visibility}":
                    body = {"visibility": visibility}
                kwargs["json"] = body
            if kwargs.get("json") == {"name": "new-model"}:
                kwargs["json"] = {"name": f"new-model-{caller.replace(':', '-')}"}
            response = client.open(url, method=method, **kwargs)
            got = "ok" if response.status_code < 300 else str(response.status_code)
            if got != want:
                problems.append(f"{caller} {method} {template}: expected {want}, got {response.status_code} "
                                f"{(response.json or {}) if response.is_json else ''}")
            elif got != "ok" and method != "HEAD":
                assert response.json["error"]["code"] in ("unauthenticated", "forbidden", "not_found")
            if got == "401":
                assert "WWW-Authenticate" in response.headers
    assert not problems, "\n".join(problems)


def test_project_that_does_not_exist_is_not_found_for_members_of_others(client, people):
    r = client.get("/api/v1/projects/nope/models", headers=people["max"].headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"

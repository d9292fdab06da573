"""Who may put and fetch package files: every role and token scope, on private, public and
disabled registries, with each way of presenting a token."""
from __future__ import annotations

import base64

from tests.support import login, set_registry

from .conftest import stored_paths

CALLERS = ["anonymous", "otto", "gus", "rita", "rita:read_api", "dev", "max", "olga"]


def _headers(people, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    name, _, scope = caller.partition(":")
    return people[name].read_headers if scope == "read_api" else people[name].headers


def _expected(caller: str, visibility: str, method: str) -> int:
    member = caller.split(":")[0] in ("gus", "rita", "dev", "max", "olga")
    if visibility == "private" and not member:
        return 401 if caller == "anonymous" else 404
    if method == "GET":
        return 200
    if caller == "anonymous":
        return 401
    writer = caller in ("rita", "dev", "max", "olga")
    return 201 if writer else 403


def test_every_role_and_scope_on_private_and_public_registries(app, client, people, package):
    client.put(f"{package.files}/seed.txt", data=b"seed", headers=people["olga"].headers)
    for visibility in ("private", "public"):
        set_registry(app, visibility=visibility)
        for caller in CALLERS:
            headers = _headers(people, caller)
            want_get = _expected(caller, visibility, "GET")
            for url in (f"{package.files}/seed.txt", package.files, f"{package.files_by_name}/seed.txt"):
                r = client.get(url, headers=headers)
                assert r.status_code == want_get, (visibility, caller, url, r.status_code)
                if want_get != 200:
                    assert r.json["error"]["code"] in ("unauthenticated", "not_found"), r.json
            assert client.head(f"{package.files}/seed.txt", headers=headers).status_code == want_get
            path = f"{visibility}-{caller.replace(':', '-')}.bin"
            r = client.put(f"{package.files}/{path}", data=b"data", headers=headers)
            assert r.status_code == _expected(caller, visibility, "PUT"), (visibility, caller, r.json)
            if r.status_code == 401:
                assert "Bearer" in r.headers["WWW-Authenticate"]
    kept = set(stored_paths(app, package))
    assert kept == {"seed.txt"} | {f"{v}-{c}.bin" for v in ("private", "public") for c in ("rita", "dev", "max", "olga")}


def test_a_disabled_registry_hides_its_packages(app, client, people, package):
    set_registry(app, enabled=False)
    for caller in ("olga", "rita", "anonymous"):
        headers = _headers(people, caller)
        assert client.get(package.files, headers=headers).status_code == 404, caller
        assert client.put(f"{package.files}/x", data=b"x", headers=headers).status_code == 404, caller
    assert stored_paths(app, package) == []


def test_three_ways_to_present_a_token_and_bad_ones(client, people, package):
    rita = people["rita"]
    basic = base64.b64encode(f"rita:{rita.token}".encode()).decode()
    for n, headers in enumerate(({"PRIVATE-TOKEN": rita.token}, {"Authorization": f"Bearer {rita.token}"},
                                 {"Authorization": f"Basic {basic}"})):
        assert client.put(f"{package.files}/way-{n}.txt", data=b"x", headers=headers).status_code == 201
        assert client.get(f"{package.files}/way-{n}.txt", headers=headers).data == b"x"
    for headers in ({"PRIVATE-TOKEN": "mrt_not-a-token"}, {"Authorization": "Bearer nope"},
                    {"Authorization": "Basic !!!"}, {"Authorization": "Digest abc"},
                    {"Authorization": "Basic " + base64.b64encode(b"rita:").decode()}):
        r = client.put(f"{package.files}/bad.txt", data=b"x", headers=headers)
        assert r.status_code == 401 and r.json["error"]["code"] == "unauthenticated", headers


def test_a_browser_session_needs_the_csrf_header_to_upload(client, people, package):
    client.put(f"{package.files}/seen.txt", data=b"x", headers=people["rita"].headers)
    login(client, "rita")
    assert client.get(f"{package.files}/seen.txt").data == b"x"
    r = client.put(f"{package.files}/forged.txt", data=b"x")
    assert r.status_code == 403 and "CSRF" in r.json["error"]["message"]


def test_versions_of_another_project_are_not_reachable(app, client, people, package):
    from tests.support import add_people

    add_people(app, "other")  # rita is a reporter of "other" too
    rita = people["rita"]
    other = f"/api/v1/projects/other/packages/ml_models/{package.version_id}/files"
    assert client.get(other, headers=rita.headers).status_code == 404
    r = client.put(f"{other}/x.bin", data=b"x", headers=rita.headers)
    assert r.status_code == 404
    assert stored_paths(app, package) == []

"""Semantic-version ranges resolve to the newest matching version, in SQL, like npm and Cargo."""
from __future__ import annotations

import pytest

from flask_modelregistry.errors import Invalid, NotFound
from flask_modelregistry.services import registered_models, versions
from flask_modelregistry.services.identity import Actor
from flask_modelregistry.services.ranges import parse_range, resolve_range

SYSTEM = Actor.system()
AVAILABLE = ["0.1.0", "0.1.5", "0.2.0", "1.0.0", "1.1.0", "1.2.0", "1.2.3", "1.2.9", "1.3.0-rc.1", "1.9.4",
             "2.0.0-alpha", "2.0.0-rc.2", "2.0.0", "2.1.0", "3.0.0-beta"]
CASES = [
    ("^1.2", False, "1.9.4"), ("^1.2.3", False, "1.9.4"), ("~1.2.3", False, "1.2.9"), ("~1.2", False, "1.2.9"),
    ("~1", False, "1.9.4"), ("1.x", False, "1.9.4"), ("1.2.*", False, "1.2.9"), ("*", False, "2.1.0"),
    (">=1.0,<2", False, "1.9.4"), (">=1.0 <2.0.0", False, "1.9.4"), ("<2.0.0", True, "1.9.4"),
    ("^0.1", False, "0.1.5"), ("^0.1.0", False, "0.1.5"), ("^0", False, "0.2.0"), ("=1.2.3", False, "1.2.3"),
    ("1.2.3", False, "1.2.3"), ("1.2", False, "1.2.9"), (">1.2.3 <=1.2.9", False, "1.2.9"),
    ("^3", False, None), ("^3", True, None), ("^3.0.0-0", True, "3.0.0-beta"), ("^1.2", True, "1.9.4"), (">=2.0.0-alpha <2.0.0", True, "2.0.0-rc.2"),
    ("<1 || ^2", False, "2.1.0"), ("<1 || ~1.1", False, "1.1.0"), (">2.1.0", False, None), ("> 1.2.9, < 1.9.4", False, None),
    (">=2.0.0", True, "3.0.0-beta"), (">=2.0.0 <3", True, "2.1.0"), ("2.0.0-rc.2", True, "2.0.0-rc.2"),
]


@pytest.fixture
def model(app_ctx):
    m = registered_models.create_model("proj", SYSTEM, name="ranged")
    for text in AVAILABLE:
        versions.create_version("proj", SYSTEM, m, version=text)
    return m


def test_ranges_resolve_like_package_managers(model):
    problems = []
    for text, pre, want in CASES:
        try:
            got = resolve_range("proj", SYSTEM, model, text, include_prereleases=pre).version
        except NotFound:
            got = None
        if got != want:
            problems.append(f"{text!r} (prereleases={pre}): expected {want}, got {got}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text", ["", "   ", "abc", "^", ">=1.0 ||", "1.2.3.4", "^1.x-rc", ">* ", "~>1.2",
                                  "1" * 300])
def test_bad_ranges_are_refused(text):
    with pytest.raises(Invalid) as info:
        parse_range(text)
    assert "range" in info.value.fields


def test_resolve_over_the_api(client, rita, app):
    P = "/api/v1/projects/proj"
    m = client.post(f"{P}/models", json={"name": "api-ranged"}, headers=rita.headers).json
    for text in ("1.0.0", "1.4.0", "1.4.1", "2.0.0-rc.1"):
        client.post(f"{P}/models/{m['id']}/versions", json={"version": text}, headers=rita.headers)
    r = client.get(f"{P}/models/{m['id']}/versions/resolve?range=~1.4", headers=rita.headers)
    assert r.status_code == 200 and r.json["version"] == "1.4.1"
    r = client.get(f"{P}/models/{m['id']}/versions/resolve", query_string={"range": "^2.0.0-rc", "prereleases": "true"},
                   headers=rita.headers)
    assert r.json["version"] == "2.0.0-rc.1"
    r = client.get(f"{P}/models/{m['id']}/versions/resolve?range=^2", headers=rita.headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.get(f"{P}/models/{m['id']}/versions/resolve?range=%3E%3D%3D1", headers=rita.headers)
    assert r.status_code == 422 and "range" in r.json["error"]["fields"]
    assert client.get(f"{P}/models/{m['id']}/versions/resolve", headers=rita.headers).status_code == 422

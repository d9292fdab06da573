"""The example portal's CLI: a line per thing done, non-zero exit and a clear message on bad input."""
from __future__ import annotations

import pytest


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=list(args))
    return run


def test_users_members_and_settings(cli, client):
    r = cli("users", "create", "ana", "--password", "s3cret")
    assert r.exit_code == 0 and r.output.strip() == "Created user ana"
    r = cli("users", "create", "ana", "--password", "other")
    assert r.exit_code != 0 and "already exists" in r.output
    r = cli("members", "add", "ana", "vision", "developer")
    assert r.exit_code == 0 and r.output.splitlines() == ["Created project vision", "Added ana to vision as developer"]
    r = cli("members", "add", "ana", "vision", "maintainer")
    assert r.exit_code == 0 and "Changed ana's role in vision to maintainer" in r.output
    for args, message in [(("members", "add", "ana", "vision", "admin"), "unknown role"),
                          (("members", "add", "nobody", "vision", "guest"), "no user named"),
                          (("members", "add", "ana", "a/b", "guest"), "project name"),
                          (("users", "create", "bad name", "--password", "xxxx"), "username")]:
        r = cli(*args)
        assert r.exit_code != 0 and message in r.output, (args, r.output)
    r = cli("model-registry", "settings", "vision")
    assert r.exit_code == 0 and r.output.strip() == "vision: registry enabled, private"
    r = cli("model-registry", "settings", "vision", "--visibility", "public", "--disable")
    assert r.exit_code == 0 and r.output.strip() == "vision: registry disabled, public"
    r = cli("model-registry", "settings", "nowhere", "--enable")
    assert r.exit_code != 0 and "no project named" in r.output
    assert client.get("/api/v1/projects/vision/models").status_code == 404  # disabled: hidden from all


def test_login_page(client, people):
    page = client.get("/login")
    assert page.status_code == 200 and b'name="username"' in page.data and b"Log in" in page.data
    import re

    from tests.support import login

    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    r = client.post("/login", data={"username": "rita", "password": "wrong", "csrf_token": token})
    assert r.status_code == 200 and b"Invalid username or password" in r.data
    r = client.post("/login", data={"username": "rita", "password": "rita"})  # no CSRF token
    assert r.status_code in (200, 400) and client.get("/api/v1/projects/proj/models").status_code == 401

    login(client, "rita")
    home = client.get("/")
    assert b"rita" in home.data and b"proj" in home.data
    assert client.get("/logout").status_code == 302


def test_seed_demo_fills_an_empty_database_once(cli, app):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert "Created model fraud-detector" in lines
    assert lines[-1].startswith("mrt_")
    token = lines[-1]
    client = app.test_client()
    models = client.get("/api/v1/projects/demo/models", headers={"Authorization": f"Bearer {token}"}).json
    model = models["items"][0]
    assert model["name"] == "fraud-detector" and model["version_count"] == 3 and model["latest_version"] == "2.0.0"
    versions = client.get(f"/api/v1/projects/demo/models/{model['id']}/versions",
                          headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert all(v["artifact_count"] == 4 and v["metrics"] for v in versions)
    second = cli("seed-demo")
    assert "already present" in second.output and second.output.strip().splitlines()[-1].startswith("mrt_")
    assert client.get("/api/v1/projects/demo/models", headers={"Authorization": f"Bearer {token}"}).json["total"] == 1
    # rita is a reporter: she writes; gus is a guest: he reads
    runner = app.test_cli_runner()
    gus = runner.invoke(args=["model-registry", "tokens", "create", "gus"]).output.strip().splitlines()[-1]
    assert client.post("/api/v1/projects/demo/models", json={"name": "x"},
                       headers={"Authorization": f"Bearer {gus}"}).status_code == 403

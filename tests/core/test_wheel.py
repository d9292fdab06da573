"""A wheel built from the source carries its templates and migrations and runs the example app,
away from the source tree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent("""
    import json, sys
    import flask_modelregistry, example_app
    from flask_modelregistry.resources import migrations_dir, templates_dir
    from example_app import create_app
    app = create_app({"TESTING": True})
    runner = app.test_cli_runner()
    out = [runner.invoke(args=["init-db"]).output, runner.invoke(args=["seed-demo"]).output]
    token = out[1].strip().splitlines()[-1]
    client = app.test_client()
    models = client.get("/api/v1/projects/demo/models", headers={"Authorization": "Bearer " + token})
    login = client.get("/login")
    ja_login = client.get("/login", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    from flask_modelregistry.i18n import translations
    print(json.dumps({
        "ja": ["ログイン" in ja_login, translations("ja").gettext("Model registry")],
        "package": flask_modelregistry.__file__, "example": example_app.__file__,
        "templates": str(templates_dir()), "migrations": str(migrations_dir()),
        "init": out[0], "models": models.get_json(), "login": login.status_code,
    }))
""")


def test_wheel_carries_templates_and_migrations_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(ROOT)], check=True, cwd=tmp_path)
    wheel = next(dist.glob("flask_modelregistry-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    assert (target / "flask_modelregistry" / "templates" / "model_registry" / "layout.html").is_file()
    assert list((target / "flask_modelregistry" / "migrations" / "versions").glob("mr_0001_*.py"))
    assert (target / "example_app" / "migrations" / "versions").is_dir()
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "EXAMPLE_DATABASE_URL": f"sqlite:///{workdir / 'w.db'}",
           "MODEL_REGISTRY_STORAGE_URI": str(workdir / "artifacts"), "SECRET_KEY": "wheel-test"}
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("package", "example", "templates", "migrations"):
        assert report[key].startswith(str(target)), (key, report[key])
    assert "Registry tables at revision mr_" in report["init"]
    assert report["ja"] == [True, "モデルレジストリ"]  # both compiled catalogues came with the wheel
    assert report["models"]["items"][0]["name"] == "fraud-detector"
    assert report["models"]["items"][0]["version_count"] == 3
    assert report["login"] == 200

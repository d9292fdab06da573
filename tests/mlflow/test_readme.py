"""The README's MLflow section, run as a new user would run it: against the demo data that
``make demo`` seeds, with the token it prints for rita. Every Python example runs, and every
``print(...)  # expected`` prints what its comment says."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def mlflow_section() -> str:
    text = README.read_text()
    start = text.index("## MLflow client")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def expected_prints(block: str) -> list[str]:
    out = []
    for line in block.splitlines():
        match = re.match(r"^(\s*)print\(.*\)\s+# (.+)$", line)
        if match:
            expected = match.group(2).split(": ")[0]
            out.extend(expected.split(", ") if match.group(1) else [expected])  # a loop prints one per item
    return out


@pytest.fixture
def demo(app, live_server, monkeypatch, tmp_path):
    from example_app.seed import seed

    with app.app_context():
        token = seed()[-1]
    shell = blocks(mlflow_section(), "shell")[0]
    uri = re.search(r"MLFLOW_TRACKING_URI=(\S+)", shell).group(1)
    assert uri.startswith("http://127.0.0.1:5000/") and uri.endswith("/projects/demo/ml/mlflow")
    for var in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri.replace("http://127.0.0.1:5000", live_server.url))
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.chdir(tmp_path)
    return {"app": app, "token": token}


def test_every_readme_example_works(demo):
    import mlflow

    namespace: dict = {"__name__": "readme"}
    examples = blocks(mlflow_section(), "python")
    assert len(examples) >= 4
    try:
        for example in examples:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(example, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
            printed = out.getvalue().splitlines()
            for expected in expected_prints(example):
                assert expected in printed, (expected, printed, example)
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()

    client = demo["app"].test_client()
    headers = {"Authorization": f"Bearer {demo['token']}"}
    models = client.get("/api/v1/projects/demo/models?per_page=100", headers=headers).json["items"]
    fraud = next(m for m in models if m["name"] == "fraud-detector")
    versions = client.get(f"/api/v1/projects/demo/models/{fraud['id']}/versions", headers=headers).json["items"]
    by_version = {v["version"]: v for v in versions}
    v2 = by_version["2.0.0"]
    assert any(m["key"] == "auc" and m["value"] == 0.94 for m in v2["metrics"])
    assert v2["params"]["threshold"] == "0.7"
    assert v2["ci_job"]["ref"] == "main" and v2["ci_job"]["url"].endswith("/-/jobs/4711")
    assert "transactions-2026q3" in {d["name"] for d in v2["datasets"]}
    assert by_version["2.1.0"]["parent_version_id"] == v2["id"]
    assert {"churn", "doubler"} <= {m["name"] for m in models}

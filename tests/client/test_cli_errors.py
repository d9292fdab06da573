"""What the command-line client says, and the exit code it leaves with, when something is wrong."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flask_modelregistry.client.cli import main
from tests.support import free_port


def test_the_installed_command_explains_itself():
    script = Path(sys.executable).parent / "modelregistry"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for words in ("MODEL_REGISTRY_URL", "MODEL_REGISTRY_TOKEN", "upload", "download", "exit codes",
                  "modelregistry upload demo fraud-detector"):
        assert words in result.stdout
    upload_help = subprocess.run([str(script), "upload", "--help"], capture_output=True, text=True, timeout=60)
    assert "--subfolder" in upload_help.stdout and "--overwrite" in upload_help.stdout
    assert "--create-model" in upload_help.stdout


@pytest.fixture
def files(tmp_path) -> Path:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "weights.bin").write_bytes(b"w")
    return tmp_path / "w"


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_exit_codes_say_what_went_wrong(app, client, people, churn, live_server, files, capsys, monkeypatch):
    monkeypatch.delenv("MODEL_REGISTRY_URL", raising=False)
    monkeypatch.delenv("MODEL_REGISTRY_TOKEN", raising=False)
    url = ["--url", live_server.url]
    rita = people["rita"]
    target = ["proj", "churn", "1.0.0", str(files)]

    code, out = _run(capsys, "upload", *target)
    assert code == 2 and "set MODEL_REGISTRY_URL" in out
    code, out = _run(capsys, "upload", *target, *url)
    assert code == 3 and "Set MODEL_REGISTRY_TOKEN" in out
    code, out = _run(capsys, "upload", *target, *url, "--token", "mrt_wrong")
    assert code == 3 and "invalid, expired or revoked token" in out
    code, out = _run(capsys, "upload", *target, *url, "--token", rita.read_token)
    assert code == 3 and "scope" in out
    code, out = _run(capsys, "upload", *target, *url, "--token", people["gus"].token)
    assert code == 3 and "role" in out
    code, out = _run(capsys, "upload", "proj", "chrun", "1.0.0", str(files), *url, "--token", rita.token)
    assert code == 4 and "model 'chrun' not found" in out and "--create-model" in out
    code, out = _run(capsys, "download", "proj", "churn", "9.9.9", *url, "--token", rita.token)
    assert code == 4 and "version '9.9.9' of model 'churn' not found" in out
    code, out = _run(capsys, "upload", "elsewhere", "churn", "1.0.0", str(files), *url, "--token", rita.token)
    assert code == 4
    code, out = _run(capsys, "upload", "proj", "churn", "1.0", str(files), *url, "--token", rita.token)
    assert code == 2 and "not a semantic version" in out
    code, out = _run(capsys, "upload", "proj", "churn", "1.0.0", str(files / "missing.bin"), *url, "--token", rita.token)
    assert code == 2 and "no such file or folder" in out
    (files / "back\\slash.bin").write_bytes(b"x")
    code, out = _run(capsys, "upload", "proj", "churn", "1.0.0", str(files), *url, "--token", rita.token)
    assert code == 2 and "cannot be a file path in the registry" in out
    (files / "back\\slash.bin").unlink()
    code, out = _run(capsys, "upload", *target, "--url", f"http://127.0.0.1:{free_port()}", "--token", rita.token)
    assert code == 5 and "cannot reach the registry" in out
    # nothing above created anything
    assert client.get("/api/v1/projects/proj/models", headers=rita.headers).json["total"] == 1
    assert client.get(f"/api/v1/projects/proj/models/{churn}", headers=rita.headers).json["version_count"] == 0


def test_create_model_on_request(client, people, live_server, files, capsys, monkeypatch):
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", people["rita"].token)
    code, out = _run(capsys, "upload", "proj", "new-model", "0.1.0", str(files), "--create-model",
                     "--description", "first try", "--no-progress")
    assert code == 0, out
    assert "created model new-model" in out and "created version 0.1.0" in out
    assert "new-model/0.1.0" in out and "uploaded 1 file (1 B)" in out
    code, out = _run(capsys, "files", "proj", "new-model", "0.1.0")
    assert code == 0 and "w/weights.bin" in out and "1 file(s) in new-model/0.1.0" in out

"""Downloading with the command-line client: a download cut off by the server part-way leaves no
half file and continues where it stopped; files already there are not fetched again."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
from pathlib import Path

import pytest

from flask_modelregistry.client.cli import main
from flask_modelregistry.client.sync import human_size

from .conftest import cli_command

FILES = {
    "README.md": b"# churn 1.0.0\n",
    "model/weights.bin": os.urandom(3_000_000),
    "model/zz-config.json": b'{"lr": 0.01}\n',
}


@pytest.fixture
def published(app, churn) -> dict[str, str]:
    """Version 1.0.0 of churn with FILES, uploaded through the service layer."""
    from example_app.models import db
    from flask_modelregistry.models import RegisteredModel
    from flask_modelregistry.services import artifacts, versions
    from flask_modelregistry.services.identity import Actor

    with app.app_context():
        model = db.session.get(RegisteredModel, churn)
        mv = versions.create_version("proj", Actor.system(), model, version="1.0.0")
        for path, data in FILES.items():
            artifacts.upload_artifact("proj", Actor.system(), mv.run_id, path, io.BytesIO(data))
    return {path: hashlib.sha256(data).hexdigest() for path, data in FILES.items()}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_cut_off_download_resumes_and_leaves_no_half_file(tap, published, live_server, rita, tmp_path,
                                                            monkeypatch, capsys):
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.read_token)  # reading needs no more
    dest = tmp_path / "out"
    tap.cut_get = 2  # the second file (model/weights.bin) is cut after 1.5 MB
    tap.cut_after = 1_500_000
    assert main(["download", "proj", "churn", "1.0.0", str(dest), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "model/weights.bin: the download was cut off" in out and "run the command again" in out
    assert "fetched 2 files" in out and "failed 1" in out
    assert not (dest / "model" / "weights.bin").exists()  # no half file under the real name
    part = dest / "model" / ".weights.bin.part"
    have = part.stat().st_size
    assert 0 < have < len(FILES["model/weights.bin"])

    gets_before = len(tap.gets)
    assert main(["download", "proj", "churn", "1.0.0", str(dest), "--no-progress"]) == 0
    second = tap.gets[gets_before:]
    assert second == [("/api/v1/projects/proj/packages/ml_models/1/files/model/weights.bin", f"bytes={have}-")]
    rest = human_size(len(FILES["model/weights.bin"]) - have)  # only the rest was sent
    assert f"fetched 1 file ({rest}), skipped 2 already there, failed 0" in capsys.readouterr().out
    assert _tree(dest) == FILES  # complete, checked, and the .part file is gone


def test_download_by_subprocess_then_nothing_is_fetched_again(tap, published, cli_env, tmp_path):
    first = subprocess.run(cli_command("download", "proj", "churn", "1.0.0"), cwd=tmp_path, env=cli_env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _tree(tmp_path / "churn" / "1.0.0") == FILES  # default destination: ./MODEL/VERSION
    gets = len(tap.gets)
    again = subprocess.run(cli_command("download", "proj", "churn", "1.0.0", "--subfolder", "model"), cwd=tmp_path,
                           env=cli_env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "fetched 0 files (0 B), skipped 2 already there" in again.stdout
    assert len(tap.gets) == gets


def test_a_local_file_with_other_content_is_kept_unless_overwrite(published, live_server, rita, tmp_path,
                                                                  monkeypatch, capsys):
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.token)
    (tmp_path / "README.md").write_bytes(b"my own notes")
    args = ["download", "proj", "churn", "1.0.0", str(tmp_path), "--no-progress"]
    assert main(args) == 1
    assert "exists with other content; pass --overwrite" in capsys.readouterr().out
    assert (tmp_path / "README.md").read_bytes() == b"my own notes"
    assert main([*args, "--overwrite"]) == 0
    assert (tmp_path / "README.md").read_bytes() == FILES["README.md"]

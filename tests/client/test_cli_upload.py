"""The command-line client uploading a folder to the example app served on a port: cut off
part-way for real, then completed by a second run that sends only what was missing."""
from __future__ import annotations

import os
import subprocess

from flask_modelregistry.client.cli import main

from .conftest import cli_command, make_tree, remote_files, version_id_of

FILES = {
    "model/MLmodel": b"flavors:\n  python_function: {}\n",
    "model/config/params.json": b'{"lr": 0.01}\n',
    "model/config/schema.json": b'{"inputs": []}\n',
    "model/weights/part-000.bin": os.urandom(2_000_000),
    "model/weights/part-001.bin": os.urandom(2_000_000),
    "model/weights/part-002.bin": os.urandom(300_000),
}


def test_a_killed_upload_completes_on_the_second_run_without_sending_files_again(
        client, rita, churn, tap, cli_env, tmp_path):
    tmp_path = tmp_path / "work"
    shas = make_tree(tmp_path, FILES)
    tap.hold_put = 4
    command = cli_command("upload", "proj", "churn", "1.0.0", "model", "--no-progress")
    proc = subprocess.Popen(command, cwd=tmp_path, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert tap.held.wait(60), "the client never reached the fourth file"
        proc.kill()  # cut off while sending the fourth file
        proc.wait(30)
    finally:
        tap.release.set()
        if proc.poll() is None:
            proc.kill()
    tap.wait_for_puts()
    assert proc.returncode != 0
    version_id = version_id_of(client, rita, churn, "1.0.0")  # the first run created the version
    kept = remote_files(client, rita, version_id)
    assert 3 <= len(kept) < len(FILES)
    assert all(shas[path] == sha for path, sha in kept.items())  # nothing half kept

    puts_before = len(tap.puts)
    second = subprocess.run(command, cwd=tmp_path, env=cli_env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(tap.puts) - puts_before == len(FILES) - len(kept)  # only what was missing was sent
    assert f"skipped {len(kept)} already there, failed 0" in second.stdout
    assert remote_files(client, rita, version_id) == shas

    third = subprocess.run(command, cwd=tmp_path, env=cli_env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and f"uploaded 0 files (0 B), skipped {len(FILES)}" in third.stdout
    assert len(tap.puts) - puts_before == len(FILES) - len(kept)


def test_a_failed_file_is_reported_and_sent_on_the_next_run(client, rita, churn, tap, live_server, tmp_path,
                                                            monkeypatch, capsys):
    shas = make_tree(tmp_path / "docs", {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"})
    monkeypatch.chdir(tmp_path / "docs")
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.token)
    tap.fail_put = 2
    assert main(["upload", "proj", "churn", "2.0.0-rc.1", ".", "--subfolder", "docs", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "created version 2.0.0-rc.1" in out and "FAILED" in out and "injected failure" in out
    assert "uploaded 2 files (2 B), skipped 0 already there, failed 1" in out
    puts_before = len(tap.puts)
    assert main(["upload", "proj", "churn", "2.0.0-rc.1", ".", "--subfolder", "docs", "-q"]) == 0
    assert len(tap.puts) - puts_before == 1
    assert "uploaded 1 file (1 B), skipped 2 already there, failed 0" in capsys.readouterr().out
    version_id = version_id_of(client, rita, churn, "2.0.0-rc.1")
    assert remote_files(client, rita, version_id) == {f"docs/{p}": sha for p, sha in shas.items()}


def test_other_content_under_the_same_path_is_refused_unless_overwrite(client, rita, churn, live_server, tmp_path,
                                                                      monkeypatch, capsys):
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.token)
    make_tree(tmp_path / "w", {"weights.bin": b"old weights"})
    target = ["upload", "proj", "churn", "1.0.0", str(tmp_path / "w" / "weights.bin"), "--no-progress"]
    assert main(target) == 0
    (tmp_path / "w" / "weights.bin").write_bytes(b"new weights")
    assert main(target) == 1
    assert "already in the registry with other content; pass --overwrite" in capsys.readouterr().out
    version_id = version_id_of(client, rita, churn, "1.0.0")
    assert client.get(f"/api/v1/projects/proj/packages/ml_models/{version_id}/files/weights.bin",
                      headers=rita.headers).data == b"old weights"
    assert main([*target, "--overwrite"]) == 0
    assert client.get(f"/api/v1/projects/proj/packages/ml_models/{version_id}/files/weights.bin",
                      headers=rita.headers).data == b"new weights"

"""The README's shell examples (JSON API, package files, the modelregistry command, compare) run
as written against the demo data, with only the address and the token filled in."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("## The JSON API", "## Package files", "## Compare versions")


def shell_blocks(section: str) -> str:
    text = README.read_text()
    start = text.index(section)
    end = text.find("\n## ", start + 1)
    return "\n".join(re.findall(r"```shell\n(.*?)```", text[start:end], re.S))


@pytest.fixture
def demo(app, live_server):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return live_server.url, result.output.strip().splitlines()[-1]


def _run(script: str, url: str, token: str, cwd: Path) -> str:
    script = (script.replace("http://127.0.0.1:5000", url)
              .replace("<the token make demo printed for rita>", token)
              .replace(".venv/bin/", str(Path(sys.executable).parent) + "/"))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}"
    return result.stdout


def test_readme_shell_examples(demo, tmp_path):
    url, token = demo
    api_out = _run(shell_blocks(SECTIONS[0]), url, token, tmp_path)
    docs = [json.loads(line) for line in api_out.splitlines() if line.startswith("{")]
    assert docs[0]["items"][0]["name"] == "fraud-detector"
    assert docs[1]["name"] == "churn" and docs[1]["id"] == 2
    assert docs[2]["version"] == "1.0.0" and docs[2]["id"] == 4
    assert docs[3]["path"] == "weights/model.pkl"
    last = api_out.splitlines()[-1]
    assert last.startswith("demo")  # bytes 0-3 of the file, then the resolved version
    assert json.loads(last[4:])["version"] == "1.1.0"  # ^1.0: the newest 1.x release
    # the compare examples reuse the variables of the package examples, as in one terminal
    both = _run(shell_blocks(SECTIONS[1]) + "\necho '=== compare'\n" + shell_blocks(SECTIONS[2]), url, token, tmp_path)
    package_out, compare_out = both.split("=== compare\n")
    assert "model/model.pkl" in package_out
    assert (tmp_path / "model.pkl").read_bytes().startswith(b"demo model weights 2.0.0")
    assert (tmp_path / "fraud-detector" / "1.0.0" / "README.md").is_file()
    compared = json.loads(compare_out.splitlines()[0])
    assert [v["version"] for v in compared["versions"]] == ["1.0.0", "1.1.0", "2.0.0"]

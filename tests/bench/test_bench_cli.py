"""`make bench` starts: its command line knows every workload and refuses unknown ones."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_command_line():
    ok = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0
    assert all(name in ok.stdout for name in ("api", "mlflow", "pages", "client"))
    bad = subprocess.run([sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown workload 'nope'" in bad.stderr

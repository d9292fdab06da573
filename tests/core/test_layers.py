"""The layering drawn from the imports: `.importlinter`'s contracts hold, and the client loads no server."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER_PARTS = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "werkzeug", "sqlalchemy", "marshmallow",
                "alembic", "google")


def test_import_contracts_are_kept():
    """Doors import the kit, the kit the services, the services the state, never upward; no door
    imports another nor runs a query of its own; the client imports nothing of the server."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    contracts = (ROOT / ".importlinter").read_text().count("[importlinter:contract:")
    assert contracts >= 3 and f"Contracts: {contracts} kept, 0 broken" in done.stdout, done.stdout[-2000:]


def test_importing_the_client_loads_no_flask_or_sqlalchemy():
    code = ("import json, sys\n"
            "import flask_modelregistry.client\n"
            "from flask_modelregistry.client import cli\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "flask_modelregistry.client.sync" in loaded
    assert not [m for m in loaded if m.split(".")[0] in SERVER_PARTS]
    ours = {m for m in loaded if m.startswith("flask_modelregistry") and not m.startswith("flask_modelregistry.client")}
    assert ours <= {"flask_modelregistry", "flask_modelregistry.errors", "flask_modelregistry.paths",
                    "flask_modelregistry.text"}, ours


def test_the_package_still_offers_its_names_lazily():
    code = ("import sys, flask_modelregistry as fm\n"
            "assert 'flask' not in sys.modules\n"
            "from flask_modelregistry import ModelRegistry, ROLES, current_state, LocalArtifactStore\n"
            "assert ModelRegistry.__module__ == 'flask_modelregistry.extension' and ROLES[0] == 'guest'\n"
            "assert 'flask' in sys.modules\n"
            "try:\n    fm.no_such_name\nexcept AttributeError:\n    print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr

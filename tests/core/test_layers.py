"""The layering drawn from the imports: `.importlinter`'s contracts hold, and the client loads no server."""
from __future__ import annotations

import ast
import configparser
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


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser


def _listed(value: str) -> list[str]:
    return [item.strip() for line in value.splitlines() for item in line.split("|") if item.strip()]


def _doors() -> list[str]:
    """The packages of the front doors' layer (``api | mlflow | web | ...``) and their kit."""
    layers = _contracts()["importlinter:contract:layers"]["layers"].splitlines()
    doors = next(line for line in layers if "|" in line and "flask_modelregistry.api" in line)
    return _listed(doors) + ["flask_modelregistry.kit"]


def test_every_front_door_is_bound_by_the_no_query_contract():
    """A door added to the layers (or one left out of the contract) fails here, so the contract
    that keeps queries and ORM rows out of the doors covers each of them."""
    contract = _contracts()["importlinter:contract:doors-run-no-queries"]
    bound = set(_listed(contract["source_modules"]))
    doors = _doors()
    assert {"flask_modelregistry.api", "flask_modelregistry.mlflow", "flask_modelregistry.web",
            "flask_modelregistry.packages"} <= set(doors), doors
    assert set(doors) <= bound, sorted(set(doors) - bound)
    assert {"flask_modelregistry.models", "sqlalchemy"} <= set(_listed(contract["forbidden_modules"]))
    assert contract.get("ignore_imports", "").strip() == "", "the contract holds without exceptions"


def _door_files() -> list[Path]:
    files = []
    for door in _doors():
        path = ROOT / Path(*door.split("."))
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return files


def _orm_classes() -> set[str]:
    from flask_modelregistry.models.base import Base

    return {mapper.class_.__name__ for mapper in Base.registry.mappers}


def _absolute(node: ast.ImportFrom, module: str) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")[: -node.level]
    return ".".join(package + ([node.module] if node.module else []))


def test_no_door_module_touches_an_orm_class():
    """Stricter than import-linter (which skips imports under ``TYPE_CHECKING``): no door module
    imports the ORM or SQLAlchemy anywhere, nor names an ORM class through another module
    (``from ..services.x import RegisteredModel``, ``model_service.RegisteredModel``)."""
    orm = _orm_classes()
    assert {"RegisteredModel", "ModelVersion", "Run", "Artifact", "Webhook", "LoggedModel"} <= orm
    files = _door_files()
    assert any(f.name == "entities.py" for f in files) and any(f.name == "tree.py" for f in files)
    doors = tuple(_doors())
    found = []
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if path.name == "__init__.py":
            module += ".__init__"
        tree = ast.parse(path.read_text(), str(path))
        #: names bound to modules of the layers below the doors (``model_service``, ``read_models``)
        below: set[str] = set()
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [f"{where} import {a.name}" for a in node.names
                          if a.name.split(".")[0] in ("sqlalchemy", "flask_sqlalchemy")
                          or a.name.startswith("flask_modelregistry.models")]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(node, module)
                if source.startswith(("flask_modelregistry.models", "sqlalchemy", "flask_sqlalchemy")):
                    found.append(f"{where} from {source} import ...")
                found += [f"{where} from {source} import {a.name}" for a in node.names if a.name in orm]
                if source.startswith("flask_modelregistry") and not source.startswith(doors):
                    below.update(a.asname or a.name for a in node.names)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in orm and isinstance(node.value, ast.Name)
                    and node.value.id in below):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
    assert not found, found

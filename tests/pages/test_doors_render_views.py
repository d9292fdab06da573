"""The front doors render what the services return and never read an ORM row: every attribute
read of a mapped instance is traced while the pages (lists, model and version pages, the edit
forms, the confirmation pages, webhooks), the JSON API, the MLflow API and the package API are
used, and none may come from a door module or a template."""
from __future__ import annotations

import contextlib
import io
import sys
import typing as t
from pathlib import Path

from sqlalchemy.orm.attributes import InstrumentedAttribute

from ..support import PROJECT
from .conftest import csrf_from

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "flask_modelregistry"
DOORS = tuple(f"{p}/" for p in (PACKAGE / "api", PACKAGE / "mlflow", PACKAGE / "web", PACKAGE / "kit",
                                 ROOT / "templates")) + (str(PACKAGE / "packages.py"), str(PACKAGE / "nav.py"))
#: the standard library and the installed packages (Jinja, marshmallow, SQLAlchemy, Flask ...)
LIBRARIES = (sys.prefix, sys.base_prefix, sys.exec_prefix, "<")
API = f"/api/v1/projects/{PROJECT}"
ML = f"{API}/ml/mlflow/api/2.0/mlflow"


def _reader(frame: t.Any) -> str | None:
    """The first caller outside the libraries (Jinja, marshmallow, SQLAlchemy ...): a template's
    frame carries the template's file name."""
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(LIBRARIES):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return None


@contextlib.contextmanager
def row_reads() -> t.Iterator[list[str]]:
    """Every read of a mapped attribute whose reader is a door module or a template."""
    seen: list[str] = []
    original = InstrumentedAttribute.__get__

    def traced(self, instance, owner):
        if instance is not None:
            reader = _reader(sys._getframe(1))
            if reader is not None and reader.startswith(DOORS):
                seen.append(f"{reader[len(str(ROOT)) + 1:]} {owner.__name__}.{self.key}")
        return original(self, instance, owner)

    InstrumentedAttribute.__get__ = traced  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        InstrumentedAttribute.__get__ = original  # type: ignore[method-assign]


def _ok(response, *codes: int):
    assert response.status_code in (codes or (200,)), (response.status_code, response.get_data(as_text=True)[:500])
    return response


def test_the_tracer_sees_a_door_reading_a_row(app, seeded):
    """The check can fail: a row read from a module under ``web/`` is reported."""
    from flask_modelregistry.services import registered_models
    from flask_modelregistry.services.identity import Actor

    code = compile("def read(model):\n    return model.name\n", str(PACKAGE / "web" / "probe.py"), "exec")
    scope: dict[str, t.Any] = {}
    exec(code, scope)
    with app.app_context():
        model = registered_models.get_model(PROJECT, Actor.system("test"), seeded.model_id)
        with row_reads() as seen:
            assert scope["read"](model) == "churn"
    assert seen == ["flask_modelregistry/web/probe.py:2 RegisteredModel.name"], seen


def test_no_door_reads_an_orm_row(app, seeded, signed_in, people):
    max_ = signed_in("max")
    headers = people["max"].headers
    m, v1, v2 = seeded.model_url, seeded.version_url(seeded.v1), seeded.version_url(seeded.v2)
    hooks = f"/projects/{PROJECT}/model-registry/webhooks"
    with row_reads() as seen:
        # pages: lists, the model and version pages with their tabs, compare, settings
        for url in (f"/projects/{PROJECT}/models", m, f"{m}?tab=versions", f"{m}?tab=performance", v1,
                    f"{v1}?tab=artifacts", f"{v1}?tab=performance", v2, f"{m}/versions/new",
                    f"{m}/compare?versions={seeded.v1},{seeded.v2}", f"{m}/compare",
                    f"/projects/{PROJECT}/model-registry/settings"):
            _ok(max_.get(url))
        # the edit forms and the confirmation pages, shown and sent
        token = csrf_from(_ok(max_.get(f"{m}/edit")).data)
        _ok(max_.post(f"{m}/edit", data={"csrf_token": token, "name": "churn", "description": "Card."}), 302)
        token = csrf_from(_ok(max_.get(f"{v2}/edit")).data)
        _ok(max_.post(f"{v2}/edit", data={"csrf_token": token, "description": "Second."}), 302)
        _ok(max_.get(f"{v1}/artifacts/delete?paths=README.md"))
        _ok(max_.get(f"{m}/delete"))
        token = csrf_from(_ok(max_.get(f"{v2}/delete")).data)
        _ok(max_.post(f"{v2}/delete", data={"csrf_token": token}), 302)
        token = csrf_from(_ok(max_.get(f"/projects/{PROJECT}/models/new")).data)
        _ok(max_.post(f"/projects/{PROJECT}/models/new", data={"csrf_token": token, "name": "other"}), 302)
        # webhooks pages
        token = csrf_from(_ok(max_.get(f"{hooks}/new")).data)
        _ok(max_.post(f"{hooks}/new", data={"csrf_token": token, "name": "hook", "url": "https://example.com/h",
                                              "events": ["registered_model.deleted"]}), 302)
        hook_id = _ok(max_.get(f"{API}/webhooks", headers=headers)).get_json()["items"][0]["id"]
        for url in (hooks, f"{hooks}/{hook_id}", f"{hooks}/{hook_id}/edit", f"{hooks}/{hook_id}/delete"):
            _ok(max_.get(url))

        # the JSON API
        client = app.test_client()
        for url in (f"{API}/models", f"{API}/models/{seeded.model_id}", f"{API}/models/{seeded.model_id}/versions",
                    f"{API}/models/{seeded.model_id}/versions/{seeded.v1}",
                    f"{API}/models/{seeded.model_id}/versions/{seeded.v1}/artifacts",
                    f"{API}/models/{seeded.model_id}/versions/{seeded.v1}/artifacts/model/weights.bin",
                    f"{API}/webhooks", f"{API}/webhooks/{hook_id}", f"{API}/webhooks/{hook_id}/deliveries"):
            _ok(client.get(url, headers=headers))
        mv1 = f"{API}/models/{seeded.model_id}/versions/{seeded.v1}"
        for url in (f"{mv1}/metrics?key=accuracy", f"{mv1}/semver-check", f"{mv1}/datasets",
                    f"{API}/models/{seeded.model_id}/compare?versions={seeded.v1},{seeded.v1}",
                    f"{API}/models/{seeded.model_id}/evolution", f"{API}/models/{seeded.model_id}/versions/resolve?range=^1"):
            _ok(client.get(url, headers=headers), 200, 422)
        _ok(client.post(f"{mv1}/metrics", json=[{"key": "f1", "value": 0.5}], headers=headers), 201)
        _ok(client.put(f"{mv1}/params", json={"lr": "0.1"}, headers=headers))
        _ok(client.put(f"{mv1}/datasets", json=[{"name": "d", "role": "training"}], headers=headers))
        _ok(client.put(f"{API}/models/{seeded.model_id}/metric-goals/f1", json={"goal": "max"}, headers=headers))
        made = _ok(client.post(f"{API}/models", json={"name": "api-made"}, headers=headers), 201).get_json()
        _ok(client.patch(f"{API}/models/{made['id']}", json={"description": "x"}, headers=headers))
        version = _ok(client.post(f"{API}/models/{made['id']}/versions", json={"version": "1.0.0"}, headers=headers),
                      201).get_json()
        _ok(client.put(f"{API}/models/{made['id']}/versions/{version['id']}/artifacts/a.txt", data=b"abc",
                       headers=headers), 201)
        _ok(client.patch(f"{API}/webhooks/{hook_id}", json={"description": "d"}, headers=headers))

        # the package API
        packages = f"{API}/packages/ml_models/{seeded.v1}/files"
        _ok(client.get(packages, headers=headers))
        _ok(client.get(f"{packages}/model/weights.bin", headers=headers))
        _ok(client.put(f"{packages}/b.txt", data=io.BytesIO(b"b"), headers=headers), 201)

        # the MLflow API
        _ok(client.post(f"{ML}/registered-models/create", json={"name": "ml"}, headers=headers))
        created = _ok(client.post(f"{ML}/model-versions/create", json={"name": "ml", "source": "s3://bucket/model"},
                                  headers=headers)).get_json()["model_version"]
        _ok(client.post(f"{ML}/registered-models/alias", json={"name": "ml", "alias": "a", "version": "1"},
                        headers=headers))
        for url in ("/registered-models/search", "/model-versions/search", "/registered-models/get?name=ml",
                    "/model-versions/get?name=ml&version=1", "/registered-models/alias?name=ml&alias=a",
                    f"/runs/get?run_id={created['run_id']}", f"/artifacts/list?run_id={created['run_id']}",
                    "/experiments/get?experiment_id=0"):
            _ok(client.get(ML + url, headers=headers))
        _ok(client.post(f"{ML}/webhooks", json={"name": "mh", "url": "https://example.com/m",
                                                "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]},
                        headers=headers))
        _ok(client.get(f"{ML}/webhooks", headers=headers))
    assert not seen, "door reads of ORM rows:\n" + "\n".join(sorted(set(seen)))

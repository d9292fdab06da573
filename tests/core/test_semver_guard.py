"""The semver guard compares MLmodel signatures between releases and judges the version bump."""
from __future__ import annotations

import io
import json

import pytest

from flask_modelregistry.services import artifacts, registered_models, versions
from flask_modelregistry.services.identity import Actor
from flask_modelregistry.services.semver_guard import check_version

SYSTEM = Actor.system()
BASE_IN = [{"type": "double", "name": "amount", "required": True},
           {"type": "string", "name": "merchant", "required": True}]
BASE_OUT = [{"type": "double", "name": "fraud_probability", "required": True}]


def mlmodel(inputs, outputs) -> bytes:
    return ("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
            "signature:\n"
            f"  inputs: '{json.dumps(inputs)}'\n"
            f"  outputs: '{json.dumps(outputs)}'\n"
            "  params: null\n").encode()


@pytest.fixture
def model(app_ctx):
    return registered_models.create_model("proj", SYSTEM, name="guarded")


def release(model, text, inputs=BASE_IN, outputs=BASE_OUT, path="model/MLmodel"):
    mv = versions.create_version("proj", SYSTEM, model, version=text)
    if inputs is not None:
        artifacts.upload_artifact("proj", SYSTEM, mv.run_id, path, io.BytesIO(mlmodel(inputs, outputs)))
    return mv


def test_verdicts(model):
    release(model, "1.0.0")
    same = check_version("proj", SYSTEM, release(model, "1.0.1"))
    assert same.status == "ok" and same.previous_version == "1.0.0" and same.bump == "patch"
    new_required = BASE_IN + [{"type": "long", "name": "age", "required": True}]
    sneaky = check_version("proj", SYSTEM, release(model, "1.1.0", inputs=new_required))
    assert sneaky.status == "warning" and "major" in sneaky.message
    assert sneaky.breaking == ("new required input 'age'",)
    honest = check_version("proj", SYSTEM, release(model, "2.0.0", inputs=new_required))
    assert honest.status == "ok" and honest.bump == "major" and honest.previous_version == "1.1.0"
    optional = new_required + [{"type": "string", "name": "country", "required": False}]
    feature_as_patch = check_version("proj", SYSTEM, release(model, "2.0.1", inputs=optional))
    assert feature_as_patch.status == "warning" and feature_as_patch.additions == ("new optional input 'country'",)
    no_output = check_version("proj", SYSTEM, release(model, "2.1.0", inputs=optional, outputs=[]))
    assert no_output.status == "warning" and no_output.breaking == ("output 'fraud_probability' was removed",)
    retyped = [{"type": "string", "name": "amount", "required": True}] + optional[1:]
    assert check_version("proj", SYSTEM, release(model, "3.0.0", inputs=retyped, outputs=BASE_OUT)).status == "ok"


def test_prereleases_compare_with_the_release_below_and_zero_major_is_lenient(model):
    release(model, "0.1.0")
    breaking = BASE_IN + [{"type": "long", "name": "age", "required": True}]
    assert check_version("proj", SYSTEM, release(model, "0.2.0", inputs=breaking)).status == "ok"
    # dropping an input is fine (callers may keep sending it); dropping an output is not
    assert check_version("proj", SYSTEM, release(model, "0.2.1", inputs=BASE_IN)).status == "ok"
    assert check_version("proj", SYSTEM, release(model, "0.2.2", inputs=BASE_IN, outputs=[])).status == "warning"
    rc = check_version("proj", SYSTEM, release(model, "1.0.0-rc.1", inputs=BASE_IN))
    assert rc.previous_version == "0.2.2" and rc.bump == "major"


def test_unknown_without_signatures(model):
    assert check_version("proj", SYSTEM, release(model, "1.0.0")).status == "unknown"
    unsigned = check_version("proj", SYSTEM, release(model, "1.1.0", inputs=None))
    assert unsigned.status == "unknown" and "1.1.0 has no model signature" in unsigned.message
    mv = release(model, "1.2.0", inputs=None)
    artifacts.upload_artifact("proj", SYSTEM, mv.run_id, "MLmodel", io.BytesIO(b"signature: [not: valid: yaml"))
    assert check_version("proj", SYSTEM, mv).status == "unknown"


def test_over_the_api(client, rita):
    P = "/api/v1/projects/proj"
    m = client.post(f"{P}/models", json={"name": "api-guard"}, headers=rita.headers).json
    ids = []
    for text, inputs in (("1.0.0", BASE_IN), ("1.0.1", BASE_IN + [{"type": "long", "name": "x", "required": True}])):
        v = client.post(f"{P}/models/{m['id']}/versions", json={"version": text}, headers=rita.headers).json
        client.put(f"{P}/models/{m['id']}/versions/{v['id']}/artifacts/MLmodel", data=mlmodel(inputs, BASE_OUT),
                   headers=rita.headers)
        ids.append(v["id"])
    r = client.get(f"{P}/models/{m['id']}/versions/{ids[1]}/semver-check", headers=rita.headers)
    assert r.status_code == 200
    assert r.json["status"] == "warning" and r.json["bump"] == "patch" and r.json["breaking"] == ["new required input 'x'"]
    assert client.get(f"{P}/models/{m['id']}/versions/{ids[0]}/semver-check",
                      headers=rita.headers).json["status"] == "unknown"


def test_the_version_page_warns_about_a_sneaky_bump(app, client, people):
    from tests.support import login

    with app.app_context():
        model = registered_models.create_model("proj", SYSTEM, name="paged-guard")
        release(model, "1.0.0")
        sneaky = release(model, "1.0.1", outputs=[])
        honest = release(model, "2.0.0", outputs=[])
        ids = (model.id, sneaky.id, honest.id)
    login(client, "gus")
    page = client.get(f"/projects/proj/models/{ids[0]}/versions/{ids[1]}").get_data(as_text=True)
    assert 'data-mr-semver-check="warning"' in page
    assert "Breaking: output &#39;fraud_probability&#39; was removed" in page
    assert "call for a major version, but this is a patch bump" in page
    page = client.get(f"/projects/proj/models/{ids[0]}/versions/{ids[2]}").get_data(as_text=True)
    assert 'data-mr-semver-check="warning"' not in page and 'data-mr-semver-check="ok"' in page


@pytest.mark.parametrize("hostile", [
    b"signature: " + b"[" * 30_000,  # nesting too deep for the YAML parser's recursion
    b"signature:\n  inputs: '" + b"[" * 30_000 + b"'\n  outputs: '[]'\n",  # too deep for json.loads
])
def test_a_deeply_nested_mlmodel_is_no_signature(app, client, people, hostile):
    """A reporter's hostile MLmodel file must not break the version's page or API for everyone."""
    from tests.support import login

    with app.app_context():
        model = registered_models.create_model("proj", SYSTEM, name="nested")
        release(model, "1.0.0")
        mv = release(model, "1.1.0", inputs=None)
        artifacts.upload_artifact("proj", SYSTEM, mv.run_id, "MLmodel", io.BytesIO(hostile))
        ids = (model.id, mv.id)
    r = client.get(f"/api/v1/projects/proj/models/{ids[0]}/versions/{ids[1]}/semver-check",
                   headers=people["gus"].headers)
    assert r.status_code == 200 and r.json["status"] == "unknown" and "1.1.0 has no model signature" in r.json["message"]
    login(client, "gus")
    page = client.get(f"/projects/proj/models/{ids[0]}/versions/{ids[1]}")
    assert page.status_code == 200 and 'data-mr-semver-check="unknown"' in page.get_data(as_text=True)

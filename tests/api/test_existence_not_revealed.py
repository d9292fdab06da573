"""Someone signed in who is not a member learns nothing about a private project: a project whose
registry is disabled answers them exactly as a project that does not exist, on every front door.
Members are told that the registry is disabled."""
from __future__ import annotations

from ..support import set_registry

DOORS = ("/models", "/ml/mlflow/api/2.0/mlflow/registered-models/search", "/packages/ml_models/1/files")


def _answers(client, headers, project):
    return [(r.status_code, r.get_data(as_text=True))
            for r in (client.get(f"/api/v1/projects/{project}{door}", headers=headers) for door in DOORS)]


def test_a_disabled_registry_looks_like_no_project_to_outsiders(app, client, people):
    set_registry(app, enabled=False)
    outsider = people["otto"].headers
    assert _answers(client, outsider, "proj") == _answers(client, outsider, "no-such-project")
    assert all(status == 404 for status, _body in _answers(client, outsider, "proj"))


def test_members_are_told_the_registry_is_disabled(app, client, people):
    set_registry(app, enabled=False)
    for status, body in _answers(client, people["gus"].headers, "proj"):
        assert status == 404 and "disabled" in body

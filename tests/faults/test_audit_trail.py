"""The audit trail records every change through every door, in the same transaction as the change:
a change made shows in the audit API with its author and door, and a change that fails leaves no
event behind."""
from __future__ import annotations

import pytest

P = "/api/v1/projects/proj"
ML = f"{P}/ml/mlflow/api/2.0/mlflow"


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "audited"}, headers=rita.headers).json
    mv = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return model["id"], mv["id"], mv["run_id"]


def _events(client, people) -> list[dict]:
    r = client.get(f"{P}/model-registry/audit?limit=200", headers=people["max"].headers)
    assert r.status_code == 200, r.data[:300]
    return r.json["items"]


def _last(client, people) -> dict:
    return _events(client, people)[0]


def test_every_change_is_recorded(client, people, version):
    rita = people["rita"]
    m, v, run_id = version
    base = f"{P}/models/{m}/versions/{v}"

    def ml(call: str, body: dict) -> None:
        r = client.post(f"{ML}/{call}", json=body, headers=rita.headers)
        assert r.status_code == 200, (call, r.data[:300])

    changes = [
        (lambda: client.post(f"{base}/metrics", json=[{"key": "loss", "value": 0.5}], headers=rita.headers),
         "run.metrics", lambda d: d["keys"] == ["loss"] and d["values"] == 1),
        (lambda: client.put(f"{base}/datasets", json=[{"name": "train-set", "role": "training"}], headers=rita.headers),
         "run.datasets", lambda d: d["datasets"] == ["train-set (training)"]),
        (lambda: ml("model-versions/set-tag", {"name": "audited", "version": "1", "key": "stage", "value": "qa"}),
         "version.tag.set", lambda d: d == {"stage": "qa"}),
        (lambda: client.delete(f"{ML}/model-versions/delete-tag", json={"name": "audited", "version": "1",
                                                                         "key": "stage"}, headers=rita.headers),
         "version.tag.delete", lambda d: d == {"key": "stage"}),
        (lambda: ml("runs/set-tag", {"run_id": run_id, "key": "team", "value": "fraud"}),
         "run.tag.set", lambda d: d["tags"] == {"team": "fraud"}),
        (lambda: ml("runs/set-tag", {"run_id": run_id, "key": "model_registry.ci_job_id", "value": "4711"}),
         "run.tag.set", lambda d: d["tags"].get("model_registry.ci_job_id") == "4711"),
        (lambda: ml("runs/delete-tag", {"run_id": run_id, "key": "team"}),
         "run.tag.delete", lambda d: d == {"key": "team"}),
        (lambda: ml("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}),
         "run.param.log", lambda d: d["params"] == {"lr": "0.1"}),
        (lambda: ml("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1,
                                                                      "step": 0}],
                                       "params": [{"key": "depth", "value": "3"}], "tags": [{"key": "t", "value": "1"}]}),
         "run.batch", lambda d: d["metric_keys"] == ["acc"] and d["params"] == {"depth": "3"} and d["tags"] == {"t": "1"}),
        (lambda: ml("runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {
            "name": "eval-set", "digest": "abc", "source_type": "local", "source": "{}"}, "tags": [
            {"key": "mlflow.data.context", "value": "evaluation"}]}]}),
         "run.inputs", lambda d: d["datasets"] == ["eval-set (evaluation)"]),
        (lambda: ml("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 1700000000000}),
         "run.update", lambda d: d["status"] == "FINISHED" and d["end_time"] == 1700000000000),
        (lambda: ml("runs/log-metric", {"run_id": run_id, "key": "f1", "value": 0.7, "timestamp": 1, "step": 0}),
         "run.metrics", lambda d: d["keys"] == ["f1"]),
    ]
    for change, action, details_ok in changes:
        before = len(_events(client, people))
        answer = change()
        if answer is not None:
            assert answer.status_code in (200, 201, 204), (action, answer.data[:300])
        events = _events(client, people)
        assert len(events) == before + 1, (action, [e["action"] for e in events[:3]])
        event = events[0]
        assert event["action"] == action, (action, event)
        assert event["actor"] == "rita" and event["via"] == "token", event
        assert details_ok(event["details"]), (action, event["details"])


def test_a_change_that_fails_records_nothing(client, people, version):
    rita = people["rita"]
    m, v, run_id = version
    r = client.post(f"{ML}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"},
                    headers=rita.headers)
    assert r.status_code == 200
    before = _events(client, people)
    # a batch changing a logged parameter fails inside its transaction: its metrics and event go too
    r = client.post(f"{ML}/runs/log-batch", json={"run_id": run_id, "params": [{"key": "lr", "value": "0.2"}],
                                                  "metrics": [{"key": "acc", "value": 1, "timestamp": 1, "step": 0}]},
                    headers=rita.headers)
    assert r.status_code == 400, r.data[:300]
    r = client.post(f"{P}/models/{m}/versions/{v}/metrics", data='[{"key": "loss", "value": 1e400}]',
                    content_type="application/json", headers=rita.headers)
    assert r.status_code == 422
    r = client.post(f"{ML}/runs/delete-tag", json={"run_id": run_id, "key": "no-such-tag"}, headers=rita.headers)
    assert r.status_code == 404
    assert _events(client, people) == before
    metrics = client.get(f"{P}/models/{m}/versions/{v}/metrics", headers=rita.headers).json
    assert metrics["items"] == []

"""A model with three versions whose metrics overlap and go missing, whose parameters and datasets
differ, created through the JSON API as a user would."""
from __future__ import annotations

import dataclasses

import pytest

P = "/api/v1/projects/proj"


@dataclasses.dataclass(frozen=True)
class ThreeVersions:
    model_id: int
    v1: int
    v2: int
    v3: int

    @property
    def base(self) -> str:
        return f"{P}/models/{self.model_id}"


def create_version(client, headers, model_id: int, version: str, **fields) -> dict:
    r = client.post(f"{P}/models/{model_id}/versions", json={"version": version, **fields}, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


@pytest.fixture
def three_versions(client, rita) -> ThreeVersions:
    h = rita.headers
    r = client.post(f"{P}/models", json={"name": "churn"}, headers=h)
    assert r.status_code == 201, r.json
    model_id = r.json["id"]
    r = client.patch(f"{P}/models/{model_id}", json={"metric_goals": {"accuracy": "max", "loss": "min"}}, headers=h)
    assert r.status_code == 200, r.json
    train = {"name": "tx-train", "role": "training", "uri": "gs://data/train-q1.parquet", "digest": "sha256:d1"}
    test = {"name": "tx-test", "role": "test", "uri": "gs://data/test.parquet", "digest": "sha256:t1"}
    v1 = create_version(client, h, model_id, "1.0.0",
                        metrics=[{"key": "accuracy", "value": 0.80, "step": 0}, {"key": "accuracy", "value": 0.85, "step": 1},
                                 {"key": "loss", "value": 0.40, "step": 1}],
                        params={"learning_rate": "0.01", "max_depth": "6", "seed": "42"},
                        metadata={"framework": "sklearn"}, datasets=[train, test])
    v2 = create_version(client, h, model_id, "1.1.0",
                        metrics=[{"key": "accuracy", "value": 0.91, "step": 1}, {"key": "f1", "value": 0.70}],
                        params={"learning_rate": "0.005", "max_depth": "6", "seed": "42"},
                        metadata={"framework": "sklearn"},
                        datasets=[{**train, "uri": "gs://data/train-q2.parquet", "digest": "sha256:d2"}, test])
    v3 = create_version(client, h, model_id, "2.0.0",
                        metrics=[{"key": "accuracy", "value": 0.91}, {"key": "loss", "value": 0.30},
                                 {"key": "f1", "value": "NaN"}],
                        params={"learning_rate": "0.005", "max_depth": "8", "seed": "42", "epochs": "3"},
                        metadata={"framework": "sklearn", "gpu": "a100"}, parent_version_id=v2["id"],
                        datasets=[{**train, "uri": "gs://data/train-q2.parquet", "digest": "sha256:d2"}, test,
                                  {"name": "tx-val", "role": "validation", "uri": "gs://data/val.parquet",
                                   "digest": "sha256:v1"}])
    return ThreeVersions(model_id, v1["id"], v2["id"], v3["id"])

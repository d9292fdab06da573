"""The measured cases across two gunicorn worker processes sharing PostgreSQL."""
from __future__ import annotations

import requests

from tests.core.test_concurrency import gunicorn_on_postgres  # noqa: F401  (the fixture)

from .test_races import MLFLOW, N, P, burst, codes


def test_two_workers_replace_create_and_race_deletes(gunicorn_on_postgres):  # noqa: F811
    base, headers, proc = gunicorn_on_postgres
    model = requests.post(f"{base}{P}/models", json={"name": "m"}, headers=headers, timeout=30).json()
    version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={}, headers=headers, timeout=30).json()
    url = f"{base}{P}/models/{model['id']}/versions/{version['id']}/metadata"
    bodies = [{f"k{i}-a": f"v{i}", f"k{i}-b": f"w{i}"} for i in range(N)]
    answers = burst([lambda s, body=body: s.put(url, json=body, headers=headers, timeout=60) for body in bodies])
    assert codes(answers) == [200] * N, [r.text[:200] for r in answers if r.status_code != 200]
    stored = requests.get(f"{base}{P}/models/{model['id']}/versions/{version['id']}", headers=headers, timeout=30).json()
    assert stored["metadata"] in bodies

    answers = burst([lambda s: s.post(f"{base}{MLFLOW}/model-versions/create",
                                      json={"name": "m", "source": "s3://bucket/model"}, headers=headers, timeout=60)
                     for _ in range(N)])
    assert codes(answers) == [200] * N, [r.text[:200] for r in answers if r.status_code != 200]
    assert sorted(int(r.json()["model_version"]["version"]) for r in answers) == list(range(2, N + 2))

    number = str(N + 1)
    calls = [lambda s: s.delete(f"{base}{MLFLOW}/model-versions/delete", json={"name": "m", "version": number},
                                headers=headers, timeout=60)]
    calls += [lambda s, i=i: s.post(f"{base}{MLFLOW}/model-versions/set-tag", json={
        "name": "m", "version": number, "key": f"k{i}", "value": "v"}, headers=headers, timeout=60) for i in range(8)]
    answers = burst(calls)
    assert answers[0].status_code == 200 and set(codes(answers[1:])) <= {200, 404}, codes(answers)
    assert proc.poll() is None

"""A model's metrics across its versions, for the evolution chart: semver order with prereleases
flagged, or creation order; the best version by the model's metric goals."""
from __future__ import annotations

from .conftest import P, create_version


def test_evolution_in_semver_order_with_prereleases_apart(client, rita):
    h = rita.headers
    model = client.post(f"{P}/models", json={"name": "ranker"}, headers=h).json
    base = f"{P}/models/{model['id']}"
    # created out of order, as teams do when they patch an old line
    created = ["1.1.0", "1.0.0", "2.0.0-alpha.1", "1.1.0-rc.1", "0.9.0", "2.0.0-alpha.10"]
    accuracy = {"0.9.0": 0.70, "1.0.0": 0.80, "1.1.0-rc.1": 0.83, "1.1.0": 0.85, "2.0.0-alpha.1": 0.86,
                "2.0.0-alpha.10": 0.84}
    ids = {}
    for version in created:
        metrics = [{"key": "accuracy", "value": accuracy[version] - 0.1, "step": 0},
                   {"key": "accuracy", "value": accuracy[version], "step": 5}]
        if version != "1.0.0":
            metrics.append({"key": "latency_ms", "value": 10 + len(ids)})
        ids[version] = create_version(client, h, model["id"], version, metrics=metrics)["id"]
    client.put(f"{base}/metric-goals/accuracy", json={"goal": "max"}, headers=h)

    r = client.get(f"{base}/evolution", headers=h)
    assert r.status_code == 200, r.json
    evo = r.json
    order = ["0.9.0", "1.0.0", "1.1.0-rc.1", "1.1.0", "2.0.0-alpha.1", "2.0.0-alpha.10"]
    assert [v["version"] for v in evo["versions"]] == order
    assert [v["is_prerelease"] for v in evo["versions"]] == [False, False, True, False, True, True]
    assert evo["available_metrics"] == ["accuracy", "latency_ms"] and evo["truncated"] is False
    acc = next(s for s in evo["series"] if s["key"] == "accuracy")
    assert [p["version"] for p in acc["points"]] == order  # one point per version
    assert [p["value"] for p in acc["points"]] == [accuracy[v] for v in order]  # the last value of each
    assert all(p["created_at"] for p in acc["points"])
    assert acc["goal"] == "max" and acc["best_version_id"] == ids["2.0.0-alpha.1"]
    latency = next(s for s in evo["series"] if s["key"] == "latency_ms")
    assert "1.0.0" not in [p["version"] for p in latency["points"]]  # no value, no point
    assert latency["goal"] is None and latency["best_version_id"] is None

    by_date = client.get(f"{base}/evolution?order=created_at&metrics=accuracy", headers=h).json
    assert [v["version"] for v in by_date["versions"]] == created
    assert [s["key"] for s in by_date["series"]] == ["accuracy"]
    assert [p["version"] for p in by_date["series"][0]["points"]] == created


def test_evolution_refuses_bad_parameters_and_follows_access(client, people):
    h = people["rita"].headers
    model = client.post(f"{P}/models", json={"name": "ranker"}, headers=h).json
    base = f"{P}/models/{model['id']}"
    r = client.get(f"{base}/evolution?order=sideways", headers=h)
    assert r.status_code == 422 and "order" in r.json["error"]["fields"]
    r = client.get(f"{base}/evolution?metrics=" + ",".join(f"m{n}" for n in range(60)), headers=h)
    assert r.status_code == 422 and "metrics" in r.json["error"]["fields"]
    assert client.get(f"{base}/evolution", headers=people["gus"].headers).status_code == 200
    assert client.get(f"{base}/evolution", headers=people["otto"].headers).status_code == 404
    assert client.get(f"{base}/evolution").status_code == 401
    assert client.get(f"{P}/models/999999/evolution", headers=h).status_code == 404

"""MLflow's get-history pages a metric's values in the database: each page reads one page of
rows (plus one, to know whether another follows), not every value the run ever logged."""
from __future__ import annotations

import sqlalchemy as sa

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


def test_pages_follow_each_other_and_each_reads_one_page(app, client, rita):
    from example_app.models import db

    model = client.post(f"{P}/models", json={"name": "long-training"}, headers=rita.headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    run_id = version["run_id"]
    metrics = [{"key": "loss", "value": 1 / (step + 1), "step": step, "timestamp": 1000 + step} for step in range(25)]
    metrics += [{"key": "accuracy", "value": 0.5, "step": step, "timestamp": 1000} for step in range(40)]
    assert client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "metrics": metrics},
                       headers=rita.headers).status_code == 200

    metric_queries: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM mr_run_metrics" in statement:
            metric_queries.append(statement.upper())

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        steps, sizes, token = [], [], None
        while True:
            query = {"run_id": run_id, "metric_key": "loss", "max_results": 10, **({"page_token": token} if token else {})}
            r = client.get(f"{T}/metrics/get-history", query_string=query, headers=rita.headers)
            assert r.status_code == 200, r.json
            sizes.append(len(r.json["metrics"]))
            steps += [m["step"] for m in r.json["metrics"]]
            token = r.json.get("next_page_token")
            if not token:
                break
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert steps == list(range(25)) and sizes == [10, 10, 5]
    assert len(metric_queries) == 3 and all("LIMIT" in q for q in metric_queries), metric_queries

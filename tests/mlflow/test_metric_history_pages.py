"""MLflow's get-history pages a metric's values by their sort key (step, timestamp, id): a page
token names the last value shown, and the next page is one index seek past it. So every value
comes back exactly once and in the order it always had (ties in step and timestamp included),
through the real client's own paging; values logged between two pages neither repeat nor hide
others; a late page reads as many rows as the first; and a token of another run or metric, or
one changed by hand, is refused with MLflow's ``INVALID_PARAMETER_VALUE``."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from ..metric_history import bulk_history, engine_of, garbage, logged, shown, tampered, tied_history
from ..rows_read import RowsRead

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


def new_run(client, rita, name: str = "long-training") -> str:
    model = client.post(f"{P}/models", json={"name": name}, headers=rita.headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return version["run_id"]


def history_pages(client, rita, run_id: str, key: str, max_results: int) -> list[dict]:
    pages, token = [], None
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": max_results, **({"page_token": token} if token else {})}
        r = client.get(f"{T}/metrics/get-history", query_string=query, headers=rita.headers)
        assert r.status_code == 200, r.json
        pages.append(r.json)
        token = r.json.get("next_page_token")
        if not token:
            return pages


def test_pages_follow_each_other_and_each_reads_one_page(app, client, rita):
    run_id = new_run(client, rita)
    metrics = [{"key": "loss", "value": 1 / (step + 1), "step": step, "timestamp": 1000 + step} for step in range(25)]
    metrics += [{"key": "accuracy", "value": 0.5, "step": step, "timestamp": 1000} for step in range(40)]
    assert client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "metrics": metrics},
                       headers=rita.headers).status_code == 200

    metric_queries: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM mr_run_metrics" in statement:
            metric_queries.append(statement.upper())

    engine = engine_of(app)
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        pages = history_pages(client, rita, run_id, "loss", 10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert [m["step"] for page in pages for m in page["metrics"]] == list(range(25))
    assert [len(page["metrics"]) for page in pages] == [10, 10, 5]
    assert len(metric_queries) == 3 and all("LIMIT" in q for q in metric_queries), metric_queries


def test_the_mlflow_client_reads_a_tied_history_once_each_in_order(tracking, rita, monkeypatch):
    """The client asks for 25,000 values a page; here 7, so 300 values take 43 pages."""
    from mlflow.entities import Metric
    from mlflow.store.tracking.rest_store import RestStore
    from mlflow.tracking._tracking_service import client as service_client

    app = tracking.app
    run_id = new_run(app.test_client(), rita)
    c = tracking.use("rita")
    values = tied_history()
    for start in range(0, len(values), 100):
        c.log_batch(run_id, metrics=[Metric(v["key"], float(v["value"]), v["timestamp"], v["step"])
                                     for v in values[start:start + 100]])
    expected = logged(engine_of(app), run_id, "loss")
    numbers = [v for v in expected if v[1] != "nan"]
    assert len(expected) == 300 and len(set(numbers)) == len(numbers) == 294  # each told apart by its value

    monkeypatch.setattr(service_client, "GET_METRIC_HISTORY_MAX_RESULTS", 7)
    tokens: list = []
    asked = RestStore.get_metric_history

    def counted(self, *args, **kwargs):
        tokens.append(kwargs.get("page_token"))
        return asked(self, *args, **kwargs)

    monkeypatch.setattr(RestStore, "get_metric_history", counted)
    got = [shown(m.key, m.value, m.step, m.timestamp) for m in c.get_metric_history(run_id, "loss")]
    assert got == expected
    assert len(tokens) == 43 and tokens[0] is None and len(set(tokens[1:])) == 42


def test_the_mlflow_client_pages_a_long_history_with_its_own_page_size(tracking, rita):
    """60,000 values, four at each step with timestamps in turn: three pages of the client's 25,000."""
    app = tracking.app
    run_id = new_run(app.test_client(), rita)
    bulk_history(app, run_id, 60_000, per_step=4)
    got = [shown(m.key, m.value, m.step, m.timestamp) for m in tracking.use("rita").get_metric_history(run_id, "loss")]
    assert got == logged(engine_of(app), run_id, "loss") and len(got) == 60_000


def test_values_logged_between_pages_neither_repeat_nor_hide_others(client, rita):
    run_id = new_run(client, rita)
    first = [{"key": "loss", "value": step, "step": step, "timestamp": 1000} for step in range(25)]
    assert client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "metrics": first},
                       headers=rita.headers).status_code == 200
    query = {"run_id": run_id, "metric_key": "loss", "max_results": 10}
    page = client.get(f"{T}/metrics/get-history", query_string=query, headers=rita.headers).json
    seen = [m["step"] for m in page["metrics"]]
    # meanwhile the run logs five values before all of those, at negative steps
    earlier = [{"key": "loss", "value": -step, "step": -step, "timestamp": 1000} for step in range(1, 6)]
    assert client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "metrics": earlier},
                       headers=rita.headers).status_code == 200
    token = page["next_page_token"]
    while token:
        page = client.get(f"{T}/metrics/get-history", query_string={**query, "page_token": token},
                          headers=rita.headers).json
        seen += [m["step"] for m in page["metrics"]]
        token = page.get("next_page_token")
    assert seen == list(range(25))


def test_tokens_of_another_run_or_metric_or_changed_are_refused(tracking, rita):
    from mlflow.exceptions import MlflowException

    app = tracking.app
    client = app.test_client()
    run_a, run_b = new_run(client, rita, "a"), new_run(client, rita, "b")
    values = [{"key": key, "value": step, "step": step, "timestamp": 1000} for key in ("loss", "acc") for step in range(25)]
    for run_id in (run_a, run_b):
        assert client.post(f"{T}/runs/log-batch", json={"run_id": run_id, "metrics": values},
                           headers=rita.headers).status_code == 200

    def ask(run_id: str, key: str, token: str):
        return client.get(f"{T}/metrics/get-history", headers=rita.headers, query_string={
            "run_id": run_id, "metric_key": key, "max_results": 10, "page_token": token})

    token = client.get(f"{T}/metrics/get-history", headers=rita.headers, query_string={
        "run_id": run_a, "metric_key": "loss", "max_results": 10}).json["next_page_token"]
    assert [m["step"] for m in ask(run_a, "loss", token).json["metrics"]] == list(range(10, 20))
    refused = [(run_b, "loss", token), (run_a, "acc", token)]
    refused += [(run_a, "loss", bad) for bad in tampered(token) + garbage()]
    for run_id, key, bad in refused:
        r = ask(run_id, key, bad)
        assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", (run_id, key, bad, r.json)
        assert "page token" in r.json["message"].lower()
    # the same through the real client's own call
    store = tracking.use("rita")._tracking_client.store
    assert [m.step for m in store.get_metric_history(run_a, "loss", max_results=10, page_token=token)] == \
        list(range(10, 20))
    for run_id, key, bad in [(run_b, "loss", token), (run_a, "loss", tampered(token)[2])]:
        with pytest.raises(MlflowException) as excinfo:
            store.get_metric_history(run_id, key, max_results=10, page_token=bad)
        assert excinfo.value.error_code == "INVALID_PARAMETER_VALUE"


PER_PAGE = 5000
BULK = 200_000


def test_the_last_page_reads_as_many_rows_as_the_first(app, client, rita):
    """200,000 values, 40 pages: the last reads as many rows as the second, the first that starts
    past a token (an OFFSET would make it read past the 195,000 values before it)."""
    run_id = new_run(client, rita)
    bulk_history(app, run_id, BULK)
    engine = engine_of(app)
    query = {"run_id": run_id, "metric_key": "loss", "max_results": PER_PAGE}
    steps, reads, token = [], [], None
    while True:
        with RowsRead(engine) as log:
            r = client.get(f"{T}/metrics/get-history", query_string={**query, **({"page_token": token} if token else {})},
                           headers=rita.headers)
        assert r.status_code == 200, r.json
        reads.append(log.measure())
        steps += [m["step"] for m in r.json["metrics"]]
        token = r.json.get("next_page_token")
        if not token:
            break
    assert steps == list(range(BULK)) and len(reads) == BULK // PER_PAGE
    first, second, last = reads[0], reads[1], reads[-1]
    assert last <= second * 1.25 and last <= first * 2, reads
    if engine.dialect.name == "postgresql":
        assert last <= PER_PAGE + 10, reads  # one page and the one after it, nothing skipped

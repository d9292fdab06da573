"""The JSON API's metric history pages by the values' sort key: ``next_page_token`` names the last
value of a page, and the page after it is one index seek past it. Every value comes back once and
in the order it always had (by key, step, time, and the order logged), also for ties in step and
timestamp and with values logged between two pages; a late page reads as many rows as an early
one; a token of another run or metric, or one altered, is a 400."""
from __future__ import annotations


from ..metric_history import bulk_history, engine_of, garbage, logged, shown, tampered, tied_history
from ..rows_read import RowsRead

P = "/api/v1/projects/proj"


def new_version(client, rita, name: str = "long-training") -> tuple[str, dict]:
    model = client.post(f"{P}/models", json={"name": name}, headers=rita.headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return f"{P}/models/{model['id']}/versions/{version['id']}/metrics", version


def read_through(client, rita, url: str, **query) -> list[dict]:
    pages, token = [], None
    while True:
        r = client.get(url, query_string={**query, **({"page_token": token} if token else {})}, headers=rita.headers)
        assert r.status_code == 200, r.json
        pages.append(r.json)
        token = r.json["next_page_token"]
        if token is None:
            return pages


def test_pages_of_a_tied_history_show_each_value_once_in_order(app, client, rita):
    url, version = new_version(client, rita)
    assert client.post(url, json=tied_history(), headers=rita.headers).status_code == 201
    engine = engine_of(app)
    for key, expected_total in (("loss", 300), (None, 330)):
        query = {"per_page": 7, **({"key": key} if key else {})}
        pages = read_through(client, rita, url, **query)
        got = [shown(v["key"], v["value"], v["step"], v["timestamp"]) for page in pages for v in page["items"]]
        assert got == logged(engine, version["run_id"], key) and len(got) == expected_total
        assert [page["page"] for page in pages] == list(range(1, len(pages) + 1)) == list(range(1, -(-expected_total // 7) + 1))
        assert {page["total"] for page in pages} == {expected_total} and {page["per_page"] for page in pages} == {7}
    # a page reached by number continues by token, in the same order
    third = client.get(url, query_string={"key": "loss", "page": 3, "per_page": 7}, headers=rita.headers).json
    rest = read_through(client, rita, url, key="loss", per_page=7, page_token=third["next_page_token"])
    got = [shown(v["key"], v["value"], v["step"], v["timestamp"]) for page in [third, *rest] for v in page["items"]]
    assert got == logged(engine, version["run_id"], "loss")[14:] and rest[0]["page"] == 4


def test_values_logged_between_pages_neither_repeat_nor_hide_others(client, rita):
    url, _version = new_version(client, rita)
    assert client.post(url, json=[{"key": "loss", "value": s, "step": s} for s in range(25)],
                       headers=rita.headers).status_code == 201
    page = client.get(url, query_string={"key": "loss", "per_page": 10}, headers=rita.headers).json
    assert client.post(url, json=[{"key": "loss", "value": -s, "step": -s} for s in range(1, 6)],
                       headers=rita.headers).status_code == 201
    rest = read_through(client, rita, url, key="loss", per_page=10, page_token=page["next_page_token"])
    assert [v["step"] for p in [page, *rest] for v in p["items"]] == list(range(25))


def test_tokens_of_another_run_or_metric_or_altered_are_refused(client, rita):
    url_a, version_a = new_version(client, rita, "a")
    url_b, _version_b = new_version(client, rita, "b")
    values = [{"key": key, "value": s, "step": s} for key in ("loss", "acc") for s in range(25)]
    for url in (url_a, url_b):
        assert client.post(url, json=values, headers=rita.headers).status_code == 201
    token = client.get(url_a, query_string={"key": "loss", "per_page": 10}, headers=rita.headers).json["next_page_token"]
    every = client.get(url_a, query_string={"per_page": 10}, headers=rita.headers).json["next_page_token"]
    mlflow = client.get(f"{P}/ml/mlflow/api/2.0/mlflow/metrics/get-history", headers=rita.headers, query_string={
        "run_id": version_a["run_id"], "metric_key": "loss", "max_results": 10}).json["next_page_token"]
    ok = client.get(url_a, query_string={"key": "loss", "per_page": 10, "page_token": token}, headers=rita.headers)
    assert [v["step"] for v in ok.json["items"]] == list(range(10, 20)) and ok.json["page"] == 2
    refused = [(url_b, "loss", token), (url_a, "acc", token), (url_a, None, token), (url_a, "loss", every),
               (url_a, "loss", mlflow)]
    refused += [(url_a, "loss", bad) for bad in tampered(token) + garbage()]
    for url, key, bad in refused:
        r = client.get(url, query_string={"per_page": 10, "page_token": bad, **({"key": key} if key else {})},
                       headers=rita.headers)
        assert r.status_code in (400, 422) and r.json["error"]["code"] == "invalid", (url, key, bad, r.json)
        assert "page_token" in r.json["error"]["fields"], r.json
        assert r.status_code == 400 or len(bad) > 4096, (bad, r.json)  # longer than any token: the schema's 422
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/projects/{project}/models/{model_id}/versions/{version_id}/metrics"]["get"]
    assert {"key", "page", "per_page", "page_token"} <= {p["name"] for p in op["parameters"]}


def test_a_token_another_host_compressed_otherwise_is_taken(app, client, rita):
    """Hosts sharing a database may build zlib otherwise (zlib-ng, hardware deflate): a token is
    taken by what it says and its signature, not by its compressed bytes being this host's."""
    import json
    import zlib

    from itsdangerous import URLSafeSerializer
    from itsdangerous.encoding import base64_decode, base64_encode

    from flask_modelregistry.services.search import SEEK_TOKEN_SALT

    url, _version = new_version(client, rita)
    assert client.post(url, json=[{"key": "loss", "value": s, "step": s} for s in range(25)],
                       headers=rita.headers).status_code == 201
    token = client.get(url, query_string={"key": "loss", "per_page": 10}, headers=rita.headers).json["next_page_token"]
    body = token.rpartition(".")[0]
    # compressed where that is shorter ("." first), which depends on the run id; the other host's
    # spelling below is compressed either way, at another level
    payload = json.loads(zlib.decompress(base64_decode(body[1:])) if body.startswith(".") else base64_decode(body))
    serializer = URLSafeSerializer(app.secret_key, salt=SEEK_TOKEN_SALT)
    other_bytes = "." + base64_encode(zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 1)).decode()
    assert other_bytes != body
    other = serializer.make_signer().sign(other_bytes.encode()).decode()
    for page_token in (token, other):
        page = client.get(url, query_string={"key": "loss", "per_page": 10, "page_token": page_token},
                          headers=rita.headers)
        assert page.status_code == 200, page.json
        assert [v["step"] for v in page.json["items"]] == list(range(10, 20))


BULK = 200_000
PER_PAGE = 1000


def test_the_last_page_reads_as_many_rows_as_the_first(app, client, rita):
    """200,000 values, 200 pages of 1000: the last reads as many rows as the second, the first
    that starts past a token (an OFFSET would make it read past the 199,000 values before it)."""
    url, version = new_version(client, rita)
    bulk_history(app, version["run_id"], BULK)
    engine = engine_of(app)
    steps, reads, token = [], [], None
    for page in range(1, BULK // PER_PAGE + 1):
        query = {"key": "loss", "per_page": PER_PAGE, **({"page_token": token} if token else {"page": page})}
        with RowsRead(engine) as log:
            r = client.get(url, query_string=query, headers=rita.headers)
        assert r.status_code == 200, r.json
        reads.append(log.measure())
        steps += [v["step"] for v in r.json["items"]]
        token = r.json.get("next_page_token")
    assert steps == list(range(BULK))
    first, second, last = reads[0], reads[1], reads[-1]
    assert last <= second * 1.25 and last <= first * 2, reads
    if engine.dialect.name == "postgresql":
        assert last <= PER_PAGE + 10, reads  # one page and the one after it, nothing skipped
    assert token is None

"""The MLflow protocol's edges, through Flask's test client: malformed bodies, page tokens, limits,
unknown routes, hostile values. Every answer is MLflow's error shape with a 4xx status, never a
5xx (which the client would retry for minutes)."""
from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support import login

T = "/api/v1/projects/proj/ml/mlflow"
API = T + "/api/2.0/mlflow"


@pytest.fixture
def call(client, rita):
    def call(method: str, path: str, **kwargs):
        headers = {**rita.headers, **kwargs.pop("headers", {})}
        return client.open(path if path.startswith("/api/v1/") else API + path, method=method, headers=headers,
                           **kwargs)
    return call


def assert_error(response, status: int, code: str, text: str = "") -> None:
    assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert body["error_code"] == code, body
    assert text in body["message"]


def token(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_malformed_bodies(call):
    assert_error(call("POST", "/registered-models/create", data="{not json", content_type="application/json"),
                 400, "INVALID_PARAMETER_VALUE", "JSON")
    assert_error(call("POST", "/registered-models/create", json=["fraud"]), 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/registered-models/create", json={}), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'name'")
    assert_error(call("POST", "/registered-models/create", json={"name": 123}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/registered-models/create", json={"name": "a\x00b"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/registered-models/create", json={"name": "fraud", "tags": "team=x"}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/registered-models/create", json={"name": "fraud", "tags": [{"value": "x"}]}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/registered-models/create", json={"name": "x" * 300}), 400, "INVALID_PARAMETER_VALUE")
    assert call("POST", "/registered-models/create", json={"name": "fraud"}).status_code == 200
    assert_error(call("POST", "/registered-models/create", json={"name": "fraud"}), 400, "RESOURCE_ALREADY_EXISTS")
    assert_error(call("GET", "/registered-models/get"), 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("GET", "/registered-models/get?name=nothing"), 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("page_token, message", [
    ("%%%not-base64", "could not base64-decode"),
    (base64.b64encode(b"not json").decode(), "Invalid page token"),
    (token({"offset": -5}), "Invalid page token"),
    (token({"offset": "ten"}), "Invalid page token"),
    (token({"offset": 2**40}), "Invalid page token"),
    (token(["offset", 1]), "Invalid page token"),
])
def test_bad_page_tokens(call, page_token, message):
    for path in ("/registered-models/search", "/model-versions/search"):
        assert_error(call("GET", path, query_string={"page_token": page_token}), 400, "INVALID_PARAMETER_VALUE",
                     message)


def test_page_tokens_are_mlflows_offsets(call):
    for name in ("a", "b", "c"):
        call("POST", "/registered-models/create", json={"name": name})
    first = call("GET", "/registered-models/search?max_results=2").get_json()
    assert [m["name"] for m in first["registered_models"]] == ["a", "b"]
    assert json.loads(base64.b64decode(first["next_page_token"])) == {"offset": 2}
    last = call("GET", "/registered-models/search", query_string={"max_results": 2,
                                                                   "page_token": first["next_page_token"]}).get_json()
    assert [m["name"] for m in last["registered_models"]] == ["c"] and "next_page_token" not in last
    assert call("GET", "/registered-models/search?filter=name='zzz'").get_json() == {}  # empty fields left out


@pytest.mark.parametrize("path, value, ok", [
    ("/registered-models/search", 1000, True), ("/registered-models/search", 1001, False),
    ("/registered-models/search", 0, False), ("/registered-models/search", -1, False),
    ("/registered-models/search", "ten", False), ("/registered-models/search", 2**70, False),
    ("/model-versions/search", 200_000, True), ("/model-versions/search", 200_001, False),
])
def test_max_results_bounds(call, path, value, ok):
    response = call("GET", path, query_string={"max_results": value})
    if ok:
        assert response.status_code == 200
    else:
        assert_error(response, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("filter_string", [
    "name = ", "name", "= 'x'", "foo = 'x'", "name = 'x' OR name = 'y'", "name ~ 'x'", "name = 'unterminated",
    "tags.team > 'x'", "name IN 'x'", "name IN ('a' 'b')", "run_id = 5", "name = 5", "tags.k = 1.5",
    "name IN ('a', 2)", "version_number = 'abc'",
    "metrics.auc > 0.5", "name = 'x' AND", "attribute.creation_timestamp > 5",
])
def test_bad_filters(call, filter_string):
    for path in ("/registered-models/search", "/model-versions/search"):
        assert_error(call("GET", path, query_string={"filter": filter_string}), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("order_by", ["size", "name SIDEWAYS", "name ASC DESC", "timestamp, name",
                                      ["name", "name DESC"], ["timestamp", "last_updated_timestamp"]])
def test_bad_order_by(call, order_by):
    assert_error(call("GET", "/registered-models/search", query_string={"order_by": order_by}),
                 400, "INVALID_PARAMETER_VALUE")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filter_string=st.text(alphabet=st.sampled_from(list("namegt._'\"`=!<>() %ANDORLIKEIN0123456789s")), max_size=40))
def test_no_filter_string_gets_a_server_error(call, filter_string):
    for path in ("/registered-models/search", "/model-versions/search"):
        response = call("GET", path, query_string={"filter": filter_string})
        assert response.status_code in (200, 400), (filter_string, response.data[:300])


def test_unknown_routes_and_methods(call):
    assert_error(call("GET", "/registered-models/frobnicate"), 404, "ENDPOINT_NOT_FOUND")
    # an endpoint asked with a method it does not take: 405, naming the methods it takes
    wrong_method = call("GET", "/registered-models/create")
    assert_error(wrong_method, 405, "ENDPOINT_NOT_FOUND")
    assert wrong_method.headers["Allow"] == "POST"
    assert_error(call("PUT", T + "/api/2.0/preview/mlflow/anything"), 404, "ENDPOINT_NOT_FOUND")
    assert_error(call("POST", T + "/api/2.0/mlflow-artifacts/presigned/0/x/artifacts/f"), 405, "ENDPOINT_NOT_FOUND")
    assert_error(call("GET", T + "/api/2.0/mlflow-artifacts/presigned/0/x/artifacts/f"), 501, "NOT_IMPLEMENTED")


def test_hostile_identifiers_are_client_errors(call):
    call("POST", "/registered-models/create", json={"name": "fraud"})
    for query in ({"name": "fraud", "version": "9" * 30}, {"name": "fraud", "version": "1.0.0\x00"},
                  {"name": "fraud", "version": "-1"}, {"name": "fraud\x00"}):
        response = call("GET", "/model-versions/get", query_string=query)
        assert 400 <= response.status_code < 500, (query, response.data[:200])
    for run_id in ("x" * 500, "a\x00b", "../../etc", ""):
        response = call("GET", "/runs/get", query_string={"run_id": run_id})
        assert response.status_code in (400, 404), (run_id, response.data[:200])
    for exp in ("abc", "-1", "99999999999999999999"):
        assert_error(call("GET", "/experiments/get", query_string={"experiment_id": exp}), 404,
                     "RESOURCE_DOES_NOT_EXIST")
    for model_id in ("m-123", "x" * 300, "m-" + "g" * 32):
        assert_error(call("GET", f"/logged-models/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
    artifacts = T + "/api/2.0/mlflow-artifacts/artifacts"
    for path in ("0/%00run/artifacts/f.txt", "0/run%01/artifacts/f.txt", "%00/run/artifacts", "0/../x/artifacts/f"):
        for method in ("GET", "PUT", "DELETE"):
            assert_error(call(method, f"{artifacts}/{path}", data=b"x"), 400, "INVALID_PARAMETER_VALUE")
    for path in ("0/\x00run/artifacts", "0/run\x01/artifacts", "0/../x/artifacts", "0/run//artifacts"):
        assert_error(call("GET", artifacts, query_string={"path": path}), 400, "INVALID_PARAMETER_VALUE")


def test_metric_and_parameter_values_are_checked(call):
    run = call("POST", "/runs/create", json={"experiment_id": "0"}).get_json()["run"]["info"]["run_id"]
    for body in ({"key": "auc", "value": "high"}, {"key": "", "value": 1}, {"key": "auc", "value": 1, "step": "x"},
                 {"key": "auc", "value": 1, "timestamp": 1.5}, {"key": "auc", "value": True}):
        assert_error(call("POST", "/runs/log-metric", json={"run_id": run, **body}), 400, "INVALID_PARAMETER_VALUE")
    assert call("POST", "/runs/log-metric", json={"run_id": run, "key": "auc", "value": "NaN", "timestamp": 5}).status_code == 200
    metrics = call("GET", "/runs/get", query_string={"run_id": run}).get_json()["run"]["data"]["metrics"]
    assert metrics == [{"key": "auc", "value": "NaN", "timestamp": 5, "step": 0}]  # as MLflow writes NaN
    assert_error(call("POST", "/runs/log-parameter", json={"run_id": run, "key": "p", "value": None}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(call("POST", "/runs/update", json={"run_id": run, "status": "DONE"}), 400, "INVALID_PARAMETER_VALUE")


def test_session_writes_need_the_csrf_header(client, rita):
    login(client, "rita")
    assert client.get(API + "/registered-models/search").status_code == 200  # the session reads
    assert_error(client.post(API + "/registered-models/create", json={"name": "fraud"}), 403, "PERMISSION_DENIED",
                 "CSRF")


def test_health_and_server_info(call):
    assert call("GET", T + "/health").data == b"OK"
    info = call("GET", T + "/api/3.0/mlflow/server-info").get_json()
    # the local store: one streamed PUT is hashed as it arrives, so parts are not offered
    assert info["multipart_uploads_enabled"] is False and info["store_type"] == "SqlStore"


def test_oversized_json_bodies_are_refused_unread(call):
    body = b'{"name": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    assert_error(call("POST", "/registered-models/create", data=body, content_type="application/json"),
                 413, "INVALID_PARAMETER_VALUE")

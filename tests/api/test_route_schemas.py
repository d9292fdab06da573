"""Every request schema the JSON API documents is the one it enforces: walking the route table,
each route with a body or query schema refuses an invalid value of each of its fields with 422
naming that field, and the OpenAPI document lists each field's limits."""
from __future__ import annotations

import typing as t

import pytest
from marshmallow import Schema, fields, validate

from flask_modelregistry.api.routing import ROUTES, Route

P = "/api/v1/projects/proj"
#: the doors' rules, not the database's: SQLite suffices
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

ROUTES_WITH_SCHEMAS = [r for r in ROUTES if r.query is not None or (r.body is not None and not r.raw_body)]


def _validators(field: fields.Field, kind: type) -> list[t.Any]:
    return [v for v in field.validators if isinstance(v, kind)]


def invalid_values(field: fields.Field, *, in_query: bool) -> list[t.Any]:
    """Values ``field`` must refuse (for a query, only strings can be sent)."""
    out: list[t.Any] = []
    for length in _validators(field, validate.Length):
        if length.max is not None:
            out.append("x" * (length.max + 1) if isinstance(field, fields.String) else None)
        if length.min and isinstance(field, fields.String):
            out.append("")
    for choice in _validators(field, validate.OneOf):
        out.append("not-one-of-them")
    for number in _validators(field, validate.Range):
        if number.min is not None:
            out.append(number.min - 1)
        if number.max is not None:
            out.append(number.max + 1)
    if _validators(field, validate.Regexp):
        out.append("-starts-with-a-dash")
    if isinstance(field, (fields.Integer, fields.Float)):
        out.append("not-a-number")
    elif isinstance(field, fields.Boolean):
        out.append("maybe")
    elif not in_query:
        if isinstance(field, fields.String):
            out.append(["not", "a", "string"])
        elif isinstance(field, (fields.Dict, fields.List, fields.Nested)):
            out.append("not-a-collection")
    return [v for v in out if v is not None]


def _path(route: Route, ids: dict[str, t.Any]) -> str:
    rule = route.rule
    for name, value in ids.items():
        for converter in ("string", "int", "path"):
            rule = rule.replace(f"<{converter}:{name}>", str(value))
    assert "<" not in rule, rule
    return "/api/v1" + rule


@pytest.fixture
def ids(client, people) -> dict[str, t.Any]:
    headers = people["max"].headers
    model = client.post(f"{P}/models", json={"name": "schemas"}, headers=headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=headers).json
    hook = client.post(f"{P}/webhooks", json={"name": "schemas", "url": "https://8.8.8.8/hook",
                                              "events": ["model_version.created"], "status": "DISABLED"}, headers=headers).json
    return {"project": "proj", "model_id": model["id"], "version_id": version["id"], "path": "f.txt",
            "metric": "accuracy", "webhook_id": hook["id"], "delivery": 1}


def _load_fields(schema: type[Schema]) -> dict[str, fields.Field]:
    return {f.data_key or name: f for name, f in schema().load_fields.items()}


def test_the_table_declares_what_the_views_read():
    """Every route taking a JSON body or query declares its schema (no view reads one on its own)."""
    import inspect

    for r in ROUTES:
        params = inspect.signature(r.view).parameters
        assert ("body" in params) == (r.body is not None and not r.raw_body), r.endpoint
        assert ("query" in params) == (r.query is not None), r.endpoint
    assert len(ROUTES_WITH_SCHEMAS) >= 15


@sqlite_only
def test_every_declared_field_refuses_an_invalid_value_with_422_naming_it(client, people, ids):
    headers = people["max"].headers  # a maintainer: every route is open to them
    tried = 0
    for r in ROUTES_WITH_SCHEMAS:
        url = _path(r, ids)
        cases: list[tuple[str, dict[str, t.Any]]] = []
        if r.query is not None:
            for name, field in _load_fields(r.query).items():
                for bad in invalid_values(field, in_query=True):
                    cases.append((name, {"query_string": {name: bad}}))
                if field.required:
                    cases.append((name, {"query_string": {}}))
        if isinstance(r.body, fields.Field):
            for bad in invalid_values(r.body.value_field, in_query=False) + [True]:
                cases.append((f"{r.body_name}.key", {"json": {"key": bad}}))
            cases.append((r.body_name, {"json": {str(i): "v" for i in range(r.body.validators[0].max + 1)}}))
        elif r.body is not None and not r.raw_body:
            for name, field in _load_fields(r.body).items():
                for bad in invalid_values(field, in_query=False):
                    body: t.Any = {name: bad}
                    cases.append((f"{r.body_name}[0].{name}" if r.body_many else name,
                                  {"json": [body] if r.body_many else body}))
                if field.required:
                    cases.append((f"{r.body_name}[0].{name}" if r.body_many else name,
                                  {"json": [{}] if r.body_many else {}}))
        assert cases, f"{r.method} {r.rule} declares a schema with nothing to check"
        for name, request in cases:
            request.setdefault("query_string", {})
            if "json" not in request and r.method not in ("GET", "DELETE"):
                request["json"] = {}
            resp = client.open(url, method=r.method, headers=headers, **request)
            assert resp.status_code == 422, (r.method, r.rule, name, request, resp.status_code, resp.get_data(True))
            named = resp.json["error"]["fields"]
            assert any(key == name or key.startswith(name + ".") or key.startswith(name + "[")
                       for key in named), (r.method, r.rule, name, request, named)
            tried += 1
    assert tried >= 60


def _spec_properties(spec: dict[str, t.Any], route: Route) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """(query parameters by name, body properties by name) of ``route`` in the document."""
    path = "/" + route.rule.split("/", 1)[1]
    for converter in ("string:", "int:", "path:"):
        path = path.replace("<" + converter, "{")
    path = path.replace(">", "}")
    op = spec["paths"][path][route.method.lower()]
    query = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "query"}
    body: dict[str, t.Any] = {}
    if "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        schema = schema.get("items", schema)
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        body = schema.get("properties", {"": schema})
    return query, body


def _expected(field: fields.Field) -> dict[str, t.Any]:
    want: dict[str, t.Any] = {}
    is_list = isinstance(field, fields.List)
    is_map = isinstance(field, fields.Dict)
    for length in _validators(field, validate.Length):
        prefix = "Items" if is_list else "Properties" if is_map else "Length"
        if length.max is not None:
            want["max" + prefix] = length.max
        if length.min:
            want["min" + prefix] = length.min
    for number in _validators(field, validate.Range):
        if number.min is not None:
            want["minimum"] = number.min
        if number.max is not None:
            want["maximum"] = number.max
    for choice in _validators(field, validate.OneOf):
        want["enum"] = list(choice.choices)
    for pattern in _validators(field, validate.Regexp):
        want["pattern"] = pattern.regex.pattern
    return want


@sqlite_only
def test_the_document_lists_every_constraint(client):
    spec = client.get("/api/v1/openapi.json").json
    checked = 0
    for r in ROUTES_WITH_SCHEMAS:
        query, body = _spec_properties(spec, r)
        declared: list[tuple[dict[str, t.Any], str, fields.Field]] = []
        if r.query is not None:
            declared += [(query, name, f) for name, f in _load_fields(r.query).items()]
        if isinstance(r.body, fields.Field):
            declared.append((body, "", r.body))
            declared.append(({"": body[""]["additionalProperties"]}, "", r.body.value_field))
        elif r.body is not None and not r.raw_body:
            declared += [(body, name, f) for name, f in _load_fields(r.body).items()]
        for documented, name, field in declared:
            assert name in documented, (r.rule, name)
            for key, value in _expected(field).items():
                shown = documented[name].get(key)
                if key == "enum":  # a nullable field lists null among its choices
                    shown = [c for c in shown or [] if c is not None]
                assert shown == value, (r.method, r.rule, name, key, documented[name])
                checked += 1
    assert checked >= 40

"""The OpenAPI 3 document of the JSON API, generated from the route table and its schemas."""
from __future__ import annotations

import re
import typing as t

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from . import schemas
from .routing import ROUTES

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_RESPONSES = {
    "400": "Malformed request (bad JSON, bad path)",
    "401": "No valid credentials",
    "403": "Signed in, but not allowed to do this",
    "404": "No such project, model, version or file (or no access to a private project)",
    "409": "Already exists",
    "413": "File larger than the limit",
    "422": "A field is invalid; `fields` says which",
}


def _path(rule: str) -> tuple[str, list[dict[str, t.Any]]]:
    params = []

    def repl(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "string", match.group(2)
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(repl, rule), params


def _object_sizes(self: t.Any, field: fields.Field, ret: dict[str, t.Any], **_kwargs: t.Any) -> dict[str, t.Any]:
    """A ``Length`` on an object (a map of keys to values) limits its properties, not a string length."""
    if isinstance(field, fields.Dict):
        for length, properties in (("minLength", "minProperties"), ("maxLength", "maxProperties")):
            if length in ret:
                ret[properties] = ret.pop(length)
    return {}


def build_spec(prefix: str = "") -> dict[str, t.Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="flask-modelregistry JSON API", version="1.0.0", openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Models, versions and artifacts of each project's model registry. "
                             "Authenticate with `Authorization: Bearer <token>`, Basic (username and token) "
                             "or `PRIVATE-TOKEN: <token>`. Errors are `{\"error\": {code, message, fields}}`."},
        servers=[{"url": f"{prefix}/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    spec.components.security_scheme("private_token", {"type": "apiKey", "in": "header", "name": "PRIVATE-TOKEN"})
    plugin.converter.add_attribute_function(_object_sizes)
    spec.components.schema("Error", schema=schemas.Error)
    from ..services.events import catalog_markdown

    spec.tag({"name": "webhooks", "description": catalog_markdown()})
    paths: dict[str, dict[str, t.Any]] = {}
    for r in ROUTES:
        path, params = _path(r.rule)
        op: dict[str, t.Any] = {"summary": r.summary, "tags": [r.tag], "operationId": r.view.__name__,
                                "parameters": list(params),
                                "security": [{"bearer": []}, {"basic": []}, {"private_token": []}]}
        if r.description:
            op["description"] = r.description
        if r.query is not None:
            op["parameters"].append({"in": "query", "schema": r.query})
        if r.raw_body:
            op["requestBody"] = {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}
        elif r.body is not None:
            body_schema: t.Any = r.body
            if isinstance(r.body, fields.Field):
                body_schema = plugin.converter.field2property(r.body)
            elif r.body_many:
                body_schema = {"type": "array", "items": r.body}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
        responses: dict[str, t.Any] = {}
        if r.raw_response:
            responses["200"] = {"description": "The file", "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}
            responses["206"] = {"description": "The requested byte range"}
        elif r.status == 204:
            responses["204"] = {"description": "Done"}
        else:
            responses[str(r.status)] = {"description": {200: "OK", 201: "Created"}.get(r.status, "Accepted"),
                                        "content": {"application/json": {"schema": r.response}}}
        for code, text in ERROR_RESPONSES.items():
            responses[code] = {"description": text, "content": {"application/json": {"schema": "Error"}}}
        op["responses"] = responses
        paths.setdefault(path, {})[r.method.lower()] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()

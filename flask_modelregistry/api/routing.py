"""The JSON API's route table. Each view is declared once with its schemas; the same table
registers the Flask rules and generates the OpenAPI document."""
from __future__ import annotations

import dataclasses
import typing as t

from flask import request
from marshmallow import Schema, ValidationError

from ..errors import BadRequest, Invalid
from ..kit.json_body import request_json


@dataclasses.dataclass(frozen=True)
class Route:
    rule: str
    method: str
    view: t.Callable[..., t.Any]
    summary: str
    tag: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    raw_body: bool = False
    raw_response: bool = False
    description: str = ""
    body_many: bool = False


ROUTES: list[Route] = []


def route(rule: str, method: str, *, summary: str, tag: str, body: type[Schema] | None = None,
          query: type[Schema] | None = None, response: type[Schema] | None = None, status: int = 200,
          raw_body: bool = False, raw_response: bool = False, description: str = "",
          body_many: bool = False) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
    def decorator(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        ROUTES.append(Route(rule, method, view, summary, tag, body, query, response, status, raw_body,
                            raw_response, description or (view.__doc__ or "").strip(), body_many))
        return view
    return decorator


def _fields_of(err: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(prefix: str, messages: t.Any) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(messages, list):
            out[prefix or "_schema"] = " ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
            for m in messages:
                if isinstance(m, (dict, list)):
                    walk(prefix, m)
        else:
            out[prefix or "_schema"] = str(messages)

    walk("", err.messages)
    return out


def json_body(schema: type[Schema] | None = None, *, many: bool = False) -> t.Any:
    """The request's JSON body, checked against ``schema``: 400 when it is not JSON, 422 when a field is wrong."""
    data = request_json() if request.content_length != 0 else None
    if data is None:
        raise BadRequest("the request body must be JSON")
    if schema is None:
        return data
    if not many and not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    if many and not isinstance(data, list):
        raise BadRequest("the request body must be a JSON array")
    try:
        return schema(many=many).load(data)
    except ValidationError as err:
        raise Invalid("some fields are invalid", fields=_fields_of(err)) from None


def query_args(schema: type[Schema]) -> dict[str, t.Any]:
    try:
        return schema().load(request.args.to_dict())
    except ValidationError as err:
        raise Invalid("some parameters are invalid", fields=_fields_of(err)) from None

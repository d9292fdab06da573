"""The JSON API's route table. Each view is declared once with its schemas; the same table
registers the Flask rules and generates the OpenAPI document."""
from __future__ import annotations

import dataclasses
import typing as t

from flask import request
from marshmallow import Schema, ValidationError, fields

from ..errors import BadRequest, Invalid
from ..kit.auth import request_actor
from ..kit.json_body import request_json
from ..services.access import Need, authorize


#: what a route's body may be declared as: a schema, or one field for bodies that are not objects
#: of named fields (an object of string keys and values)
Body = t.Union[type[Schema], fields.Field]


@dataclasses.dataclass(frozen=True)
class Route:
    """One JSON API operation. Its ``body`` and ``query`` schemas are the ones the OpenAPI document
    shows and the ones :meth:`handle` loads the request with, before the view runs: a view gets
    what they loaded as ``body=`` and ``query=``, so what is documented is what is enforced."""

    rule: str
    method: str
    view: t.Callable[..., t.Any]
    summary: str
    tag: str
    body: Body | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    raw_body: bool = False
    raw_response: bool = False
    description: str = ""
    body_many: bool = False
    #: a JSON object is taken as a list of one (for list bodies)
    body_one_or_many: bool = False
    #: the access the operation needs at least; checked before the body is looked at, so that
    #: a caller without access learns nothing from a 422
    need: Need | None = None
    #: what a list or map body is called in error ``fields`` (``metrics`` -> ``metrics[0].key``)
    body_name: str = ""

    @property
    def endpoint(self) -> str:
        return self.view.__name__ + "_" + self.method.lower()

    @property
    def needs(self) -> Need:
        return self.need or ("read" if self.method in ("GET", "HEAD") else "write")

    def handle(self, **values: t.Any) -> t.Any:
        """Read the body (400 when it is not JSON, 413 when too large), check the caller may reach
        the project, load the query and the body with their schemas (422), call the view."""
        loads_body = self.body is not None and not self.raw_body
        data = read_json_body() if loads_body else None
        if "project" in values and (self.query is not None or loads_body):
            authorize(values["project"], request_actor(), self.needs)
        if self.query is not None:
            values["query"] = query_args(self.query)
        if loads_body:
            values["body"] = load_body(data, self.body, many=self.body_many, one_or_many=self.body_one_or_many,
                                       name=self.body_name)
        return self.view(**values)


ROUTES: list[Route] = []


def route(rule: str, method: str, *, summary: str, tag: str, body: Body | None = None,
          query: type[Schema] | None = None, response: type[Schema] | None = None, status: int = 200,
          raw_body: bool = False, raw_response: bool = False, description: str = "",
          body_many: bool = False, body_one_or_many: bool = False, need: Need | None = None,
          body_name: str = "") -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
    """Declare a view in :data:`ROUTES`; the blueprint calls it through :meth:`Route.handle`."""
    def decorator(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        ROUTES.append(Route(rule=rule, method=method, view=view, summary=summary, tag=tag, body=body, query=query,
                            response=response, status=status, raw_body=raw_body, raw_response=raw_response,
                            description=description or (view.__doc__ or "").strip(),
                            body_many=body_many or body_one_or_many, body_one_or_many=body_one_or_many,
                            need=need, body_name=body_name))
        return view
    return decorator


def _fields_of(err: ValidationError, prefix: str = "") -> dict[str, str]:
    """Marshmallow's messages as ``{"datasets[1].role": "..."}``, the services' way of naming a field."""
    out: dict[str, str] = {}

    def walk(prefix: str, messages: t.Any) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                if isinstance(key, int):
                    walk(f"{prefix}[{key}]", value)
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(messages, list):
            out[prefix or "_schema"] = " ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
            for m in messages:
                if isinstance(m, (dict, list)):
                    walk(prefix, m)
        else:
            out[prefix or "_schema"] = str(messages)

    walk(prefix, err.messages)
    return out


def read_json_body() -> t.Any:
    """The request's JSON body; 400 when there is none or it is not JSON, 413 when too large."""
    data = request_json() if request.content_length != 0 else None
    if data is None:
        raise BadRequest("the request body must be JSON")
    return data


def load_body(data: t.Any, schema: Body, *, many: bool = False, one_or_many: bool = False, name: str = "") -> t.Any:
    """``data`` checked against ``schema``: 400 when it is not the object or array the schema
    reads, 422 when a field is wrong. ``name`` names a body that is a list or a map in the
    errors' ``fields`` (``metrics[0].key``)."""
    if one_or_many and isinstance(data, dict):
        data = [data]
    if isinstance(schema, fields.Field):
        if isinstance(schema, fields.Dict) and not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        try:
            return schema.deserialize(data)
        except ValidationError as err:
            raise Invalid("some fields are invalid", fields=_fields_of(err, name)) from None
    if not many and not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    if many and not isinstance(data, list):
        raise BadRequest("the request body must be a JSON array")
    try:
        return schema(many=many).load(data)
    except ValidationError as err:
        raise Invalid("some fields are invalid", fields=_fields_of(err, name if many else "")) from None


def query_args(schema: type[Schema]) -> dict[str, t.Any]:
    try:
        return schema().load(request.args.to_dict())
    except ValidationError as err:
        raise Invalid("some parameters are invalid", fields=_fields_of(err)) from None

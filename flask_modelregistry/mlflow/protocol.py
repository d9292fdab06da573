"""Reading MLflow requests and writing MLflow answers.

The client sends a GET's parameters in the query string (repeated keys for lists) and every
other method's as a JSON body, DELETE included. Answers are JSON objects whose empty fields are
left out, with int64 timestamps as numbers and non-finite floats as MLflow writes them.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import typing as t

from flask import Response, g, jsonify, request

from ..errors import BadRequest
from ..kit.auth import request_actor
from ..kit.json_body import request_json
from ..services.identity import Actor


def project() -> str:
    return g.mlflow_project


def actor() -> Actor:
    return request_actor()


def ok(body: t.Mapping[str, t.Any] | None = None) -> Response:
    return jsonify(dict(body or {}))


def invalid(value: t.Any, name: str, hint: str) -> BadRequest:
    """MLflow's message for a parameter of the wrong type: the value as JSON, then the hint."""
    try:
        shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)[:1000]
    except (TypeError, ValueError):
        shown = repr(value)[:1000]
    return BadRequest(f"Invalid value {shown} for parameter '{name}' supplied: {hint}")


def missing(name: str) -> BadRequest:
    return BadRequest(f"Missing value for required parameter '{name}'. "
                      "See the API docs for more information about request parameters.")


class Params:
    """The request's parameters, typed as MLflow's protos type them."""

    def __init__(self, data: t.Any, *, from_query: bool) -> None:
        self.data = data
        self.from_query = from_query

    @classmethod
    def from_request(cls) -> Params:
        if request.method in ("GET", "HEAD"):
            return cls(request.args, from_query=True)
        if not request.content_length and not request.headers.get("Transfer-Encoding"):
            return cls({}, from_query=False)
        data = request_json()
        if data is None:
            raise BadRequest("Malformed request: the body must be a JSON object")
        if not isinstance(data, dict):
            raise BadRequest("Malformed request: the body must be a JSON object, not "
                             f"{type(data).__name__}")
        return cls(data, from_query=False)

    def raw(self, name: str) -> t.Any:
        return self.data.get(name)

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None if value is None else ""
        if not isinstance(value, str):
            raise invalid(value, name, "it must be a string")
        if "\x00" in value:
            raise BadRequest(f"Invalid value for parameter '{name}' supplied: NUL characters are not allowed")
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        if isinstance(value, bool) or isinstance(value, float):
            raise invalid(value, name, "it must be an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid(value, name, "it must be an integer") from None
        if not -2**63 <= number < 2**63:
            raise BadRequest(f"Invalid value for parameter '{name}' supplied: out of range")
        return number

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(value, name, "it must be true or false")

    def strings(self, name: str) -> list[str]:
        if self.from_query:
            values = self.data.getlist(name)
        else:
            value = self.data.get(name)
            values = [] if value is None else value if isinstance(value, list) else [value]
        for value in values:
            if not isinstance(value, str) or "\x00" in value:
                raise BadRequest(f"Invalid value for parameter '{name}' supplied: it must be a list of strings")
        return values

    def objects(self, name: str) -> list[dict[str, t.Any]]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid(value, name, "it must be a list of objects")
        return value

    def key_values(self, name: str) -> dict[str, t.Any]:
        """``[{"key": k, "value": v}, ...]`` as a dict (the last value of a repeated key wins)."""
        out: dict[str, t.Any] = {}
        for item in self.objects(name):
            key = item.get("key")
            if not isinstance(key, str) or not key:
                raise BadRequest(f"Invalid value for parameter '{name}' supplied: every item needs a key")
            out[key] = item.get("value", "")
        return out


def to_millis(value: dt.datetime | None) -> int | None:
    """A time as MLflow's int64 milliseconds since the epoch."""
    if value is None:
        return None
    return int(value.timestamp() * 1000)


def number(value: float) -> float | str:
    """A float as MLflow's JSON writes it: ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def pairs(mapping: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def compact(body: dict[str, t.Any]) -> dict[str, t.Any]:
    """Leave out empty fields, as MLflow's JSON does."""
    return {k: v for k, v in body.items() if v not in (None, "", [], {})}

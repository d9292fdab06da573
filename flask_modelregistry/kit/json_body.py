"""Reading a request's JSON body, with the limits every JSON-speaking door applies."""
from __future__ import annotations

import json
import typing as t

from flask import request

from ..errors import BadRequest
from ..text import parse_json_float

#: the largest JSON body read (a log-batch of 10,000 metrics is about 1 MiB); larger ones get 413
MAX_JSON_BODY = 32 * 1024 * 1024


def request_json() -> t.Any:
    """The request's body parsed as JSON, None when it is not JSON (empty, not UTF-8, bad syntax).
    Raises :class:`BadRequest` for JSON no handler could use: nested deeper than the parser
    recurses, or with a lone surrogate escape (``"\\ud800"``), which no database can store.
    A body above :data:`MAX_JSON_BODY` is refused (413) before it is read into memory.
    Shared by the JSON and MLflow APIs."""
    request.max_content_length = MAX_JSON_BODY
    try:
        # number literals beyond a double (1e400) are marked, so that the fields refuse them
        data = json.loads(request.get_data(cache=True), parse_float=parse_json_float)
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if data is not None:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("the JSON body contains a lone surrogate escape (not UTF-8 text)") from None
    return data

"""MLflow's search language turned into SQL: filter strings, ``order_by`` and page tokens.

A filter is clauses joined by ``AND``: ``name = 'x'``, ``name LIKE 'fraud%'``, ``name ILIKE '%Fraud%'``,
``name IN ('a', 'b')``, ``version_number >= 3``, ``run_id = '...'``, ``tags.team = 'payments'``,
``tag.`mlflow.prompt.is_prompt` != 'true'``. Names and keys are compared in NFC, as they are stored
(:mod:`..text`), so ``café`` typed decomposed finds the model named with the composed form; tag
values and sources are compared as given, as they are stored. Each clause becomes an SQL condition, so a search
over 100,000 versions reads one page from an index, not every row. As on MLflow's server,
``LIKE`` is case-sensitive (also on SQLite, where it becomes ``GLOB``), ``ILIKE`` is not, and a
clause on a tag a row does not have does not match, except MLflow's prompt marker, whose absence
means "not a prompt".

Page tokens of searches are MLflow's: base64 of ``{"offset": N}``. Listings too long for an
offset (a metric's history: a million values) page by their sort key instead: the token names the
last row shown (:func:`encode_seek_token`, signed with the app's secret key and bound to the
listing it came from) and the next page is one index seek past it (:func:`seek`), so the last page
reads as many rows as the first. Malformed or altered tokens raise :class:`BadRequest`, which the
MLflow front door answers with ``INVALID_PARAMETER_VALUE`` and the JSON API with 400 ``invalid``.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import shlex
import typing as t

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from .. import text as text_rules
from ..errors import BadRequest
from .common import session

PROMPT_TAG = "mlflow.prompt.is_prompt"
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NUMBER_OPS = ("=", "!=", "<", ">", "<=", ">=", "IN", "NOT IN")
TAG_OPS = ("=", "!=", "LIKE", "ILIKE")
MAX_OFFSET = 2**31 - 1
#: what seek tokens are signed under (with the app's secret key)
SEEK_TOKEN_SALT = "model_registry.page_token"
_KEYWORDS = {"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
  | (?P<op>!=|<>|>=|<=|=|>|<)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_]\w*(?:\.(?:`[^`]*`|"[^"]*"|[\w.\-:/]+))?)
""", re.X)


@dataclasses.dataclass(frozen=True)
class Clause:
    entity: str  # "attribute" or "tag"
    key: str
    op: str
    value: t.Any


@dataclasses.dataclass(frozen=True)
class Attribute:
    column: t.Any
    numeric: bool = False
    ops: tuple[str, ...] = STRING_OPS
    #: the column holds names or keys, stored in NFC: the searched text is normalised to match
    nfc: bool = True


@dataclasses.dataclass(frozen=True)
class SearchSpec:
    """What one kind of search accepts and how each key maps to SQL."""

    attributes: t.Mapping[str, Attribute]
    #: ``tag_condition(key, condition_on_value) -> SQL``: a row has tag ``key`` whose value matches
    tag_condition: t.Callable[[str, t.Any], t.Any] | None
    #: ``tag_missing(key) -> SQL``: a row lacks tag ``key`` (for the prompt marker)
    tag_missing: t.Callable[[str], t.Any] | None = None
    #: tags answered from a column instead of the tag table (e.g. the semantic version)
    tag_columns: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)
    order_keys: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise BadRequest(f"Invalid filter '{text}'. Could not be parsed at position {pos}.")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "space":
            continue
        if kind == "ident" and value.upper() in _KEYWORDS:
            kind, value = "keyword", value.upper()
        out.append((kind, value))
    return out


def _unquote(token: str) -> str:
    quote = token[0]
    return token[1:-1].replace(quote * 2, quote)


def _numeric(raw: str) -> int | float:
    return float(raw) if "." in raw else int(raw)


def _split_identifier(ident: str) -> tuple[str, str]:
    entity, dot, key = ident.partition(".")
    if not dot:
        return "attribute", ident
    if entity not in ("attribute", "tag", "tags"):
        raise BadRequest(f"Invalid entity type '{entity}'. Valid entity types are ('attribute', 'tag', 'tags')")
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"":
        key = key[1:-1]
    if not key:
        raise BadRequest(f"Invalid identifier '{ident}'")
    return ("tag" if entity in ("tag", "tags") else "attribute"), key


def parse_filter(text: str | None) -> list[Clause]:
    """Parse ``a = 'x' AND b LIKE 'y%'`` into clauses; anything else is a :class:`BadRequest`."""
    if not text or not text.strip():
        return []
    if "\x00" in text or len(text) > 10_000:
        raise BadRequest("Invalid filter: too long or contains NUL characters")
    tokens = _tokens(text)
    clauses: list[Clause] = []
    i = 0

    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(tokens):
            raise BadRequest(f"Invalid filter '{text}': the last clause is incomplete")
        i += 1
        return tokens[i - 1]

    while True:
        kind, ident = take()
        if kind != "ident":
            raise BadRequest(f"Invalid clause(s) in filter string: {ident}")
        entity, key = _split_identifier(ident)
        kind, op = take()
        if kind == "op":
            op = "!=" if op == "<>" else op
        elif kind == "keyword" and op in ("LIKE", "ILIKE", "IN"):
            pass
        elif kind == "keyword" and op == "NOT" and i < len(tokens) and tokens[i] == ("keyword", "IN"):
            i += 1
            op = "NOT IN"
        else:
            raise BadRequest(f"Invalid comparator '{op}' in filter string")
        if op in ("IN", "NOT IN"):
            if take() != ("punct", "("):
                raise BadRequest(f"Expected a list of values in parentheses after {op}")
            values: list[t.Any] = []
            while True:
                kind, raw = take()
                if kind not in ("string", "number"):
                    raise BadRequest(f"Invalid value '{raw}' in list")
                values.append(_unquote(raw) if kind == "string" else _numeric(raw))
                kind, raw = take()
                if (kind, raw) == ("punct", ")"):
                    break
                if (kind, raw) != ("punct", ","):
                    raise BadRequest("Expected ',' or ')' in list of values")
            value: t.Any = tuple(values)
        else:
            kind, raw = take()
            if kind == "string":
                value = _unquote(raw)
            elif kind == "number":
                value = _numeric(raw)
            else:
                raise BadRequest(f"Expected a quoted string value for {key} (e.g. 'my-value'). Got value {raw}")
        clauses.append(Clause(entity, key, op, value))
        if i >= len(tokens):
            return clauses
        kind, word = take()
        if (kind, word) != ("keyword", "AND"):
            raise BadRequest(f"Invalid clause(s) in filter string: {word}. Only AND is supported.")


def _is_sqlite() -> bool:
    return session().get_bind().dialect.name == "sqlite"


def _glob_pattern(like: str) -> str:
    out = []
    for ch in like:
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def compare(column: t.Any, op: str, value: t.Any) -> t.Any:
    """``column op value`` in SQL with MLflow's meaning of each operator."""
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "LIKE":
        return column.op("GLOB")(_glob_pattern(value)) if _is_sqlite() else column.like(value)
    if op == "ILIKE":
        return column.ilike(value)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return ~column.in_(list(value))
    return {"<": column < value, ">": column > value, "<=": column <= value, ">=": column >= value}[op]


def _number(key: str, value: t.Any) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise BadRequest(f"Expected an integer value for '{key}', got '{value}'") from None
    if not -2**63 <= number < 2**63:
        raise BadRequest(f"Value out of range for '{key}'")
    return number


def _require_strings(clause: Clause) -> None:
    values = clause.value if isinstance(clause.value, tuple) else (clause.value,)
    if any(not isinstance(v, str) for v in values):
        raise BadRequest(f"Expected a quoted string value for '{clause.key}' (e.g. 'my-value'). Got value "
                         f"{clause.value}")


def _nfc(value: t.Any) -> t.Any:
    return tuple(text_rules.nfc(v) for v in value) if isinstance(value, tuple) else text_rules.nfc(value)


def conditions(spec: SearchSpec, clauses: t.Sequence[Clause]) -> list[t.Any]:
    """SQL conditions for parsed clauses, checked against what ``spec`` accepts."""
    out = []
    for c in clauses:
        if c.entity == "attribute":
            attribute = spec.attributes.get(c.key)
            if attribute is None:
                valid = "{" + ", ".join(repr(k) for k in spec.attributes) + "}"
                raise BadRequest(f"Invalid attribute key '{c.key}' specified. Valid keys are '{valid}'")
            if c.op not in attribute.ops:
                raise BadRequest(f"Invalid comparator '{c.op}' for attribute '{c.key}'")
            value, column = c.value, attribute.column
            if attribute.numeric:
                value = tuple(_number(c.key, v) for v in value) if isinstance(value, tuple) else _number(c.key, value)
                # compared as int64: PostgreSQL refuses to cast a larger number to the column's int4
                column = sa.type_coerce(column, sa.BigInteger)
            else:
                _require_strings(c)
                if attribute.nfc:
                    value = _nfc(value)
            out.append(compare(column, c.op, value))
            continue
        if c.op not in TAG_OPS:
            raise BadRequest(f"Invalid comparator '{c.op}' for tags; use one of {', '.join(TAG_OPS)}")
        if spec.tag_condition is None:
            raise BadRequest("This search does not support tags")
        _require_strings(c)
        c = dataclasses.replace(c, key=text_rules.nfc(c.key))  # tag keys are stored in NFC
        if c.key in spec.tag_columns:
            out.append(compare(spec.tag_columns[c.key], c.op, c.value))
            continue
        matching = spec.tag_condition(c.key, lambda value_col, c=c: compare(value_col, c.op, c.value))
        if c.key == PROMPT_TAG and spec.tag_missing is not None and (
                (c.op == "!=" and c.value == "true") or (c.op == "=" and c.value == "false")):
            matching = sa.or_(matching, spec.tag_missing(c.key))
        out.append(matching)
    return out


def parse_order_by(spec: SearchSpec, order_by: t.Sequence[str] | None) -> list[tuple[str, bool]]:
    """``["name", "timestamp DESC"]`` -> ``[("name", True), ("timestamp", False)]``."""
    out: list[tuple[str, bool]] = []
    seen: set[int] = set()
    for clause in order_by or []:
        if not isinstance(clause, str) or "\x00" in clause:
            raise BadRequest(f"Invalid order_by clause '{clause}'")
        try:
            parts = shlex.split(clause.replace("`", '"'))
        except ValueError:
            raise BadRequest(f"Invalid order_by clause '{clause}'. Could not be parsed.") from None
        if not parts or len(parts) > 2:
            raise BadRequest(f"Invalid order_by clause '{clause}'. Could not be parsed.")
        ascending = True
        if len(parts) == 2:
            if parts[1].lower() not in ("asc", "desc"):
                raise BadRequest(f"Invalid ordering key in order_by clause '{clause}'.")
            ascending = parts[1].lower() == "asc"
        key = parts[0].removeprefix("attribute.")
        if key not in spec.order_keys:
            raise BadRequest(f"Invalid order by key '{key}' specified. Valid keys are "
                             f"'{{{', '.join(repr(k) for k in spec.order_keys)}}}'")
        column_id = id(spec.order_keys[key])
        if column_id in seen:
            raise BadRequest(f"`order_by` contains duplicate fields: {list(order_by or [])}")
        seen.add(column_id)
        out.append((key, ascending))
    return out


def order_columns(spec: SearchSpec, keys: t.Sequence[tuple[str, bool]]) -> list[t.Any]:
    out = []
    for key, ascending in keys:
        columns = spec.order_keys[key]
        for column in columns if isinstance(columns, (list, tuple)) else [columns]:
            out.append(column.asc() if ascending else column.desc())
    return out


def decode_page_token(token: str | None) -> int:
    """The offset a page token carries; 0 without one."""
    if not token:
        return 0
    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Invalid page token, could not base64-decode") from None
    try:
        parsed = json.loads(decoded)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(f"Invalid page token, decoded value={decoded[:100]!r}") from None
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 < offset <= MAX_OFFSET:
        raise BadRequest(f"Invalid page token, parsed value={str(parsed)[:100]}")
    return offset


def encode_page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def check_max_results(value: t.Any, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"Invalid value for max_results. It must be a positive integer, but got {value}")
    if value > maximum:
        raise BadRequest("Invalid value for request parameter max_results. It must be at most "
                         f"{maximum}, but got value {value}")
    return value


def fetch_page(stmt: sa.Select, offset: int, max_results: int) -> tuple[list[t.Any], str | None]:
    """One page of ``stmt`` and the token of the next page (read one row more to know)."""
    rows = list(session().scalars(stmt.limit(max_results + 1).offset(offset)))
    next_token = encode_page_token(offset + max_results) if len(rows) > max_results else None
    return rows[:max_results], next_token


def encode_seek_token(scope: t.Sequence[str], after: t.Sequence[int | str], *, page: int | None = None) -> str:
    """A page token naming the row ``after`` (its sort key) of the listing ``scope`` (what it lists,
    e.g. a run and a metric), and, where the listing counts them, the ``page`` it starts."""
    payload: dict[str, t.Any] = {"of": list(scope), "after": list(after)}
    if page is not None:
        payload["page"] = page
    return URLSafeSerializer(current_app.secret_key, salt=SEEK_TOKEN_SALT).dumps(payload)


def decode_seek_token(token: str | None, scope: t.Sequence[str], *, width: int) -> tuple[list[int | str], int] | None:
    """The sort key (``width`` values) and page number a token of the listing ``scope`` carries;
    None without a token. A token that is not one of ours, was altered, or is of another listing
    (another run, another metric) is refused."""
    if not token:
        return None
    serializer = URLSafeSerializer(current_app.secret_key, salt=SEEK_TOKEN_SALT)
    try:
        payload = serializer.loads(token)
    except (BadSignature, ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Invalid page token, it is not one this server gave") from None
    # The signature's last base64 character carries two bits no byte uses, so four spellings of
    # one token pass the signature check; only the one this server writes is taken. (The payload
    # is signed as it is spelt; its compressed bytes may differ between hosts' zlib builds.)
    signature = token.rpartition(".")[2].encode()
    if base64_encode(base64_decode(signature)) != signature:
        raise BadRequest("Invalid page token, it is not one this server gave")
    if not isinstance(payload, dict) or payload.get("of") != list(scope):
        raise BadRequest("Invalid page token, it pages another listing (another run or metric)")
    after, page = payload.get("after"), payload.get("page", 1)
    if not isinstance(after, list) or len(after) != width or not all(_key_value(v) for v in after) \
            or isinstance(page, bool) or not isinstance(page, int) or not 0 < page <= MAX_OFFSET:
        raise BadRequest(f"Invalid page token, parsed value={str(payload)[:100]}")
    return after, page


def _key_value(value: t.Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63)


def seek(stmt: sa.Select, order: t.Sequence[t.Any], after: t.Sequence[t.Any] | None, limit: int) -> sa.Executable:
    """``stmt`` (a select of one entity) ordered by the columns ``order`` (ascending, the last one
    unique), its first ``limit`` rows past the row whose ``order`` values are ``after``: one
    index seek, whatever came before, where an index leads with ``stmt``'s equalities and then
    ``order``. PostgreSQL seeks to a row value (``(a, b, c) > (x, y, z)``); SQLite seeks only to
    the first column of one, so there the rows past it are the ordered union of the ranges
    ``a = x AND b = y AND c > z``, ``a = x AND b > y`` and ``a > x``, each a seek, merged in order."""
    if after is None:
        return stmt.order_by(*order).limit(limit)
    if session().get_bind().dialect.name != "sqlite":
        return stmt.where(sa.tuple_(*order) > sa.tuple_(*[sa.literal(v, c.type) for c, v in zip(order, after)])) \
            .order_by(*order).limit(limit)
    ranges = [stmt.where(*[c == v for c, v in zip(order[:i], after[:i])], order[i] > after[i])
              for i in reversed(range(len(order)))]
    merged = sa.union_all(*ranges)
    merged = merged.order_by(*[merged.selected_columns[c.name] for c in order]).limit(limit)
    return sa.select(stmt.column_descriptions[0]["entity"]).from_statement(merged)

"""What the metric history tests of both doors share: large histories, a history full of ties, the order the
values were always listed in, and page tokens that are not the server's."""
from __future__ import annotations

import base64
import json
import math
import string
import zlib

import sqlalchemy as sa


def engine_of(app) -> sa.Engine:
    from example_app.models import db

    with app.app_context():
        return db.engine


def bulk_history(app, run_id: str, n: int, **how) -> None:
    """``n`` logged values made by the database itself (``metric_aggregates.bulk_load``, ``how``
    its key and values per step), with PostgreSQL's statistics brought up to date, as they would
    be in a database that grew to that size."""
    from example_app.models import db
    from flask_modelregistry.services import metric_aggregates

    with app.app_context():
        metric_aggregates.bulk_load(run_id, n, **how)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE mr_run_metrics"))
            db.session.commit()


def tied_history(n: int = 300) -> list[dict]:
    """``n`` values of ``loss`` at five steps (one negative) and three timestamps, so that many
    share both and only the order they were logged in tells them apart; NaNs among them; and
    values of ``acc`` and ``f1`` logged in between."""
    out = []
    for i in range(n):
        out.append({"key": "loss", "value": "NaN" if i % 50 == 7 else i + 0.5, "step": (i * 7) % 5 - 1,
                    "timestamp": 1000 + i % 3})
        if i % 10 == 0:
            out.append({"key": "acc" if i % 20 else "f1", "value": i, "step": i % 4, "timestamp": 1000})
    return out


def logged(engine: sa.Engine, run_id: str, key: str | None = None) -> list[tuple]:
    """The values as the old paging ordered them: by key, step, timestamp, id."""
    where = "run_id = :r" + (" AND key = :k" if key else "")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT key, value, is_nan, step, timestamp FROM mr_run_metrics WHERE {where} "
                                    "ORDER BY key, step, timestamp, id"), {"r": run_id, "k": key}).all()
    return [(r.key, "nan" if r.is_nan else repr(float(r.value)), r.step, r.timestamp) for r in rows]


def shown(key: str, value: float | None, step: int, timestamp: int) -> tuple:
    """A value as :func:`logged` puts it (the JSON API shows NaN as null)."""
    return (key, "nan" if value is None or math.isnan(value) else repr(float(value)), step, timestamp)


def tampered(token: str) -> list[str]:
    """The token with one character changed in each of its parts, cut short, lengthened, with its
    signature spelt another way, and re-encoded with its decoded content changed."""
    out = []
    for i in (0, len(token) // 3, len(token) // 2, len(token) - 1):
        out.append(token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:])
    out += [token[:-3], token + "x", token + ".x", token.replace(".", "", 1)]
    # the signature's last character spelt with its two unused bits set otherwise: the same bytes
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(token[-1])
    out += [token[:-1] + alphabet[(last & ~3) | bits] for bits in range(4) if (last & ~3) | bits != last]
    body, _, signature = token.rpartition(".")
    raw = base64.urlsafe_b64decode(body.lstrip(".") + "=" * (-len(body.lstrip(".")) % 4))
    decoded = json.loads(zlib.decompress(raw) if body.startswith(".") else raw)  # "." marks a compressed one
    decoded["after"][-1] -= 1  # one value further back, under the old signature
    forged = base64.urlsafe_b64encode(json.dumps(decoded, separators=(",", ":")).encode()).decode().rstrip("=")
    return out + [f"{forged}.{signature}"]


def garbage() -> list[str]:
    offset = base64.b64encode(json.dumps({"offset": 5}).encode()).decode()
    return [offset, "x", "%%%", "....", "eyJ9", "a" * 5000, base64.b64encode(b"\xff\xfe").decode(),
            base64.urlsafe_b64encode(json.dumps({"of": ["metric-history"], "after": [0, 0, 0]}).encode()).decode()]

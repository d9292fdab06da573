"""Resolve a semantic-version range to the newest matching version, in one SQL query.

So that a consumer can follow "safe updates": ``^1.2`` takes new minors and patches of 1.x,
``~1.2.3`` new patches of 1.2, ``>=1.0,<2`` anything in between. The grammar, as npm and Cargo
users know it:

* comparators ``>=``, ``>``, ``<=``, ``<``, ``=`` (or ``==``, or none) before a version;
* ``^V`` (same left-most non-zero component), ``~V`` (same major.minor, or major when only the
  major is given), partial versions (``1``, ``1.2``) and wildcards (``1.x``, ``1.2.*``, ``*``);
* comparators separated by spaces or commas must all hold; ``||`` separates alternatives.

Prereleases are left out unless ``include_prereleases`` is set: a range picks releases.
"""
from __future__ import annotations

import re
import typing as t

import sqlalchemy as sa

from ..errors import Invalid, NotFound
from ..models import ModelVersion, RegisteredModel
from ..versioning import MAX_COMPONENT, RELEASE_KEY, parse_version
from .access import authorize
from .common import session
from .identity import Actor
from .versions import semver_order

_PART = r"(?:0|[1-9]\d*|[xX*])"
_PARTIAL = re.compile(rf"^(?P<major>{_PART})(?:\.(?P<minor>{_PART}))?(?:\.(?P<patch>{_PART}))?"
                      r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_COMPARATOR = re.compile(r"^(?P<op>\^|~|>=|<=|>|<|==|=)?\s*(?P<version>\S+)$")
Bound = tuple[int, int, int, str]
Condition = tuple[str, Bound]
MAX_RANGE = 200


def _bad(message: str) -> Invalid:
    return Invalid(message, fields={"range": f"{message}. Examples: ^1.2, ~1.2.3, >=1.0,<2, 1.x"})


def _partial(text: str) -> tuple[list[int | None], str | None]:
    match = _PARTIAL.match(text)
    if not match:
        raise _bad(f"{text!r} is not a version")
    parts: list[int | None] = []
    for name in ("major", "minor", "patch"):
        value = match.group(name)
        parts.append(None if value is None or value in "xX*" else int(value))
        if (parts[-1] or 0) > MAX_COMPONENT:
            raise _bad(f"{text!r}: each number must fit in 63 bits")
    for i in range(1, 3):  # 1.x.3 is meaningless: everything after a wildcard is a wildcard
        if parts[i - 1] is None:
            parts[i] = None
    if match.group("pre") and None in parts:
        raise _bad("a prerelease needs a full version")
    return parts, match.group("pre")


def _key(pre: str | None) -> str:
    return parse_version(f"0.0.0-{pre}").key if pre else RELEASE_KEY


LOWEST = ""  # below every prerelease key


def _comparator(op: str, text: str) -> list[Condition]:
    (major, minor, patch), pre = _partial(text)
    if major is None:
        if op in ("", "=", "==", ">=", "<=", "^", "~"):
            return []  # '*': anything
        raise _bad(f"{op}{text} matches nothing")
    if op in ("^", "~") or (op in ("", "=", "==") and None in (minor, patch)):
        lower: Bound = (major, minor or 0, patch or 0, _key(pre))
        if op == "^":
            if major > 0 or minor is None:
                upper = (major + 1, 0, 0, LOWEST)
            elif minor > 0 or patch is None:
                upper = (0, minor + 1, 0, LOWEST)
            else:
                upper = (0, 0, patch + 1, LOWEST)
        elif op == "~" and minor is not None:
            upper = (major, minor + 1, 0, LOWEST)
        elif minor is None:
            upper = (major + 1, 0, 0, LOWEST)
        elif patch is None:
            upper = (major, minor + 1, 0, LOWEST)
        else:
            upper = (major, minor, patch + 1, LOWEST)
        return [(">=", lower), ("<", upper)]
    if op in ("", "=", "=="):
        exact = (major, minor or 0, patch or 0, _key(pre))
        return [(">=", exact), ("<=", exact)]
    # Without a prerelease, a bound is the release itself, except that "<V" also keeps out V's
    # prereleases (as npm and Cargo do): 2.0.0-rc.1 is not "<2.0.0" for someone avoiding 2.x.
    full = (major, minor or 0, patch or 0, _key(pre) if pre else (LOWEST if op == "<" else RELEASE_KEY))
    if None in (minor, patch):  # a partial bound covers its whole range: >1.2 means >=1.3.0
        nxt = (major + 1, 0, 0, LOWEST) if minor is None else (major, minor + 1, 0, LOWEST)
        return {">": [(">=", nxt)], ">=": [(">=", full)], "<": [("<", full)], "<=": [("<", nxt)]}[op]
    return [(op, full)]


def _let_named_prereleases_in(conditions: list[Condition]) -> list[Condition]:
    """``>=2.0.0-alpha <2.0.0`` asks for 2.0.0's prereleases: there ``<2.0.0`` keeps them in."""
    named = {bound[:3] for _op, bound in conditions if bound[3] not in (LOWEST, RELEASE_KEY)}
    return [("<", (*bound[:3], RELEASE_KEY)) if op == "<" and bound[3] == LOWEST and bound[:3] in named
            else (op, bound) for op, bound in conditions]


def parse_range(text: t.Any) -> list[list[Condition]]:
    """The range as alternatives (OR) of condition lists (AND)."""
    if not isinstance(text, str) or not text.strip():
        raise _bad("a range is required")
    if len(text) > MAX_RANGE:
        raise _bad("the range is too long")
    alternatives = []
    for alternative in text.split("||"):
        tokens = [tok for tok in re.split(r"[\s,]+", alternative.strip()) if tok]
        merged: list[str] = []
        for tok in tokens:  # allow ">= 1.2" with a space
            if merged and merged[-1] in ("^", "~", ">=", "<=", ">", "<", "=", "=="):
                merged[-1] += tok
            else:
                merged.append(tok)
        if not merged:
            raise _bad("an empty alternative")
        conditions: list[Condition] = []
        for tok in merged:
            match = _COMPARATOR.match(tok)
            if not match:
                raise _bad(f"{tok!r} is not a comparator")
            conditions.extend(_comparator(match.group("op") or "", match.group("version")))
        alternatives.append(_let_named_prereleases_in(conditions))
    return alternatives


def _carried(bound: Bound) -> Bound:
    """The same bound with a component one above the largest a version can have (``~1.<max>``
    asks for ``<1.<max+1>.0``) carried into the next one up, as no version lies in between."""
    major, minor, patch, key = bound
    if patch > MAX_COMPONENT:
        minor, patch, key = minor + 1, 0, LOWEST
    if minor > MAX_COMPONENT:
        major, minor, patch, key = major + 1, 0, 0, LOWEST
    return major, minor, patch, key


def _sql(op: str, bound: Bound) -> t.Any:
    bound = _carried(bound)
    if bound[0] > MAX_COMPONENT:  # above every version, and beyond the columns' int64
        return sa.true() if op in ("<", "<=") else sa.false()
    row = sa.tuple_(ModelVersion.semver_major, ModelVersion.semver_minor, ModelVersion.semver_patch,
                    ModelVersion.semver_key)
    value = sa.tuple_(*(sa.literal(v) for v in bound))
    return {">=": row >= value, ">": row > value, "<=": row <= value, "<": row < value}[op]


def resolve_range(project: str, actor: Actor, model: RegisteredModel, text: t.Any, *,
                  include_prereleases: bool = False) -> ModelVersion:
    """The newest version of ``model`` inside the range, or :class:`NotFound`."""
    authorize(project, actor, "read")
    alternatives = parse_range(text)
    where = [ModelVersion.model_id == model.id]
    if not include_prereleases:
        where.append(ModelVersion.semver_key == RELEASE_KEY)
    ors = [sa.and_(sa.true(), *(_sql(op, bound) for op, bound in conds)) for conds in alternatives]
    stmt = sa.select(ModelVersion).where(*where, sa.or_(*ors)).order_by(*semver_order()).limit(1)
    version = session().scalar(stmt)
    if version is None:
        raise NotFound(f"no version of {model.name} matches {text!r}")
    return version

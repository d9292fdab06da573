"""Semantic Versioning 2.0.0: parsing, validation and a sort key the database can order by.

Versions are validated with the ``semver`` package. Ordering happens in SQL so that a page
of 20 versions out of 10,000 is one indexed query: major, minor and patch are integer
columns, and the prerelease is encoded into ``semver_key``, a string whose byte order is
the precedence order of Semantic Versioning 2.0.0 (section 11):

* a release sorts above all of its prereleases (``"~"`` is above every encoded prerelease);
* prerelease identifiers compare left to right; a shorter list sorts first when all
  preceding identifiers are equal (identifiers are joined by a space, the lowest byte used);
* numeric identifiers compare numerically (``"0"`` + three-digit length + digits, which is
  exact because the spec forbids leading zeros) and sort below alphanumeric ones
  (``"1"`` + the identifier, compared in ASCII order).

The column uses the binary ``C`` collation on PostgreSQL; SQLite compares bytes by default.
"""
from __future__ import annotations

import dataclasses
import re

import semver

from .errors import Invalid

RELEASE_KEY = "~"
MAX_VERSION_LENGTH = 255
#: the largest major, minor or patch number (the columns are int64)
MAX_COMPONENT = 2**63 - 1
_NUMERIC = re.compile(r"^[0-9]+$")


@dataclasses.dataclass(frozen=True)
class ParsedVersion:
    text: str
    major: int
    minor: int
    patch: int
    prerelease: str | None
    build: str | None
    key: str

    @property
    def is_prerelease(self) -> bool:
        return self.prerelease is not None


def prerelease_key(prerelease: str | None) -> str:
    """Encode a prerelease so that byte order equals semver precedence."""
    if not prerelease:
        return RELEASE_KEY
    parts = []
    for ident in prerelease.split("."):
        if _NUMERIC.match(ident):
            parts.append("0%03d%s" % (len(ident), ident))
        else:
            parts.append("1" + ident)
    return " ".join(parts)


def parse_version(text: object, *, field: str = "version") -> ParsedVersion:
    """Parse and validate a semantic version, or raise :class:`Invalid` naming ``field``."""
    if not isinstance(text, str) or not text:
        raise Invalid("version is required", fields={field: "Must be a semantic version, e.g. 1.0.0."})
    if len(text) > MAX_VERSION_LENGTH:
        raise Invalid(
            "version is too long",
            fields={field: f"Must be at most {MAX_VERSION_LENGTH} characters."},
        )
    try:
        parsed = semver.Version.parse(text)
    except (ValueError, TypeError):
        raise Invalid(
            f"{text!r} is not a semantic version",
            fields={field: "Must be a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.0.1-rc2)."},
        ) from None
    for part in (parsed.major, parsed.minor, parsed.patch):
        if part > MAX_COMPONENT:
            raise Invalid("version number too large", fields={field: "Each number must fit in 63 bits."})
    for ident in (parsed.prerelease or "").split("."):
        if _NUMERIC.match(ident) and len(ident) > 999:
            raise Invalid("prerelease identifier too long", fields={field: "Prerelease number too long."})
    return ParsedVersion(
        text=text,
        major=parsed.major,
        minor=parsed.minor,
        patch=parsed.patch,
        prerelease=parsed.prerelease,
        build=parsed.build,
        key=prerelease_key(parsed.prerelease),
    )


def next_major(latest: ParsedVersion | None) -> str:
    """The version given to a new version that names none: the next major release."""
    if latest is None:
        return "1.0.0"
    return f"{latest.major + 1}.0.0"

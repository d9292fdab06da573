"""The input rules every name, key, path and number follows, in one place.

- Names, keys and paths are compared in Unicode NFC, so ``café`` typed composed (``é``) or
  decomposed (``e`` + combining acute) is one model, one tag, one file.
- Characters nobody sees are refused where a name or key is accepted: bidirectional controls
  (a right-to-left override makes ``gpj.exe`` look like ``exe.jpg``), zero-width spaces and
  joiners, other format controls (category Cf), private-use (Co) and unassigned (Cn) code points,
  surrogates, line and paragraph separators, variation selectors and the Hangul fillers that
  render as blank letters.
- Numbers are IEEE doubles, as the columns store them: a finite number beyond a double's range
  (``1e400``, ``10**400``) is refused, not stored as infinity; infinities and NaN written as such
  are kept, as MLflow keeps them.

The service layer (``services/common.py``) and the path validator (``paths.py``) raise their own
domain errors from these answers, so every door refuses the same input the same way.
"""
from __future__ import annotations

import math
import typing as t
import unicodedata

#: categories of code points that are invisible or not characters at all
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
#: letters (category Lo) that render as nothing
_BLANK_LETTERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0})
_INFINITIES = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180F


def invisible_character(text: str) -> str | None:
    """The first character of ``text`` nobody would see, or None."""
    for ch in text:
        code = ord(ch)
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES or code in _BLANK_LETTERS \
                or _is_variation_selector(code):
            return ch
    return None


def describe_character(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``, for messages."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def looks_like_dot_segment(segment: str) -> bool:
    """Whether ``segment`` reads as ``.`` or ``..`` or holds a slash once compatibility forms are
    folded (fullwidth ``．．``, one-dot leaders ``․``, fullwidth solidus ``／``...): a tool that
    folds them (NFKC) would see a path that climbs."""
    folded = unicodedata.normalize("NFKC", segment)
    return folded in (".", "..") or "/" in folded or "\\" in folded


class OutOfRange(float):
    """A JSON number literal too large for a double (``1e400``): the parser makes it infinity,
    this type remembers it was not written as one, so that it is refused instead of stored."""


def parse_json_float(literal: str) -> float:
    """``parse_float`` for :func:`json.loads`."""
    value = float(literal)
    return OutOfRange(value) if math.isinf(value) else value


def as_double(value: t.Any) -> float:
    """``value`` (a number, or a number's text) as a double. Raises :class:`OverflowError` for a
    finite number outside a double's range, :class:`ValueError` or :class:`TypeError` for what is
    not a number."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, OutOfRange):
        raise OverflowError("number outside a double's range")
    if isinstance(value, str):
        number = float(value)
        if math.isinf(number) and value.strip().lower() not in _INFINITIES:
            raise OverflowError("number outside a double's range")
        return number
    if isinstance(value, (int, float)):
        return float(value)  # an int beyond a double raises OverflowError
    raise TypeError(f"{type(value).__name__} is not a number")


#: what a field's message says about the range
DOUBLE_RANGE = "Must be within a double's range (about ±1.8e308)."

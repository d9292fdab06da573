"""Helpers every service shares: the session, pages of results, transactions, name checks."""
from __future__ import annotations

import dataclasses
import re
import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import text as text_rules
from ..errors import Invalid
from ..state import current_state
from .unit_of_work import after_commit, lock_row, unit_of_work  # noqa: F401  (re-exported)

T = t.TypeVar("T")

MAX_PER_PAGE = 100
#: the largest id of an ``Integer`` column (PostgreSQL refuses to compare one with a larger number)
MAX_ROW_ID = 2**31 - 1
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_DECIMAL = re.compile(r"[0-9]+")


@dataclasses.dataclass(frozen=True)
class Page(t.Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def session():
    return current_state().db.session


def row_id(value: t.Any) -> int | None:
    """The number ``value`` names when it can be an id or a version number: an int, or a string of
    ASCII digits (``str.isdigit`` also takes ``"²"``, which ``int`` refuses), within the integer
    columns' range; None otherwise, which callers answer as "not found"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text) or len(text) > 10:
            return None
        value = int(text)
    if not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_ROW_ID else None


def clamp_page(page: int | None, per_page: int | None, default: int) -> tuple[int, int]:
    page = 1 if page is None else page
    per_page = default if per_page is None else per_page
    if page < 1:
        raise Invalid("page must be 1 or more", fields={"page": "Must be 1 or more."})
    if per_page < 1:
        raise Invalid("per_page must be 1 or more", fields={"per_page": "Must be 1 or more."})
    return page, min(per_page, MAX_PER_PAGE)


def like_pattern(text: str, field: str = "search") -> str:
    """A LIKE pattern matching ``text`` anywhere, with wildcards escaped (escape char ``\\``),
    in NFC as names are stored (a search typed decomposed finds them).
    NUL is refused: PostgreSQL cannot take it in a string, and no name contains it."""
    if "\x00" in text:
        raise Invalid(f"{field} contains a NUL character", fields={field: "Must not contain NUL characters."})
    text = text_rules.nfc(text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def end_read_transaction() -> None:
    """Release the connection's transaction before a long operation (a streamed upload), so
    no lock or snapshot is held while bytes flow. Never inside an operation: it would commit half of it."""
    from .unit_of_work import in_unit_of_work

    if in_unit_of_work():
        raise RuntimeError("end_read_transaction() inside a unit of work")
    session().commit()


def check_visible(value: str, field: str) -> str:
    """``value`` in NFC; :class:`Invalid` when it holds a character nobody sees (see :mod:`..text`)."""
    hidden = text_rules.invisible_character(value)
    if hidden is not None:
        raise Invalid(f"{field} contains an invisible character, {text_rules.describe_character(hidden)}",
                      fields={field: "Must not contain invisible characters (bidirectional controls, "
                                     "zero-width or other format characters, unassigned code points)."})
    return text_rules.nfc(value)


def check_name(value: t.Any, field: str, *, max_length: int = 255, required: bool = True) -> str:
    """A name (of a model, an experiment, a dataset, a run...): stripped, in NFC, visible."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", fields={field: "Must be a string."})
    value = value.strip()
    if required and not value:
        raise Invalid(f"{field} is required", fields={field: "Can't be blank."})
    if CONTROL_CHARS.search(value):
        raise Invalid(f"{field} contains control characters", fields={field: "Must not contain control characters."})
    value = check_visible(value, field)
    if len(value) > max_length:
        raise Invalid(f"{field} is too long", fields={field: f"Must be at most {max_length} characters."})
    return value


def check_key(value: t.Any, field: str, *, max_length: int = 250) -> str:
    """A key (of a tag, a parameter, a metric, metadata): a non-empty string without control or
    invisible characters, in NFC, of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip() or CONTROL_CHARS.search(value):
        raise Invalid(f"bad key in {field}", fields={
            field: f"Keys must be non-empty strings of at most {max_length} characters, without control characters."})
    value = check_visible(value, field)
    if len(value) > max_length:
        raise Invalid(f"bad key in {field}", fields={field: f"Keys must be at most {max_length} characters."})
    return value


def nfc_key(key: t.Any) -> t.Any:
    """A key given to find (delete) something, in the NFC its key was stored in."""
    return text_rules.nfc(key) if isinstance(key, str) else key


def check_double(value: t.Any, field: str) -> float:
    """A number as the double a column stores: 422 for what is no number and for a finite number
    beyond a double's range (``1e400``); infinities and NaN written as such are kept."""
    try:
        return text_rules.as_double(value)
    except OverflowError:
        raise Invalid(f"{field} is outside a double's range", fields={field: text_rules.DOUBLE_RANGE}) from None
    except (TypeError, ValueError):
        raise Invalid(f"{field} must be a number", fields={field: "Must be a number."}) from None


def storable_text(text: str) -> bool:
    """Whether a database can store ``text``: no NUL (PostgreSQL refuses it) and no lone surrogate
    (no UTF-8 for it), as text decoded from a JSON string nested in another may have."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: t.Any, field: str, *, max_length: int = 100_000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", fields={field: "Must be a string."})
    if len(value) > max_length:
        raise Invalid(f"{field} is too long", fields={field: f"Must be at most {max_length} characters."})
    if "\x00" in value:
        raise Invalid(f"{field} contains a NUL character", fields={field: "Must not contain NUL characters."})
    return value


def check_string_map(value: t.Any, field: str, *, key_max: int = 250, value_max: int = 5000,
                     max_items: int = 1000) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object of strings", fields={field: "Must be an object of string keys and values."})
    if len(value) > max_items:
        raise Invalid(f"{field} has too many entries", fields={field: f"At most {max_items} entries."})
    out: dict[str, str] = {}
    for key, val in value.items():
        key = check_key(key, field, max_length=key_max)
        if isinstance(val, bool) or val is None or not isinstance(val, (str, int, float)):
            raise Invalid(f"bad value in {field}", fields={field: f"The value of {key!r} must be a string."})
        if isinstance(val, (int, float)) and not isinstance(val, str):
            check_double(val, field)  # 1e400 is no number to keep as the text "inf"
        val = str(val)
        if len(val) > value_max or "\x00" in val:
            raise Invalid(f"bad value in {field}", fields={field: f"The value of {key!r} must be at most {value_max} characters."})
        out[key] = val
    return out


def is_unique_violation(exc: IntegrityError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    if code:
        return code == "23505"
    return "UNIQUE" in str(exc.orig).upper()


def upsert(model: t.Any, rows: t.Sequence[t.Mapping[str, t.Any]], *, keys: t.Sequence[str],
           update: t.Sequence[str] = ()) -> None:
    """Insert ``rows`` in the current transaction; a row whose ``keys`` exist already updates the
    ``update`` columns (or is skipped when there are none). One statement, so two requests setting
    the same new tag at once both succeed instead of one failing on the primary key."""
    if not rows:
        return
    s = session()
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # other databases: the same effect without the guarantee under concurrency
        for row in rows:
            found = s.scalar(sa.select(model).where(*(getattr(model, k) == row[k] for k in keys)))
            if found is None:
                s.add(model(**row))
            else:
                for column in update:
                    setattr(found, column, row[column])
        s.flush()
        return
    stmt = insert(model).values([dict(row) for row in rows])
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={column: stmt.excluded[column] for column in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    s.execute(stmt)


def count(stmt: sa.Select) -> int:
    return session().scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


@dataclasses.dataclass(frozen=True)
class LockedRun:
    """A run locked for a write (:func:`lock_run`), and the versions made from it that were locked
    with it."""

    run_id: str
    version_ids: tuple[int, ...]

    def touch(self) -> None:
        """Mark the locked versions as changed now. A version made from the run after the locks
        were taken is left as it is: it is newer than this write anyway, and its row is not
        locked, so updating it here would take it after the run's, the reverse of the order a
        delete of that version takes them (a deadlock on PostgreSQL)."""
        from ..models import ModelVersion, utcnow

        if self.version_ids:
            session().execute(sa.update(ModelVersion).where(ModelVersion.id.in_(self.version_ids))
                              .values(updated_at=utcnow()))


def lock_run(run_id: str, message: str = "run not found", *, shared: bool = True) -> LockedRun:
    """Lock a run for a write to it or to what belongs to it (its metrics, parameters, tags, datasets,
    files), before the write touches any row, in the order a delete of its versions (or of their
    model) takes the same locks (:func:`.versions.purge_versions`): first the rows of the versions
    made from the run, in id order, as the write's update of them does (``FOR NO KEY UPDATE``: every
    write to a run marks its versions changed, through :meth:`LockedRun.touch`), then the run's row,
    ``shared`` (``FOR KEY SHARE``: writes that add and need not wait for each other) or not
    (``FOR UPDATE``: writes that replace, queued so the last one's body stays whole). The two then
    wait for each other in one order instead of deadlocking on PostgreSQL; SQLite holds the
    database's write lock already. ``NotFound`` with ``message`` if the run is gone (deleted by an
    operation that committed first)."""
    from ..models import ModelVersion, Run

    ids = tuple(session().scalars(sa.select(ModelVersion.id).where(ModelVersion.run_id == run_id)
                                  .order_by(ModelVersion.id).with_for_update(key_share=True)))
    lock_row(Run, run_id, message, shared=shared)
    return LockedRun(run_id, ids)

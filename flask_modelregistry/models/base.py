"""The declarative base of the registry's tables.

The tables are declared once, at import time, on a metadata object of their own with a
naming convention, so every constraint has a stable name that migrations can refer to.
:meth:`ModelRegistry.init_app` copies them into the host's ``db.metadata`` so that the
host's ``db.create_all()`` and its own Alembic autogenerate see them, and all queries run
on the host's ``db.session`` and engine: the registry has no database of its own.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, returns aware UTC on every backend (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


#: Text compared byte by byte on every backend; used for the semver precedence key.
BinaryText = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = metadata



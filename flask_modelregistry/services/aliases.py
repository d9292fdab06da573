"""Aliases: names like ``champion`` that point at one version of a model (``models:/NAME@champion``).

Alias names follow MLflow's rules: letters, digits, ``_`` and ``-``, at most 255 characters;
``latest`` and ``v<number>`` are reserved. Setting an alias that exists moves it. Looking an
alias up also accepts a version's semantic version (``models:/NAME@1.2.0``), as GitLab does.
"""
from __future__ import annotations

import re
import typing as t

import sqlalchemy as sa

from ..errors import BadRequest, Invalid
from ..models import ModelAlias, ModelVersion, RegisteredModel, utcnow
from ..versioning import parse_version
from . import audit, events
from .access import authorize
from .batches import chunks
from .common import check_visible, lock_row, session, unit_of_work, upsert
from .identity import Actor

_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
MAX_ALIAS_LENGTH = 255


def check_alias(alias: t.Any) -> str:
    if not isinstance(alias, str) or not alias:
        raise Invalid("Registered model alias name cannot be empty.", fields={"alias": "Can't be blank."})
    alias = check_visible(alias, "alias")
    if not _ALIAS.match(alias):
        raise Invalid(f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), "
                      "and dashes (-).", fields={"alias": "Use letters, digits, _ and -."})
    if len(alias) > MAX_ALIAS_LENGTH:
        raise Invalid(f"Registered model alias name exceeds the maximum length of {MAX_ALIAS_LENGTH}",
                      fields={"alias": f"At most {MAX_ALIAS_LENGTH} characters."})
    if alias.lower() == "latest":
        raise Invalid("'latest' alias name (case insensitive) is reserved.", fields={"alias": "Reserved."})
    if _VERSION_ALIAS.match(alias):
        raise Invalid(f"Version alias name '{alias}' is reserved.", fields={"alias": "Reserved."})
    return alias


@unit_of_work
def set_alias(project: str, actor: Actor, model: RegisteredModel, alias: t.Any, version: ModelVersion) -> None:
    """Point ``alias`` at ``version``, moving it from another version if needed."""
    authorize(project, actor, "write")
    alias = check_alias(alias)
    lock_row(RegisteredModel, model.id, "model not found")
    upsert(ModelAlias, [{"model_id": model.id, "alias": alias, "version_id": version.id}],
           keys=("model_id", "alias"), update=("version_id",))
    model.updated_at = utcnow()
    audit.record(project, actor, "model.alias.set", "model", model.id, model.name,
                 {"alias": alias, "version": version.version})
    events.alias_created(project, model.name, alias, version.number)


@unit_of_work
def delete_alias(project: str, actor: Actor, model: RegisteredModel, alias: t.Any) -> None:
    authorize(project, actor, "write")
    if not isinstance(alias, str):
        raise Invalid("alias must be a string", fields={"alias": "Must be a string."})
    s = session()
    lock_row(RegisteredModel, model.id, "model not found")
    deleted = s.execute(sa.delete(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == alias))
    # MLflow's server fires the event for an alias that was not there too (its delete succeeds)
    events.alias_deleted(project, model.name, alias)
    if deleted.rowcount:
        model.updated_at = utcnow()
        audit.record(project, actor, "model.alias.delete", "model", model.id, model.name, {"alias": alias})


def version_by_alias(project: str, actor: Actor, model: RegisteredModel, alias: t.Any) -> ModelVersion:
    """The version an alias points at, or the version with that semantic version."""
    authorize(project, actor, "read")
    if not isinstance(alias, str) or not alias:
        raise BadRequest("Registered model alias name cannot be empty.")
    version = session().scalar(sa.select(ModelVersion).join(ModelAlias, ModelAlias.version_id == ModelVersion.id)
                               .where(ModelAlias.model_id == model.id, ModelAlias.alias == alias))
    if version is None and "." in alias:
        try:
            parse_version(alias)
        except Invalid:
            pass
        else:
            version = session().scalar(sa.select(ModelVersion).where(ModelVersion.model_id == model.id,
                                                                     ModelVersion.version == alias))
    if version is None:
        raise BadRequest(f"Registered model alias {alias} not found.")
    return version


def aliases_by_model(model_ids: t.Sequence[int], label: t.Any = ModelVersion.number) -> dict[int, list[tuple[str, t.Any]]]:
    """``{model_id: [(alias, version number), ...]}`` in one query (``label=ModelVersion.version``:
    the semantic version instead of the number)."""
    out: dict[int, list[tuple[str, t.Any]]] = {}
    for chunk in chunks(model_ids):
        rows = session().execute(
            sa.select(ModelAlias.model_id, ModelAlias.alias, label.label("label"))
            .join(ModelVersion, ModelVersion.id == ModelAlias.version_id)
            .where(ModelAlias.model_id.in_(chunk)).order_by(ModelAlias.alias))
        for row in rows:
            out.setdefault(row.model_id, []).append((row.alias, row.label))
    return out


def aliases_by_version(version_ids: t.Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for chunk in chunks(version_ids):
        rows = session().execute(sa.select(ModelAlias.version_id, ModelAlias.alias)
                                 .where(ModelAlias.version_id.in_(chunk)).order_by(ModelAlias.alias))
        for row in rows:
            out.setdefault(row.version_id, []).append(row.alias)
    return out

"""What a page of models or versions shows, loaded in a fixed number of queries.

Every function takes the ids of a whole page and answers a dict keyed by id, so that a page of
1,000 models costs the same handful of queries as a page of one. Long id lists are split into
chunks that every database accepts as bound parameters.
"""
from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..models import ModelTag, ModelVersion, RegisteredModel, RunParam, RunTag, VersionTag
from .common import session

T = t.TypeVar("T")
CHUNK = 900


def chunks(ids: t.Iterable[T], size: int = CHUNK) -> t.Iterator[list[T]]:
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _key_values(owner: t.Any, key: t.Any, value: t.Any, ids: t.Sequence[t.Any]) -> dict[t.Any, dict[str, str]]:
    """``{owner id: {key: value}}`` from a tag table, ordered by key."""
    out: dict[t.Any, dict[str, str]] = {}
    for chunk in chunks(ids):
        for row in session().execute(sa.select(owner, key, value).where(owner.in_(chunk)).order_by(key)):
            out.setdefault(row[0], {})[row[1]] = row[2]
    return out


def tags_by_model(model_ids: t.Sequence[int]) -> dict[int, dict[str, str]]:
    return _key_values(ModelTag.model_id, ModelTag.key, ModelTag.value, model_ids)


def tags_by_version(version_ids: t.Sequence[int]) -> dict[int, dict[str, str]]:
    return _key_values(VersionTag.version_id, VersionTag.key, VersionTag.value, version_ids)


def tags_by_run(run_ids: t.Sequence[str]) -> dict[str, dict[str, str]]:
    return _key_values(RunTag.run_id, RunTag.key, RunTag.value, run_ids)


def params_by_run(run_ids: t.Sequence[str]) -> dict[str, dict[str, str]]:
    return _key_values(RunParam.run_id, RunParam.key, RunParam.value, run_ids)


def model_names(model_ids: t.Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in chunks(set(model_ids)):
        out.update((row.id, row.name) for row in session().execute(
            sa.select(RegisteredModel.id, RegisteredModel.name).where(RegisteredModel.id.in_(chunk))))
    return out


def version_labels(version_ids: t.Iterable[int | None]) -> dict[int, str]:
    """``{version id: semantic version}``, e.g. for the parents of a page of versions."""
    ids = {v for v in version_ids if v is not None}
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        out.update((row.id, row.version) for row in session().execute(
            sa.select(ModelVersion.id, ModelVersion.version).where(ModelVersion.id.in_(chunk))))
    return out


def latest_order(v: t.Any = ModelVersion) -> list[t.Any]:
    """The order in which the first version is a model's latest: releases before prereleases,
    then the highest semantic version (as the JSON API's ``latest_version``)."""
    return [(v.semver_key == "~").desc(), v.semver_major.desc(), v.semver_minor.desc(),
            v.semver_patch.desc(), v.semver_key.desc(), v.id.desc()]


def latest_by_stage(model_ids: t.Sequence[int], stages: t.Sequence[str] | None = None,
                    ) -> dict[int, list[ModelVersion]]:
    """Each model's latest version in each stage (or in each of ``stages``): two queries."""
    out: dict[int, list[ModelVersion]] = {}
    for chunk in chunks(model_ids):
        ranked = sa.select(
            ModelVersion.id,
            sa.func.row_number().over(partition_by=(ModelVersion.model_id, ModelVersion.stage),
                                      order_by=latest_order()).label("rank"),
        ).where(ModelVersion.model_id.in_(chunk))
        if stages:
            ranked = ranked.where(ModelVersion.stage.in_(list(stages)))
        sub = ranked.subquery()
        rows = session().scalars(sa.select(ModelVersion).join(sub, sub.c.id == ModelVersion.id)
                                 .where(sub.c.rank == 1).order_by(ModelVersion.number))
        for version in rows:
            out.setdefault(version.model_id, []).append(version)
    return out

"""Searching a project's models and versions with MLflow's filter language, in pages.

``search_models`` and ``search_versions`` answer what MLflow's ``registered-models/search`` and
``model-versions/search`` answer, with the same keys, defaults, limits and tie-breakers, and a
few additions: ``tags.model_registry.version`` filters on the semantic version, and
``order_by=["semantic_version DESC"]`` orders versions by Semantic Versioning precedence.
"""
from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from ..models import ModelTag, ModelVersion, RegisteredModel, VersionTag
from .access import authorize
from .identity import Actor
from .search import (NUMBER_OPS, Attribute, SearchSpec, check_max_results, conditions, decode_page_token,
                     fetch_page, order_columns, parse_filter, parse_order_by)

MODELS_DEFAULT, MODELS_MAX = 100, 1000
VERSIONS_DEFAULT, VERSIONS_MAX = 10_000, 200_000
SEMVER_TAGS = ("model_registry.version", "gitlab.version")


def _tag_conditions(tag: t.Any, owner_key: t.Any, owner_id: t.Any) -> dict[str, t.Any]:
    """``tag_condition`` and ``tag_missing`` of a spec, as EXISTS subqueries on a tag table."""
    def has_tag(key: str, matches: t.Callable[[t.Any], t.Any]) -> t.Any:
        return sa.exists().where(owner_key == owner_id, tag.key == key, matches(tag.value))

    def lacks_tag(key: str) -> t.Any:
        return ~sa.exists().where(owner_key == owner_id, tag.key == key)

    return {"tag_condition": has_tag, "tag_missing": lacks_tag}


def _model_spec() -> SearchSpec:
    return SearchSpec(
        attributes={"name": Attribute(RegisteredModel.name)},
        **_tag_conditions(ModelTag, ModelTag.model_id, RegisteredModel.id),
        order_keys={"name": RegisteredModel.name, "timestamp": RegisteredModel.updated_at,
                    "last_updated_timestamp": RegisteredModel.updated_at,
                    "creation_timestamp": RegisteredModel.created_at},
    )


def _version_spec() -> SearchSpec:
    semver = [ModelVersion.semver_major, ModelVersion.semver_minor, ModelVersion.semver_patch, ModelVersion.semver_key]
    return SearchSpec(
        attributes={"name": Attribute(RegisteredModel.name),
                    "version_number": Attribute(ModelVersion.number, numeric=True, ops=NUMBER_OPS),
                    "run_id": Attribute(sa.func.coalesce(ModelVersion.given_run_id, ModelVersion.run_id)),
                    "source_path": Attribute(ModelVersion.source, nfc=False)},
        **_tag_conditions(VersionTag, VersionTag.version_id, ModelVersion.id),
        tag_columns={key: ModelVersion.version for key in SEMVER_TAGS},
        order_keys={"name": RegisteredModel.name, "version_number": ModelVersion.number,
                    "creation_timestamp": ModelVersion.created_at,
                    "last_updated_timestamp": ModelVersion.updated_at, "semantic_version": semver},
    )


def search_models(project: str, actor: Actor, *, filter: str | None = None,
                  order_by: t.Sequence[str] | None = None, max_results: int | None = None,
                  page_token: str | None = None) -> tuple[list[RegisteredModel], str | None]:
    """A page of the project's models matching ``filter``, and the next page's token."""
    authorize(project, actor, "read")
    spec = _model_spec()
    where = conditions(spec, parse_filter(filter))
    keys = parse_order_by(spec, order_by)
    if not any(key == "name" for key, _ in keys):
        keys.append(("name", True))
    limit = check_max_results(max_results, default=MODELS_DEFAULT, maximum=MODELS_MAX)
    offset = decode_page_token(page_token)
    stmt = (sa.select(RegisteredModel).where(RegisteredModel.project == project, *where)
            .order_by(*order_columns(spec, keys), RegisteredModel.id))
    return fetch_page(stmt, offset, limit)


def search_versions(project: str, actor: Actor, *, filter: str | None = None,
                    order_by: t.Sequence[str] | None = None, max_results: int | None = None,
                    page_token: str | None = None) -> tuple[list[ModelVersion], str | None]:
    """A page of the project's versions (each with its model loaded) and the next page's token."""
    authorize(project, actor, "read")
    spec = _version_spec()
    where = conditions(spec, parse_filter(filter))
    keys = parse_order_by(spec, order_by) or [("last_updated_timestamp", False)]
    if not any(key == "name" for key, _ in keys):
        keys.append(("name", True))
    if not any(key == "version_number" for key, _ in keys):
        keys.append(("version_number", False))
    limit = check_max_results(max_results, default=VERSIONS_DEFAULT, maximum=VERSIONS_MAX)
    offset = decode_page_token(page_token)
    stmt = (sa.select(ModelVersion).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
            .options(contains_eager(ModelVersion.model))
            .where(RegisteredModel.project == project, *where)
            .order_by(*order_columns(spec, keys), ModelVersion.id))
    return fetch_page(stmt, offset, limit)

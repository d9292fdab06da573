"""Model versions: semantic versions ordered in SQL, each with its own run."""
from __future__ import annotations

import dataclasses
import typing as t
import uuid

import sqlalchemy as sa

from ..config import config_value
from ..errors import AlreadyExists, Invalid, NotFound
from ..models import (Artifact, LoggedModel, ModelAlias, ModelVersion, RegisteredModel, Run, RunDataset,
                      RunMetric, RunMetricAggregate, RunMetricStep, RunModelLink, RunParam, RunTag, VersionTag,
                      utcnow)
from ..versioning import ParsedVersion, next_major, parse_version
from . import audit, batches, events
from .access import authorize
from .artifacts import delete_rows_returning_keys
from .common import (Page, after_commit, check_string_map, nfc_key, check_text, clamp_page, like_pattern, lock_row, row_id,
                     session, unit_of_work, upsert)
from .identity import Actor

VERSION_TAG = "model_registry.version"
#: the length of ``semver_key``: a prerelease of many short numeric parts encodes longer than the
#: 255 characters a version may have (each such part takes four more)
MAX_PRECEDENCE_KEY = 255
STAGES = ("None", "Staging", "Production", "Archived")


@dataclasses.dataclass(frozen=True)
class MetricValue:
    key: str
    value: float
    step: int
    timestamp: int


@dataclasses.dataclass(frozen=True)
class VersionDetails:
    version: ModelVersion
    metrics: list[MetricValue]
    params: dict[str, str]
    metadata: dict[str, str]
    artifact_count: int
    run_tags: dict[str, str]


def semver_order(v: t.Any = ModelVersion, descending: bool = True) -> list[t.Any]:
    cols = [v.semver_major, v.semver_minor, v.semver_patch, v.semver_key, v.id]
    return [c.desc() if descending else c.asc() for c in cols]


VERSION_SORTS = ("version", "created_at", "number")


def list_versions(project: str, actor: Actor, model: RegisteredModel, *, search: str | None = None,
                  sort: str = "version", order: str = "desc", page: int | None = None,
                  per_page: int | None = None) -> Page[VersionDetails]:
    """A page of versions, newest semantic version first; a constant number of queries."""
    authorize(project, actor, "read")
    if sort not in VERSION_SORTS:
        raise Invalid("unknown sort", fields={"sort": f"Must be one of {', '.join(VERSION_SORTS)}."})
    if order not in ("asc", "desc"):
        raise Invalid("unknown order", fields={"order": "Must be asc or desc."})
    page, per_page = clamp_page(page, per_page, config_value("PER_PAGE"))
    where = [ModelVersion.model_id == model.id]
    if search:
        where.append(ModelVersion.version.ilike(like_pattern(search), escape="\\"))
    if search:
        total = session().scalar(sa.select(sa.func.count()).select_from(ModelVersion).where(*where)) or 0
    else:  # kept on the model's row by every creation and deletion
        total = model.version_count or 0
    desc = order == "desc"
    if sort == "version":
        ordering = semver_order(descending=desc)
    elif sort == "created_at":
        ordering = [ModelVersion.created_at.desc() if desc else ModelVersion.created_at.asc(),
                    ModelVersion.id.desc() if desc else ModelVersion.id.asc()]
    else:
        ordering = [ModelVersion.number.desc() if desc else ModelVersion.number.asc()]
    stmt = sa.select(ModelVersion).where(*where).order_by(*ordering).limit(per_page).offset((page - 1) * per_page)
    versions = list(session().scalars(stmt))
    return Page(items=details(versions), page=page, per_page=per_page, total=total)


def latest_metrics(run_ids: t.Sequence[str]) -> dict[str, list[MetricValue]]:
    """The latest value of each metric of each run (highest step, then timestamp, then id), read
    from the aggregates kept on write: one row per metric, however often it was logged."""
    if not run_ids:
        return {}
    agg = RunMetricAggregate
    rows = session().execute(
        sa.select(agg.run_id, agg.key, agg.latest_value, agg.latest_step, agg.latest_timestamp, agg.latest_is_nan)
        .where(agg.run_id.in_(list(run_ids))).order_by(agg.run_id, agg.key)).all()
    out: dict[str, list[MetricValue]] = {}
    for row in rows:
        value = float("nan") if row.latest_is_nan else row.latest_value
        out.setdefault(row.run_id, []).append(MetricValue(row.key, value, row.latest_step, row.latest_timestamp))
    return out


def details(versions: t.Sequence[ModelVersion]) -> list[VersionDetails]:
    """Metrics, params, metadata and file counts of several versions in five queries."""
    if not versions:
        return []
    s = session()
    run_ids = [v.run_id for v in versions]
    ids = [v.id for v in versions]
    metrics = latest_metrics(run_ids)
    params = batches.params_by_run(run_ids)
    run_tags = batches.tags_by_run(run_ids)
    metadata = batches.tags_by_version(ids)
    counts = dict(s.execute(sa.select(Artifact.run_id, sa.func.count(Artifact.id))
                            .where(Artifact.run_id.in_(run_ids)).group_by(Artifact.run_id)).all())
    return [VersionDetails(version=v, metrics=metrics.get(v.run_id, []), params=params.get(v.run_id, {}),
                           metadata=metadata.get(v.id, {}), artifact_count=counts.get(v.run_id, 0),
                           run_tags=run_tags.get(v.run_id, {}))
            for v in versions]


def get_version(project: str, actor: Actor, model: RegisteredModel, version_id: t.Any) -> ModelVersion:
    authorize(project, actor, "read")
    number = row_id(version_id)
    version = session().get(ModelVersion, number) if number is not None else None
    if version is None or version.model_id != model.id:
        raise NotFound("model version not found")
    return version


def find_version(project: str, actor: Actor, model: RegisteredModel, ref: t.Any) -> ModelVersion:
    """A version by its number within the model (``"3"``) or by its semantic version (``"1.2.0"``)."""
    authorize(project, actor, "read")
    ref = str(ref).strip()
    stmt = sa.select(ModelVersion).where(ModelVersion.model_id == model.id)
    number = row_id(ref)
    if number is not None:
        version = session().scalar(stmt.where(ModelVersion.number == number))
    elif "\x00" in ref:  # no version has one, and PostgreSQL refuses NUL
        version = None
    else:
        version = session().scalar(stmt.where(ModelVersion.version == ref))
    if version is None:
        raise NotFound(f"Model Version (name={model.name}, version={ref}) not found")
    return version


def highest_version(model_id: int, *, releases_only: bool = False) -> ModelVersion | None:
    stmt = sa.select(ModelVersion).where(ModelVersion.model_id == model_id)
    if releases_only:
        stmt = stmt.where(ModelVersion.semver_prerelease.is_(None))
    return session().scalar(stmt.order_by(*semver_order()).limit(1))


def _parsed(version: ModelVersion) -> ParsedVersion:
    return parse_version(version.version)


def _default_experiment_id(project: str) -> int:
    from .tracking import get_or_create_experiment

    return get_or_create_experiment(project, "Default").id


@unit_of_work
def create_version(project: str, actor: Actor, model: RegisteredModel, *, version: t.Any = None,
                   description: t.Any = "", metadata: t.Mapping[str, t.Any] | None = None,
                   params: t.Mapping[str, t.Any] | None = None, metrics: t.Sequence[t.Mapping] | None = None,
                   run_id: str | None = None, source: str = "", logged_model_id: str | None = None,
                   parent_version_id: t.Any = None, datasets: t.Sequence[t.Any] | None = None,
                   given_run_id: str | None = None, semver_tag: str | None = None) -> ModelVersion:
    """Create a version with its run, metrics, parameters, metadata and datasets in one transaction.
    ``run_id`` names the existing run of the project the version came from: its metrics,
    parameters and files are the version's (and those of every other version from it). Without
    one the version gets a run made for it; ``given_run_id`` is a run id this server does not
    know, kept as the version's MLflow ``run_id``. A semantic version given is shown to MLflow
    clients as the tag ``semver_tag`` (``model_registry.version`` unless told); one chosen (the
    next major) is not, as MLflow shows only tags given. Two concurrent creations of the same
    version: one succeeds, the other gets AlreadyExists; concurrent creations without a version
    all succeed, with distinct numbers."""
    from . import tracking

    authorize(project, actor, "write")
    # only an absent version lets the server choose; an empty one is a mistake (422)
    parsed = parse_version(version) if version is not None else None
    if parsed is not None and len(parsed.key) > MAX_PRECEDENCE_KEY:
        raise Invalid("the prerelease has too many parts", fields={
            "version": "Use fewer prerelease identifiers (e.g. 1.0.0-rc.1)."})
    description = check_text(description, "description")
    meta = check_string_map(dict(metadata or {}), "metadata")
    param_map = check_string_map(dict(params or {}), "params")
    metric_rows = tracking.check_metrics(metrics or [])
    if datasets is not None and not isinstance(datasets, (list, tuple)):
        raise Invalid("datasets must be a list", fields={"datasets": "Must be a list."})
    dataset_rows = [tracking.check_dataset(d, f"datasets[{i}]") for i, d in enumerate(datasets or [])]
    parent_id = _check_parent(model, parent_version_id)
    s = session()
    # The model's counter is raised first, which locks its row until the commit: creations of
    # versions of one model queue up here, so the number (never one given before, even to a
    # deleted version) and the next major below are chosen after the previous one committed.
    number = take_version_number(model.id)
    existing_run = None
    if run_id:
        existing_run = s.get(Run, str(run_id))
        if existing_run is None or existing_run.project != project:
            raise Invalid(f"run {run_id} not found in this project", fields={"run_id": "No such run."})
    experiment_id = existing_run.experiment_id if existing_run else _default_experiment_id(project)
    chosen = parsed
    if chosen is None:
        top = highest_version(model.id)
        chosen = parse_version(next_major(_parsed(top) if top else None))
    _raise_if_taken(model, chosen)
    run = existing_run or Run(id=uuid.uuid4().hex, project=project, experiment_id=experiment_id,
                              name=f"{model.name}-{chosen.text}"[:255], status="FINISHED",
                              start_time=int(utcnow().timestamp() * 1000), user_id=actor.login_name,
                              made_for_version=True)
    mv = ModelVersion(
        model_id=model.id, number=number, version=chosen.text, semver_major=chosen.major,
        semver_minor=chosen.minor, semver_patch=chosen.patch, semver_prerelease=chosen.prerelease,
        semver_key=chosen.key, description=description, run_id=run.id, source=source or "",
        given_run_id=given_run_id or None,
        semver_tag=(semver_tag or "model_registry.version") if parsed is not None else None,
        logged_model_id=logged_model_id, parent_version_id=parent_id,
        created_by_id=actor.user_id, created_by_name=actor.name,
    )
    if existing_run is None:
        s.add(run)
        s.flush()
    s.add(mv)
    s.flush()
    s.add_all(VersionTag(version_id=mv.id, key=k, value=v) for k, v in meta.items())
    tracking.add_params(run.id, param_map, replace=False)
    tracking.add_metrics(run.id, metric_rows)
    if dataset_rows:
        tracking.add_datasets(run.id, dataset_rows)
    refresh_model_summary(model.id)
    audit.record(project, actor, "version.create", "version", mv.id,
                 f"{model.name}/{chosen.text}", {"number": number})
    events.version_created(project, model.name, number, chosen.text, chosen.prerelease is not None,
                           source=source, run_id=mv.mlflow_run_id, tags=meta, description=description)
    s.flush()
    return mv


def take_version_number(model_id: int) -> int:
    """The next version number of a model, in the current transaction: the model's counter is
    raised (locking its row until the commit), so numbers are never given twice, also after
    deletions. ``NotFound`` when the model is gone."""
    table = RegisteredModel.__table__
    number = session().execute(
        sa.update(table).where(table.c.id == model_id)
        .values(last_version_number=table.c.last_version_number + 1)
        .returning(table.c.last_version_number)).scalar()
    if number is None:
        raise NotFound("model not found")
    return number


def refresh_model_summary(model_id: int) -> None:
    """Keep the model row's version count and latest version (what a page of models shows) and
    its ``updated_at``, in the transaction that created or deleted a version."""
    s = session()
    s.execute(_summary_statements()[0], {"model_id": model_id, "now": utcnow()})
    # a second statement: the first one's new latest_version_id is what this reads
    s.execute(_summary_statements()[1], {"model_id": model_id})
    loaded = s.identity_map.get(sa.orm.util.identity_key(RegisteredModel, model_id))
    if loaded is not None:
        s.expire(loaded, ["version_count", "latest_version_id", "latest_version", "updated_at",
                          "last_version_number"])


_SUMMARY: list[t.Any] = []


def _summary_statements() -> list[t.Any]:
    """The two UPDATEs of :func:`refresh_model_summary`, built once (Core, bound parameters), so
    each call only executes them from the compiled cache."""
    if not _SUMMARY:
        from .batches import latest_order

        table, versions_table = RegisteredModel.__table__, ModelVersion.__table__
        v, c, lv = versions_table.alias("v"), versions_table.alias("c"), versions_table.alias("lv")
        latest = (sa.select(v.c.id).where(v.c.model_id == table.c.id).order_by(*latest_order(v.c)).limit(1)
                  .scalar_subquery())
        count = sa.select(sa.func.count()).select_from(c).where(c.c.model_id == table.c.id).scalar_subquery()
        latest_text = sa.select(lv.c.version).where(lv.c.id == table.c.latest_version_id).scalar_subquery()
        model_id = sa.bindparam("model_id")
        _SUMMARY.extend([
            sa.update(table).where(table.c.id == model_id).values(
                version_count=count, latest_version_id=latest, updated_at=sa.bindparam("now", type_=table.c.updated_at.type)),
            sa.update(table).where(table.c.id == model_id).values(latest_version=latest_text),
        ])
    return _SUMMARY


def _taken(model: RegisteredModel, parsed: ParsedVersion) -> str | None:
    """The existing version with the same precedence (it may differ in build metadata), or None."""
    return session().scalar(sa.select(ModelVersion.version).where(
        ModelVersion.model_id == model.id, ModelVersion.semver_major == parsed.major,
        ModelVersion.semver_minor == parsed.minor, ModelVersion.semver_patch == parsed.patch,
        ModelVersion.semver_key == parsed.key))


def _raise_if_taken(model: RegisteredModel, parsed: ParsedVersion) -> None:
    taken = _taken(model, parsed)
    if taken is not None:
        detail = "" if taken == parsed.text else f" (as {taken})"
        raise AlreadyExists(f"version {parsed.text} of {model.name} already exists{detail}",
                            fields={"version": f"Version {taken} already exists."})


def _check_parent(model: RegisteredModel, parent_version_id: t.Any) -> int | None:
    if parent_version_id in (None, ""):
        return None
    pid = row_id(parent_version_id)
    if pid is None and not (isinstance(parent_version_id, int) and not isinstance(parent_version_id, bool)):
        raise Invalid("bad parent version", fields={"parent_version_id": "Must be a version id."})
    parent = session().get(ModelVersion, pid) if pid is not None else None
    if parent is None:
        raise Invalid("parent version not found", fields={"parent_version_id": "No such version."})
    if parent.model.project != model.project:
        raise Invalid("parent version not found", fields={"parent_version_id": "No such version."})
    return pid


@unit_of_work
def update_version(project: str, actor: Actor, version: ModelVersion, *, description: t.Any = None,
                   stage: t.Any = None, archive_existing: bool = False, parent_version_id: t.Any = ...,
                   ) -> ModelVersion:
    """Change a version's description, stage or parent: every input is checked before anything
    changes, and the changes are written in the operation's transaction."""
    authorize(project, actor, "write")
    changes: dict[str, t.Any] = {}
    if description is not None:
        changes["description"] = check_text(description, "description")
    if stage is not None:
        if stage not in STAGES:
            matches = [st for st in STAGES if st.lower() == str(stage).lower()]
            if not matches:
                raise Invalid(f"Invalid Model Version stage: {stage}", fields={"stage": f"Must be one of {', '.join(STAGES)}."})
            stage = matches[0]
        changes["stage"] = stage
        version.model.updated_at = utcnow()  # as in MLflow, a stage transition changes the model too
    if parent_version_id is not ...:
        pid = _check_parent(version.model, parent_version_id)
        if pid == version.id:
            raise Invalid("a version cannot derive from itself", fields={"parent_version_id": "Must be another version."})
        changes["parent_version_id"] = pid
    lock_row(ModelVersion, version.id, "model version not found")
    if stage is not None and archive_existing and stage in ("Staging", "Production"):
        session().execute(sa.update(ModelVersion).where(
            ModelVersion.model_id == version.model_id, ModelVersion.id != version.id,
            ModelVersion.stage == stage).values(stage="Archived", updated_at=utcnow()))
    for field, value in changes.items():
        setattr(version, field, value)
    version.updated_at = utcnow()
    audit.record(project, actor, "version.update", "version", version.id,
                 f"{version.model.name}/{version.version}",
                 {k: (True if k == "description" else v) for k, v in changes.items()})
    session().flush()
    return version


@unit_of_work
def replace_metadata(project: str, actor: Actor, version: ModelVersion, metadata: t.Any) -> dict[str, str]:
    """Make the version's metadata exactly ``metadata``. The version's row is locked first, so
    concurrent replacements queue up and the last one's body is what stays, whole."""
    authorize(project, actor, "write")
    meta = check_string_map(metadata, "metadata")
    s = session()
    lock_row(ModelVersion, version.id, "model version not found")
    before = dict(s.execute(sa.select(VersionTag.key, VersionTag.value).where(VersionTag.version_id == version.id)).all())
    for key in sorted(set(before) - set(meta)):
        events.version_tag_deleted(project, version.model.name, version.number, key)
    for key, value in meta.items():
        if before.get(key) != value:
            events.version_tag_set(project, version.model.name, version.number, key, value)
    s.execute(sa.delete(VersionTag).where(VersionTag.version_id == version.id))
    s.add_all(VersionTag(version_id=version.id, key=k, value=v) for k, v in meta.items())
    version.updated_at = utcnow()
    audit.record(project, actor, "version.metadata", "version", version.id,
                 f"{version.model.name}/{version.version}", {"keys": sorted(meta)})
    s.flush()
    return meta


@unit_of_work
def set_version_tag(project: str, actor: Actor, version: ModelVersion, key: t.Any, value: t.Any) -> None:
    authorize(project, actor, "write")
    key, value = next(iter(check_string_map({key: value} if isinstance(key, str) else {None: value}, "tags").items()))
    lock_row(ModelVersion, version.id, "model version not found")
    version.updated_at = utcnow()
    upsert(VersionTag, [{"version_id": version.id, "key": key, "value": value}], keys=("version_id", "key"),
           update=("value",))
    audit.record(project, actor, "version.tag.set", "version", version.id,
                 f"{version.model.name}/{version.version}", {key: value})
    events.version_tag_set(project, version.model.name, version.number, key, value)
    session().flush()


@unit_of_work
def delete_version_tag(project: str, actor: Actor, version: ModelVersion, key: str) -> None:
    authorize(project, actor, "write")
    key = nfc_key(key)
    lock_row(ModelVersion, version.id, "model version not found")
    deleted = session().execute(sa.delete(VersionTag).where(VersionTag.version_id == version.id, VersionTag.key == key))
    # MLflow's server fires the event for a tag that was not there too (its delete succeeds)
    events.version_tag_deleted(project, version.model.name, version.number, key)
    if deleted.rowcount:
        audit.record(project, actor, "version.tag.delete", "version", version.id,
                     f"{version.model.name}/{version.version}", {"key": key})


def purge_versions(version_ids: t.Sequence[int]) -> list[str]:
    """Delete versions and everything under them in the current transaction; return the storage
    keys of their files, to delete once the transaction has committed."""
    if not version_ids:
        return []
    s = session()
    # Lock the versions, then their runs, in one order: a write racing the delete either commits
    # before it (and goes with the rest) or waits and finds them gone (NotFound). An upload locks
    # its run (shared) before anything else, so the two queue instead of deadlocking, and the
    # artifact rows read below include every upload committed before the lock was granted.
    used = sorted(set(s.scalars(sa.select(ModelVersion.run_id).where(ModelVersion.id.in_(version_ids))
                                .order_by(ModelVersion.id).with_for_update())))
    s.execute(sa.select(Run.id).where(Run.id.in_(used)).order_by(Run.id).with_for_update())
    s.execute(sa.update(ModelVersion).where(ModelVersion.parent_version_id.in_(version_ids))
              .values(parent_version_id=None))
    s.execute(sa.delete(ModelAlias).where(ModelAlias.version_id.in_(version_ids)))
    s.execute(sa.delete(VersionTag).where(VersionTag.version_id.in_(version_ids)))
    s.execute(sa.delete(ModelVersion).where(ModelVersion.id.in_(version_ids)))
    # a run made for versions goes with the last of them; a client's run stays, as in MLflow
    still_used = set(s.scalars(sa.select(ModelVersion.run_id).where(ModelVersion.run_id.in_(used))))
    run_ids = list(s.scalars(sa.select(Run.id).where(Run.id.in_(sorted(set(used) - still_used)),
                                                     Run.made_for_version.is_(True))))
    keys = delete_rows_returning_keys(Artifact.run_id.in_(run_ids))
    for table in (RunMetric, RunMetricAggregate, RunMetricStep, RunParam, RunTag, RunDataset, RunModelLink,
                  LoggedModel):
        s.execute(sa.delete(table).where(table.run_id.in_(run_ids)))
    s.execute(sa.delete(Run).where(Run.id.in_(run_ids)))
    return keys


@unit_of_work
def delete_version(project: str, actor: Actor, version: ModelVersion) -> None:
    """Delete the version; its run (metrics, parameters, files) too when the run was made for it
    and no other version uses it (once committed)."""
    from .artifacts import delete_stored_objects

    authorize(project, actor, "write")
    model_id, label, vid = version.model_id, f"{version.model.name}/{version.version}", version.id
    name, number, semver = version.model.name, version.number, version.version
    lock_row(RegisteredModel, model_id, "model not found")
    keys = purge_versions([vid])
    refresh_model_summary(model_id)
    audit.record(project, actor, "version.delete", "version", vid, label, {"files": len(keys)})
    events.version_deleted(project, name, number, semver)
    after_commit(lambda: delete_stored_objects(keys))

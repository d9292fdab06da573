"""Registering versions the MLflow way: the semantic version, lineage and CI link come from
tags, the files from the source URI.

* ``model_registry.version`` (or GitLab's ``gitlab.version``) names the semantic version; without
  it a version gets the next major. It is not stored as a tag: MLflow answers show every
  version's semantic version under ``model_registry.version``, and it cannot be changed later.
* ``model_registry.parent_version`` (a semantic version or number of the same model) sets the
  version it derives from; setting or deleting the tag later changes the parent.
* CI tags (``model_registry.ci_job_id``, ``gitlab.CI_JOB_ID``, ...) also go on the version's run,
  where its CI job is read from, after the host's ``ci_job_resolver`` checked them.
* The source decides the files. ``runs:/R/path``, ``mlflow-artifacts:/E/R/artifacts/path`` and
  ``models:/m-...`` (a logged model) name a run: it becomes the version's run when no other
  version owns it (its files, metrics and parameters become the version's); otherwise the files
  under ``path`` are copied into the version's own run. ``models:/NAME/VERSION`` copies that
  version's model files. Any other source is kept as given, with no files.
"""
from __future__ import annotations

import dataclasses
import typing as t
import uuid

import sqlalchemy as sa

from ..errors import BadRequest, Invalid, NotFound
from ..models import Artifact, LoggedModel, ModelVersion, RegisteredModel
from ..versioning import parse_version
from . import aliases, artifacts, ci, events, tracking, versions
from .access import authorize
from .artifact_locations import ModelSource, join, parse_source, run_artifact_uri
from .batches import latest_by_stage
from .common import check_string_map, check_text, row_id, session, unit_of_work
from .experiments import external_id
from .identity import Actor

VERSION_TAGS = ("model_registry.version", "gitlab.version")
PARENT_TAG = "model_registry.parent_version"
MODEL_FILE = "MLmodel"


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a new version's files come from."""

    run_id: str | None = None
    path: str = ""
    logged_model_id: str | None = None


def find_version_ref(project: str, actor: Actor, model: RegisteredModel, ref: t.Any) -> ModelVersion:
    """A version by number or semantic version; anything else is a bad parameter."""
    text = str(ref).strip() if isinstance(ref, (str, int)) and not isinstance(ref, bool) else ""
    if row_id(text) is None:
        try:
            parse_version(text)
        except Invalid:
            raise BadRequest(f"Parameter 'version' must be an integer or a semantic version, got '{text}'.") from None
    return versions.find_version(project, actor, model, text)


def _semver_from_tags(tags: t.Mapping[str, str]) -> str | None:
    given = {tags[k] for k in VERSION_TAGS if tags.get(k)}
    if len(given) > 1:
        raise Invalid("model_registry.version and gitlab.version name different versions",
                      fields={"tags": "Give one semantic version."})
    if not given:
        return None
    text = given.pop()
    parse_version(text, field="model_registry.version")
    return text


def _parent_id(project: str, actor: Actor, model: RegisteredModel, ref: str | None) -> int | None:
    if not ref:
        return None
    try:
        return find_version_ref(project, actor, model, ref).id
    except (NotFound, BadRequest):
        raise Invalid(f"{PARENT_TAG}: version {ref} of {model.name} not found",
                      fields={PARENT_TAG: "Must be a version (semantic version or number) of the same model."}) from None


def _origin(project: str, actor: Actor, parsed: ModelSource, run_id: str | None,
            logged_model_id: str | None) -> Origin:
    from .logged_models import get_logged_model

    if parsed.kind == "run" or (parsed.kind == "artifacts" and parsed.run_id):
        if run_id and run_id != parsed.run_id:
            raise BadRequest(f"run_id {run_id} does not match the run of the source ({parsed.run_id})")
        run = tracking.get_run(project, actor, parsed.run_id)
        if parsed.location is not None and external_id(run.experiment) != parsed.location.experiment:
            raise NotFound(f"Run with id={run.id} not found in experiment {parsed.location.experiment}")
        # a logged model named beside a run source must be one of this project's, like any other
        lm_id = get_logged_model(project, actor, logged_model_id).id if logged_model_id else None
        return Origin(run.id, parsed.path, lm_id)
    if parsed.kind in ("logged_model", "artifacts"):
        lm = get_logged_model(project, actor, parsed.model_id)
        return Origin(lm.run_id, join(lm.artifact_path, parsed.path), lm.id)
    if parsed.kind == "version":
        from .registered_models import get_model_by_name

        source_model = get_model_by_name(project, actor, parsed.model_name or "")
        if parsed.alias is not None:
            source = aliases.version_by_alias(project, actor, source_model, parsed.alias)
        elif parsed.version_ref and parsed.version_ref.lower() == "latest":
            source = _latest(source_model)
        elif parsed.version_ref and parsed.version_ref.lower() in (s.lower() for s in versions.STAGES):
            source = _latest(source_model, check_stage(parsed.version_ref))
        else:
            source = find_version_ref(project, actor, source_model, parsed.version_ref)
        return Origin(source.run_id, join(download_path(source), parsed.path), source.logged_model_id)
    if logged_model_id:
        lm = get_logged_model(project, actor, logged_model_id)
        return Origin(lm.run_id, lm.artifact_path, lm.id)
    if run_id:
        return Origin(tracking.get_run(project, actor, run_id).id, "", None)
    return Origin()


def _latest(model: RegisteredModel, stage: str | None = None) -> ModelVersion:
    """What ``models:/NAME/latest`` (or ``models:/NAME/<stage>``) names."""
    found = latest_by_stage([model.id], [stage] if stage else None).get(model.id, [])
    if not found:
        raise NotFound(f"No versions of model with name '{model.name}'{f' and stage {stage}' if stage else ''} found")
    return max(found, key=lambda v: v.number)


def register_version(project: str, actor: Actor, model: RegisteredModel, *, source: t.Any = "",
                     run_id: t.Any = None, tags: t.Mapping[str, t.Any] | None = None,
                     description: t.Any = "", logged_model_id: t.Any = None) -> ModelVersion:
    """Create a version as MLflow's ``create_model_version`` does (see the module's docstring):
    one transaction for the experiment, the version, its copied files and its CI tags, so a
    version never exists without the tags its CI resolver approved."""
    authorize(project, actor, "write")
    source = check_text(source if source is not None else "", "source", max_length=4000)
    tag_map = check_string_map(dict(tags or {}), "tags", value_max=5000)
    semver = _semver_from_tags(tag_map)
    parent_id = _parent_id(project, actor, model, tag_map.get(PARENT_TAG))
    metadata = {k: v for k, v in tag_map.items() if k not in VERSION_TAGS and k != PARENT_TAG}
    run_tags = ci.resolve_ci_tags(project, {k: v for k, v in metadata.items() if k in ci.CI_TAGS})
    origin = _origin(project, actor, parse_source(source), str(run_id) if run_id else None,
                     str(logged_model_id) if logged_model_id else None)
    owned = origin.run_id and tracking.version_of_run(origin.run_id) is not None
    new_run_id = uuid.uuid4().hex if owned else None
    # the files are copied before the transaction opens (no lock is held while they are), and
    # deleted again if it does not commit
    copies = artifacts.copy_objects(origin.run_id, origin.path, new_run_id) if owned else []

    @unit_of_work
    def create() -> ModelVersion:
        version = versions.create_version(
            project, actor, model, version=semver, description=description, metadata=metadata,
            run_id=None if owned else origin.run_id, source=source, logged_model_id=origin.logged_model_id,
            parent_version_id=parent_id, new_run_id=new_run_id, copied_artifacts=copies)
        if run_tags:
            tracking.set_run_tags(version.run_id, run_tags)
        return version

    try:
        return create()
    except BaseException:
        artifacts.discard_copies(copies)
        raise


@unit_of_work
def set_version_tag(project: str, actor: Actor, version: ModelVersion, key: t.Any, value: t.Any) -> None:
    authorize(project, actor, "write")
    if key in VERSION_TAGS:
        if value != version.version:
            raise Invalid(f"The semantic version of a version is set when it is created ({version.version})",
                          fields={"key": "The semantic version cannot change."})
        return
    if key == PARENT_TAG:
        parent = _parent_id(project, actor, version.model, value)
        if parent == version.id:
            raise Invalid("a version cannot derive from itself", fields={PARENT_TAG: "Must be another version."})
        versions.update_version(project, actor, version, parent_version_id=parent)
        events.version_tag_set(project, version.model.name, version.number, key, str(value))
        return
    if key in ci.CI_TAGS:
        tags = ci.resolve_ci_tags(project, check_string_map({key: value}, "tags"), tracking.tags_of(version.run_id))
        tracking.set_run_tags(version.run_id, tags)
    versions.set_version_tag(project, actor, version, key, value)


@unit_of_work
def delete_version_tag(project: str, actor: Actor, version: ModelVersion, key: t.Any) -> None:
    authorize(project, actor, "write")
    if key in VERSION_TAGS:
        raise Invalid("The semantic version of a version cannot be deleted", fields={"key": "Reserved."})
    if key == PARENT_TAG:
        if version.parent_version_id is not None:
            events.version_tag_deleted(project, version.model.name, version.number, key)
        versions.update_version(project, actor, version, parent_version_id=None)
        return
    if not isinstance(key, str):
        raise Invalid("key must be a string", fields={"key": "Must be a string."})
    versions.delete_version_tag(project, actor, version, key)


def shown_tags(version: ModelVersion, stored: t.Mapping[str, str], parent_label: str | None) -> dict[str, str]:
    """A version's tags as MLflow clients see them: stored tags plus its semantic version and parent."""
    tags = dict(stored)
    tags["model_registry.version"] = version.version
    if parent_label:
        tags[PARENT_TAG] = parent_label
    return tags


def download_path(version: ModelVersion) -> str:
    """Where in the version's run its model is: the source's path, the logged model's folder, or
    the folder of the shallowest ``MLmodel`` file; the run's root when none applies."""
    try:
        parsed = parse_source(version.source or "")
    except BadRequest:
        parsed = ModelSource("other")
    if parsed.kind == "run" or (parsed.kind == "artifacts" and parsed.run_id):
        return parsed.path
    if version.logged_model_id:
        lm = session().get(LoggedModel, version.logged_model_id)
        if lm is not None:
            return join(lm.artifact_path, parsed.path)
    paths = session().scalars(sa.select(Artifact.path).where(
        Artifact.run_id == version.run_id,
        sa.or_(Artifact.path == MODEL_FILE, Artifact.path.endswith("/" + MODEL_FILE, autoescape=True))))
    found = sorted(paths, key=lambda p: (p.count("/"), p))
    return found[0].rpartition("/")[0] if found else ""


def download_uri(project: str, actor: Actor, version: ModelVersion) -> str:
    """The ``mlflow-artifacts:`` URI of the version's model, inside the version's own run."""
    authorize(project, actor, "read")
    run = version.run
    return run_artifact_uri(external_id(run.experiment), run.id, download_path(version))


def check_stage(stage: t.Any) -> str:
    """One of MLflow's stages, matched without regard to case (``staging`` -> ``Staging``)."""
    matches = [s for s in versions.STAGES if s.lower() == str(stage).lower()]
    if not matches:
        raise Invalid(f"Invalid Model Version stage: {stage}. Value must be one of "
                      f"{', '.join(versions.STAGES)}.", fields={"stage": "Unknown stage."})
    return matches[0]


def latest_versions(project: str, actor: Actor, model: RegisteredModel,
                    stages: t.Sequence[t.Any] | None = None) -> list[ModelVersion]:
    """The latest version (highest semantic version, releases first) in each stage asked for, or
    in every stage; ``models:/NAME/latest`` loads the highest-numbered of these. A semantic
    version among ``stages`` names that version: the client sends ``models:/NAME/1.2.0`` so,
    taking what is not a number for a stage."""
    authorize(project, actor, "read")
    wanted, exact = [], []
    for stage in stages or []:
        if _is_semver(stage):
            exact.append(versions.find_version(project, actor, model, stage))
        else:
            wanted.append(check_stage(stage))
    if exact and not wanted:
        return exact
    return exact + latest_by_stage([model.id], wanted or None).get(model.id, [])


def _is_semver(text: t.Any) -> bool:
    try:
        parse_version(text)
    except Invalid:
        return False
    return True

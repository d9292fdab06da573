"""Registering versions the MLflow way: the semantic version, lineage and CI link come from
tags, the files from the source URI.

* ``model_registry.version`` (or GitLab's ``gitlab.version``) names the semantic version; without
  it a version gets the next major. It is not stored as a tag: MLflow answers show every
  version's semantic version under ``model_registry.version``, and it cannot be changed later.
* ``model_registry.parent_version`` (a semantic version or number of the same model) sets the
  version it derives from; setting or deleting the tag later changes the parent.
* CI tags (``model_registry.ci_job_id``, ``gitlab.CI_JOB_ID``, ...) also go on the version's run,
  where its CI job is read from, after the host's ``ci_job_resolver`` checked them.
* ``run_id`` is the run the version came from, as in MLflow: the ``run_id`` given, else the run
  the source names (``runs:/R/path``, ``mlflow-artifacts:/E/R/artifacts/path``), the logged
  model's run (``models:/m-...``) or the run of the version a ``models:/NAME/VERSION`` source
  names. Versions from one run share it, so what is logged to it shows on each of them; nothing
  is copied. A run this server does not know is kept as given (the version's files are then in
  a run made for it, as for a version created without any run).
* The source is stored as given, and ``get-download-uri`` answers it (a ``models:/`` source
  resolved to what it names); MLflow refuses local paths (``/tmp``, ``file:``) and ``..`` in a
  remote URI, and so does the registry.
"""
from __future__ import annotations

import dataclasses
import re
import typing as t
from urllib.parse import unquote, urlparse

import sqlalchemy as sa

from ..errors import BadRequest, Invalid, NotFound
from ..models import Artifact, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run
from ..versioning import parse_version
from . import aliases, ci, events, tracking, versions
from .access import authorize
from .artifact_locations import ModelSource, join, logged_model_artifact_uri, parse_source, run_artifact_uri
from .batches import latest_by_stage
from .common import check_string_map, check_text, row_id, session, unit_of_work
from .experiments import external_id
from .identity import Actor

VERSION_TAGS = ("model_registry.version", "gitlab.version")
PARENT_TAG = "model_registry.parent_version"
MODEL_FILE = "MLmodel"


@dataclasses.dataclass(frozen=True)
class Origin:
    """The run a new version came from: ``run_id`` when this server has it (the version's files,
    metrics and parameters are that run's), ``given_run_id`` when it does not."""

    run_id: str | None = None
    given_run_id: str | None = None
    logged_model_id: str | None = None
    #: the version a ``models:/NAME/VERSION`` source names
    source_version: ModelVersion | None = None


LOCAL_SOURCE = ("Invalid model version source: '{source}'. To use a local path as a model version source, "
                "the run_id request parameter has to be specified and the local path has to be contained "
                "within the artifact directory of the run specified by the run_id.")
RELATIVE_SOURCE = ("Invalid model version source: '{source}'. If supplying a source as an http, https, local "
                   "file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path is required and "
                   "must not contain '..' (or any relative path) references.")


def find_version_ref(project: str, actor: Actor, model: RegisteredModel, ref: t.Any) -> ModelVersion:
    """A version by number or semantic version; anything else is a bad parameter."""
    text = str(ref).strip() if isinstance(ref, (str, int)) and not isinstance(ref, bool) else ""
    if row_id(text) is None:
        try:
            parse_version(text)
        except Invalid:
            raise BadRequest(f"Parameter 'version' must be an integer, got '{text}'. "
                             "(A semantic version such as 1.2.0 is accepted too.)") from None
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


def check_source(source: str) -> None:
    """Refuse what MLflow refuses: local paths (this server's runs keep no files on a local disk,
    so no local path can be inside one), and ``..`` or NUL in a remote URI, also percent-encoded."""
    if not source:
        return
    scheme = urlparse(source).scheme
    if scheme in ("", "file") or (len(scheme) == 1 and source[1:2] == ":"):  # a path, file:, C:\
        raise BadRequest(LOCAL_SOURCE.format(source=source))
    decoded = unquote(source)
    if "\x00" in decoded or any(part == ".." for part in re.split(r"[/\\]", urlparse(decoded).path)):
        raise BadRequest(RELATIVE_SOURCE.format(source=source))


def _known_run(project: str, run_id: str | None) -> str | None:
    """The id of the project's run ``run_id``, or None when this server does not know it."""
    if not run_id:
        return None
    run = session().get(Run, run_id[:64])
    return run.id if run is not None and run.project == project else None


def _origin(project: str, actor: Actor, parsed: ModelSource, run_id: str | None,
            logged_model_id: str | None) -> Origin:
    from .logged_models import get_logged_model

    # a logged model named beside a source must be one of this project's, like any other
    lm = get_logged_model(project, actor, logged_model_id) if logged_model_id else None
    if parsed.kind in ("logged_model", "artifacts") and parsed.model_id:
        lm = get_logged_model(project, actor, parsed.model_id)
    lm_id = lm.id if lm is not None else None
    source = _source_version(project, actor, parsed) if parsed.kind == "version" else None
    if run_id:  # the run_id given is the version's, whatever the source says
        lm_id = lm_id or (source.logged_model_id if source else None)
        if source is not None and source.mlflow_run_id == run_id:  # a copy (copy_model_version)
            return Origin(source.run_id, source.given_run_id, lm_id, source)
        known = _known_run(project, run_id)
        return Origin(known, None if known else run_id, lm_id, source)
    if parsed.run_id:
        known = _known_run(project, parsed.run_id)
        return Origin(known, None if known else parsed.run_id, lm_id)
    if source is not None:
        return Origin(source.run_id, source.given_run_id, lm_id or source.logged_model_id, source)
    if lm is not None:
        return Origin(lm.run_id, lm.given_run_id, lm.id)
    return Origin()


def _source_version(project: str, actor: Actor, parsed: ModelSource) -> ModelVersion:
    """The version a ``models:/NAME/VERSION`` (``@ALIAS``, ``/latest``, ``/<stage>``) source names."""
    from .registered_models import get_model_by_name

    source_model = get_model_by_name(project, actor, parsed.model_name or "")
    if parsed.alias is not None:
        return aliases.version_by_alias(project, actor, source_model, parsed.alias)
    if parsed.version_ref and parsed.version_ref.lower() == "latest":
        return _latest(source_model)
    if parsed.version_ref and parsed.version_ref.lower() in (s.lower() for s in versions.STAGES):
        return _latest(source_model, check_stage(parsed.version_ref))
    return find_version_ref(project, actor, source_model, parsed.version_ref)


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
    one transaction for the experiment, the version, its CI tags and the logged model's
    ``mlflow.modelVersions`` tag, so a version never exists without the tags its CI resolver approved."""
    authorize(project, actor, "write")
    source = check_text(source if source is not None else "", "source", max_length=4000)
    check_source(source.strip())
    tag_map = check_string_map(dict(tags or {}), "tags", value_max=5000)
    origin = _origin(project, actor, parse_source(source), str(run_id) if run_id else None,
                     str(logged_model_id) if logged_model_id else None)
    semver, semver_tag = _semver_from_tags(tag_map), next((k for k in VERSION_TAGS if tag_map.get(k)), None)
    copied = origin.source_version
    if copied is not None and semver == copied.version and copied.model_id == model.id:
        semver = semver_tag = None  # a copy within its model (copy_model_version): the next major
    parent_ref = tag_map.get(PARENT_TAG)
    if copied is not None and copied.model_id != model.id and parent_ref and copied.parent_version_id:
        parent_ref = None  # the copied version's parent is a version of another model
    parent_id = _parent_id(project, actor, model, parent_ref)
    metadata = {k: v for k, v in tag_map.items() if k not in VERSION_TAGS and k != PARENT_TAG}
    run_tags = ci.resolve_ci_tags(project, {k: v for k, v in metadata.items() if k in ci.CI_TAGS})

    @unit_of_work
    def create() -> ModelVersion:
        version = versions.create_version(
            project, actor, model, version=semver, description=description, metadata=metadata,
            run_id=origin.run_id, given_run_id=origin.given_run_id, source=source, semver_tag=semver_tag,
            logged_model_id=origin.logged_model_id, parent_version_id=parent_id)
        if run_tags:
            tracking.set_run_tags(version.run_id, run_tags)
        if origin.logged_model_id:
            from .logged_models import record_model_version

            record_model_version(origin.logged_model_id, model.name, version.number)
        return version

    return create()


@unit_of_work
def set_version_tag(project: str, actor: Actor, version: ModelVersion, key: t.Any, value: t.Any) -> None:
    authorize(project, actor, "write")
    if key in VERSION_TAGS:
        if value != version.version:
            raise Invalid(f"The semantic version of a version is set when it is created ({version.version})",
                          fields={"key": "The semantic version cannot change."})
        if version.semver_tag != key:
            version.semver_tag = key
            session().flush()
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
        events.version_tag_deleted(project, version.model.name, version.number, key)  # set or not, as MLflow
        versions.update_version(project, actor, version, parent_version_id=None)
        return
    if not isinstance(key, str):
        raise Invalid("key must be a string", fields={"key": "Must be a string."})
    versions.delete_version_tag(project, actor, version, key)


def shown_tags(version: ModelVersion, stored: t.Mapping[str, str], parent_label: str | None) -> dict[str, str]:
    """A version's tags as MLflow clients see them: stored tags plus its semantic version (under
    the tag it was given with; a version that got the next major shows none, as MLflow shows only
    the tags it was given) and its parent."""
    tags = dict(stored)
    if version.semver_tag:
        tags[version.semver_tag] = version.version
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


def files_location(project: str, actor: Actor, version: ModelVersion) -> tuple[str | None, str]:
    """``(run id, folder)`` where the version's model files are: a folder of the project's
    artifact root for an ``mlflow-artifacts:`` source naming no run, else the version's run."""
    from .artifact_tree import locate

    source = (version.source or "").strip()
    if source.startswith("mlflow-artifacts:"):
        try:
            parsed = parse_source(source)
        except BadRequest:
            parsed = ModelSource("other")
        if parsed.kind == "other":
            try:
                return locate(project, actor, urlparse(source).path.strip("/"))
            except BadRequest:
                pass
    return version.run_id, download_path(version)


def download_uri(project: str, actor: Actor, version: ModelVersion) -> str:
    """What MLflow answers: the version's source, a ``models:/`` source resolved to what it names
    (a version's download URI, a logged model's artifact URI). A version created without a source
    (on the pages or the JSON API) answers its own run's ``mlflow-artifacts:`` URI."""
    authorize(project, actor, "read")
    seen: set[int] = set()
    while True:
        source = (version.source or "").strip()
        try:
            parsed = parse_source(source)
        except BadRequest:
            return source
        if parsed.kind == "logged_model":
            lm = session().get(LoggedModel, parsed.model_id or "")
            if lm is not None and lm.project == project:
                exp = session().get(Experiment, lm.experiment_id)
                return logged_model_artifact_uri(external_id(exp), lm.id)
            return source
        if parsed.kind == "version" and version.id not in seen:
            seen.add(version.id)
            try:
                origin = _origin(project, actor, parsed, None, None)
            except (NotFound, BadRequest):
                return source
            if origin.source_version is not None:
                version = origin.source_version
                continue
        if source:
            return source
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

"""Where MLflow finds files: artifact URIs of runs and logged models, and model sources.

A run's files are at ``mlflow-artifacts:/<experiment>/<run_id>/artifacts``; a logged model's at
``mlflow-artifacts:/<experiment>/models/<model_id>/artifacts``, which the registry stores among
its run's files, under the logged model's ``artifact_path``. So a version registered from a
logged model, whose run becomes the version's run, shows the model's files on its pages.

The MLflow client turns ``mlflow-artifacts:/P`` into ``<tracking URI>/api/2.0/mlflow-artifacts/artifacts/P``;
as the tracking URI names the project, so does every artifact URI.
"""
from __future__ import annotations

import dataclasses
import re
import typing as t
from urllib.parse import urlparse

from ..errors import BadRequest
from ..paths import validate_artifact_path

SCHEME = "mlflow-artifacts"
LOGGED_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


@dataclasses.dataclass(frozen=True)
class ArtifactLocation:
    """A path under ``mlflow-artifacts:/``: a run's or a logged model's file or folder."""

    experiment: str
    run_id: str | None
    model_id: str | None
    path: str


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """What a model version's ``source`` names.

    ``kind``: ``run`` (``runs:/R/path``), ``artifacts`` (``mlflow-artifacts:/...``),
    ``logged_model`` (``models:/m-...``), ``version`` (``models:/NAME/VERSION`` or
    ``models:/NAME@ALIAS``) or ``other`` (kept as given, no files).
    """

    kind: str
    run_id: str | None = None
    path: str = ""
    location: ArtifactLocation | None = None
    model_id: str | None = None
    model_name: str | None = None
    version_ref: str | None = None
    alias: str | None = None


def run_artifact_uri(experiment_id: str, run_id: str, path: str = "") -> str:
    uri = f"{SCHEME}:/{experiment_id}/{run_id}/artifacts"
    return f"{uri}/{path}" if path else uri


def logged_model_artifact_uri(experiment_id: str, model_id: str) -> str:
    return f"{SCHEME}:/{experiment_id}/models/{model_id}/artifacts"


def experiment_artifact_location(experiment_id: str) -> str:
    return f"{SCHEME}:/{experiment_id}"


def parse_artifact_path(raw: str) -> ArtifactLocation | None:
    """``<exp>/<run>/artifacts[/sub]`` or ``<exp>/models/<id>/artifacts[/sub]``; None for any
    other path (the root, an experiment's folder). Hostile sub-paths raise :class:`BadRequest`."""
    text = validate_artifact_path(raw, allow_empty=True)  # every segment, ids included
    if not text:
        return None
    parts = text.split("/")
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        return ArtifactLocation(parts[0], None, parts[2], "/".join(parts[4:]))
    if len(parts) >= 3 and parts[2] == "artifacts":
        return ArtifactLocation(parts[0], parts[1], None, "/".join(parts[3:]))
    return None


def parse_source(source: str) -> ModelSource:
    """Classify a version's source URI; paths inside it are validated like any artifact path."""
    text = source.strip()
    if text.startswith("runs:/"):
        rest = text[len("runs:/"):].strip("/")
        run_id, _, path = rest.partition("/")
        if not run_id:
            raise BadRequest(f"Not a proper runs:/ URI: {source}")
        return ModelSource("run", run_id=run_id, path=_lenient(path))
    if text.startswith(SCHEME + ":"):
        parsed = urlparse(text)
        try:
            location = parse_artifact_path(parsed.path.strip("/"))
        except BadRequest:
            location = None
        if location is None:  # any other path under the artifact root: kept as given
            return ModelSource("other")
        return ModelSource("artifacts", run_id=location.run_id, path=location.path, location=location,
                           model_id=location.model_id)
    if text.startswith("models:/"):
        rest = text[len("models:/"):].strip("/")
        first, _, tail = rest.partition("/")
        if not first:
            raise BadRequest(f"Not a proper models:/ URI: {source}")
        if "@" in first:
            name, _, alias = first.partition("@")
            return ModelSource("version", model_name=name, alias=alias,
                               path=validate_artifact_path(tail, allow_empty=True))
        if not tail:
            return ModelSource("logged_model", model_id=first)
        ref, _, path = tail.partition("/")
        return ModelSource("version", model_name=first, version_ref=ref,
                           path=validate_artifact_path(path, allow_empty=True))
    return ModelSource("other")


def _lenient(path: str) -> str:
    """A path inside a source, normalised; one that is no valid artifact path names no folder."""
    try:
        return validate_artifact_path(path.strip("/"), allow_empty=True)
    except BadRequest:
        return ""


def join(*parts: str) -> str:
    """Join artifact path parts, skipping empty ones."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def is_logged_model_id(value: t.Any) -> bool:
    return isinstance(value, str) and bool(LOGGED_MODEL_ID.match(value))

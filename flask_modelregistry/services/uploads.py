"""Several files sent at once, from a form: all or nothing for a new version, file by file for an
existing one.

The pages' scripts send each file in a request of its own, straight to the JSON API; these
functions serve browsers without JavaScript, whose form arrives as one multipart request (spooled
to disk by Werkzeug, then streamed to the store file by file).
"""
from __future__ import annotations

import dataclasses
import logging
import typing as t

from ..errors import BadRequest, Invalid, RegistryError
from ..models import ModelVersion, RegisteredModel
from ..paths import join_artifact_path, validate_artifact_path
from . import artifacts, versions
from .artifacts import ArtifactView
from .access import authorize
from .identity import Actor

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class IncomingFile:
    """A file as the client sent it: its bare name (no folder) and its content."""

    name: str
    stream: t.BinaryIO
    content_type: str | None = None


@dataclasses.dataclass(frozen=True)
class UploadOutcome:
    name: str
    path: str | None
    artifact: ArtifactView | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.artifact is not None


def check_subfolder(folder: t.Any) -> str:
    """The normalised subfolder ('' for none), or :class:`Invalid` on the ``subfolder`` field."""
    try:
        clean = validate_artifact_path(folder or "", allow_empty=True, what="subfolder")
    except BadRequest as exc:
        raise Invalid(exc.message, fields={"subfolder": exc.message[:1].upper() + exc.message[1:] + "."}) from None
    if any(ch.isspace() for ch in clean):  # the pages' rule, checked by their script while typing too
        raise Invalid("subfolder must not contain spaces", fields={"subfolder": "Folder names can't contain spaces."})
    return clean


def planned_paths(folder: t.Any, files: t.Sequence[IncomingFile]) -> list[str]:
    """Where each file will be stored, checked before anything is written."""
    clean_folder = check_subfolder(folder)
    paths: list[str] = []
    for f in files:
        try:
            path = join_artifact_path(clean_folder, f.name)
        except BadRequest as exc:
            raise Invalid(f"{f.name!r}: {exc.message}", fields={"files": f"{f.name}: {exc.message}."}) from None
        if path in paths:
            raise Invalid(f"two files would be stored as {path}", fields={"files": f"Two files are named {path}."})
        paths.append(path)
    return paths


def create_version_with_files(project: str, actor: Actor, model: RegisteredModel, *,
                              files: t.Sequence[IncomingFile], folder: t.Any = "",
                              **version_fields: t.Any) -> ModelVersion:
    """Create a version and store its files; if any file fails, the version is deleted again and
    the error is raised, naming the file."""
    authorize(project, actor, "write")
    paths = planned_paths(folder, files)
    version = versions.create_version(project, actor, model, **version_fields)
    try:
        for path, incoming in zip(paths, files):
            try:
                artifacts.upload_artifact(project, actor, version.run_id, path, incoming.stream,
                                          content_type=incoming.content_type)
            except RegistryError as exc:
                raise type(exc)(f"{path}: {exc.message}", fields={"files": f"{path}: {exc.message}"}) from exc
    except BaseException:
        try:
            versions.delete_version(project, actor, version)
        except Exception:  # pragma: no cover - the store or database failed twice in a row
            log.exception("could not remove the half-made version %s of model %s", version.id, model.id)
        raise
    return version


def upload_files(project: str, actor: Actor, run_id: str, folder: t.Any,
                 files: t.Sequence[IncomingFile]) -> list[UploadOutcome]:
    """Store each file under ``folder``; a file that fails does not stop the others."""
    authorize(project, actor, "write")
    clean_folder = check_subfolder(folder)
    outcomes = []
    for incoming in files:
        try:
            path = join_artifact_path(clean_folder, incoming.name)
        except BadRequest as exc:
            outcomes.append(UploadOutcome(incoming.name, None, error=exc.message))
            continue
        try:
            artifact = artifacts.upload_artifact(project, actor, run_id, path, incoming.stream,
                                                 content_type=incoming.content_type)
        except RegistryError as exc:
            outcomes.append(UploadOutcome(incoming.name, path, error=exc.message))
            continue
        outcomes.append(UploadOutcome(incoming.name, path, artifact=artifact))
    return outcomes

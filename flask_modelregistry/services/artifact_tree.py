"""A run's files seen as folders, as MLflow's artifact API shows them: found from an
``mlflow-artifacts`` path (a run's, a logged model's, or any other path under the project's
artifact root), listed one level at a time, and deleted a folder at a time."""
from __future__ import annotations

import dataclasses
import typing as t
import uuid

import sqlalchemy as sa

from ..errors import BadRequest
from ..models import Artifact, ArtifactRoot, Experiment, LoggedModel, Run
from ..paths import validate_artifact_path
from . import artifacts, experiments, tracking
from .access import authorize
from .artifact_locations import join, parse_artifact_path
from .common import session, unit_of_work
from .identity import Actor


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int | None


INVALID_PATH = "Invalid path"


def checked_path(raw: t.Any) -> str:
    """An artifact path after decoding, normalised; MLflow's ``Invalid path`` for anything hostile."""
    try:
        return validate_artifact_path(raw, allow_empty=True)
    except BadRequest as exc:
        raise BadRequest(INVALID_PATH, fields={"path": exc.message}, mlflow_message=INVALID_PATH) from None


def locate(project: str, actor: Actor, raw: str, *, create: bool = False) -> tuple[str | None, str]:
    """``(run id, path in the run)`` of an ``mlflow-artifacts`` path of ``project``: a run's
    ``<exp>/<run>/artifacts/...``, a logged model's ``<exp>/models/<id>/artifacts/...`` (kept
    among its run's files), or any other path under the project's artifact root, as MLflow's
    proxy keeps any path under its root. Another project's run or model is no run here: its path
    is a path of this project's root. The run id is None where the root does not exist yet (it is
    made when ``create``)."""
    authorize(project, actor, "write" if create else "read")
    text = checked_path(raw)
    location = parse_artifact_path(text) if text else None
    if location is not None and location.model_id is not None:
        model = session().get(LoggedModel, location.model_id)
        if model is not None and model.project == project and _external(model.experiment_id) == location.experiment:
            return model.run_id, join(model.artifact_path, location.path)
    elif location is not None:
        run = session().get(Run, location.run_id[:64])
        if run is not None and run.project == project and _external(run.experiment_id) == location.experiment:
            return run.id, location.path
    return root_run(project, actor, create=create), text


def _external(experiment_id: int) -> str | None:
    experiment = session().get(Experiment, experiment_id)
    return experiments.external_id(experiment) if experiment is not None else None


def root_run(project: str, actor: Actor, *, create: bool = False) -> str | None:
    """The run that keeps the files of the project's artifact root; made on the first upload."""
    found = session().get(ArtifactRoot, project)
    if found is not None or not create:
        return found.run_id if found is not None else None
    return _make_root(project, actor)


@unit_of_work
def _make_root(project: str, actor: Actor) -> str:
    """Two first uploads at once: one inserts the root, the other runs again and finds it."""
    authorize(project, actor, "write")
    found = session().get(ArtifactRoot, project)
    if found is not None:
        return found.run_id
    experiment = tracking.get_or_create_experiment(project, "Default")
    run = Run(id=uuid.uuid4().hex, project=project, experiment_id=experiment.id, name="artifact-root",
              status="FINISHED", start_time=tracking.now_ms(), user_id=actor.login_name, made_for_version=True)
    s = session()
    s.add(run)
    s.flush()
    s.add(ArtifactRoot(project=project, run_id=run.id))
    s.flush()
    return run.id


def list_folder(project: str, actor: Actor, run_id: str, folder: str) -> list[Entry]:
    """The files and folders directly in ``folder`` (``""``: the run's root). A folder that does
    not exist, or a path that is a file, lists as empty, as on MLflow's server."""
    authorize(project, actor, "read")
    folder = validate_artifact_path(folder, allow_empty=True)
    entries: dict[str, Entry] = {}
    for item in artifacts.list_artifacts(project, actor, run_id, prefix=folder):
        rest = item.path[len(folder) + 1:] if folder else item.path
        name, sep, _ = rest.partition("/")
        if sep:
            entries.setdefault(name, Entry(name, True, None))
        else:
            entries[name] = Entry(name, False, item.size)
    return [entries[name] for name in sorted(entries)]


def delete_tree(project: str, actor: Actor, run_id: str, path: str) -> list[str]:
    """Delete a file, or a folder with everything in it; nothing there is not an error."""
    authorize(project, actor, "write")
    path = validate_artifact_path(path, allow_empty=True)
    stmt = sa.select(Artifact.path).where(Artifact.run_id == run_id)
    if path:
        stmt = stmt.where(sa.or_(Artifact.path == path, Artifact.path.startswith(path + "/", autoescape=True)))
    paths = list(session().scalars(stmt))
    if not paths:
        return []
    return artifacts.delete_artifacts(project, actor, run_id, paths)

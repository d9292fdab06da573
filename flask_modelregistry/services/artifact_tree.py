"""A run's files seen as folders, as MLflow's artifact API shows them: found from an
``mlflow-artifacts`` path, listed one level at a time, and deleted a folder at a time."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from ..errors import BadRequest, NotFound
from ..models import Artifact, Experiment
from ..paths import validate_artifact_path
from . import artifacts, experiments, logged_models, tracking
from .access import authorize
from .artifact_locations import join, parse_artifact_path
from .common import session
from .identity import Actor


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int | None


def locate(project: str, actor: Actor, raw: str, *, required: bool = True) -> tuple[str, str] | None:
    """``(run id, path in the run)`` of an ``mlflow-artifacts`` path of ``project``: a run's
    ``<exp>/<run>/artifacts/...`` or a logged model's ``<exp>/models/<id>/artifacts/...`` (kept
    among its run's files). Another project's run or model is not found."""
    authorize(project, actor, "read")  # even a path naming nothing needs read access
    location = parse_artifact_path(raw)
    if location is None:
        if required:
            raise BadRequest(f"Invalid path: '{raw}' is not inside a run's or logged model's artifacts")
        return None
    if location.model_id is not None:
        model = logged_models.get_logged_model(project, actor, location.model_id)
        experiment = session().get(Experiment, model.experiment_id)
        if experiment is None or experiments.external_id(experiment) != location.experiment:
            raise NotFound(f"No such artifact: '{raw}'")
        return model.run_id, join(model.artifact_path, location.path)
    run = tracking.get_run(project, actor, location.run_id)
    if experiments.external_id(run.experiment) != location.experiment:
        raise NotFound(f"No such artifact: '{raw}'")
    return run.id, location.path


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

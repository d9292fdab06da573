"""The semver guard: does a version's number tell the truth about its interface?

A version logged with an MLflow model carries its input and output signature in ``MLmodel``.
Compared with the previous release's signature, a breaking change (a new required input, an
input or output whose type changed, an output removed, an input that became required) calls
for a major bump (a minor bump below 1.0.0, where the spec lets anything change), and a new
feature (a new optional input, a new output) for at least a minor one. The guard reads both
``MLmodel`` files and says whether the bump matches; it never blocks anything.
"""
from __future__ import annotations

import dataclasses
import json
import typing as t

import sqlalchemy as sa
import yaml

from ..state import current_state
from ..models import Artifact, ModelVersion
from ..versioning import RELEASE_KEY
from .access import authorize
from .common import session
from .identity import Actor

MAX_MLMODEL_BYTES = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool


@dataclasses.dataclass(frozen=True)
class Signature:
    path: str
    inputs: dict[str, Column]
    outputs: dict[str, Column]


@dataclasses.dataclass(frozen=True)
class SemverCheck:
    #: "ok", "warning", or "unknown" (no previous release, or a signature is missing)
    status: str
    message: str
    previous_version: str | None = None
    bump: str | None = None  # "major", "minor", "patch" or "none"
    breaking: tuple[str, ...] = ()
    additions: tuple[str, ...] = ()


def _columns(raw: t.Any) -> dict[str, Column]:
    if raw in (None, ""):
        return {}
    specs = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(specs, list):
        raise ValueError("a signature is a list of columns")
    out = {}
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ValueError("a column is an object")
        kind = str(spec.get("type") or spec.get("dtype") or "unknown")
        if spec.get("type") == "tensor":
            kind = f"tensor[{spec.get('tensor-spec', {}).get('dtype', '?')}]"
        name = str(spec.get("name") or f"#{i}")  # unnamed (tensor) columns are compared by position
        out[name] = Column(name=name, type=kind, required=bool(spec.get("required", True)))
    return out


def _mlmodel_artifact(run_id: str) -> Artifact | None:
    """The version's ``MLmodel``: at the root, or the shallowest one in a folder."""
    rows = session().scalars(sa.select(Artifact).where(
        Artifact.run_id == run_id,
        sa.or_(Artifact.path == "MLmodel", Artifact.path.endswith("/MLmodel", autoescape=True))))
    candidates = sorted(rows, key=lambda a: (a.path.count("/"), a.path))
    return candidates[0] if candidates else None


def read_signature(run_id: str) -> Signature | None:
    """The signature in the run's ``MLmodel``; None when there is none or it cannot be read."""
    artifact = _mlmodel_artifact(run_id)
    if artifact is None or artifact.size > MAX_MLMODEL_BYTES:
        return None
    try:
        data = b"".join(current_state().store.read(artifact.storage_key, 0, artifact.size))
        document = yaml.safe_load(data.decode("utf-8"))
        signature = document.get("signature") if isinstance(document, dict) else None
        if not isinstance(signature, dict):
            return None
        return Signature(path=artifact.path, inputs=_columns(signature.get("inputs")),
                         outputs=_columns(signature.get("outputs")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError, AttributeError,
            RecursionError):  # nesting deeper than the parsers recurse (a hostile upload)
        return None


def compare_signatures(old: Signature, new: Signature) -> tuple[list[str], list[str]]:
    """(breaking changes, additions) from ``old`` to ``new``, in words."""
    breaking, additions = [], []
    for name, col in new.inputs.items():
        before = old.inputs.get(name)
        if before is None:
            (breaking if col.required else additions).append(
                f"new {'required' if col.required else 'optional'} input {name!r}")
        elif before.type != col.type:
            breaking.append(f"input {name!r} changed type from {before.type} to {col.type}")
        elif col.required and not before.required:
            breaking.append(f"input {name!r} became required")
    for name, col in old.outputs.items():
        after = new.outputs.get(name)
        if after is None:
            breaking.append(f"output {name!r} was removed")
        elif after.type != col.type:
            breaking.append(f"output {name!r} changed type from {col.type} to {after.type}")
    for name in new.outputs.keys() - old.outputs.keys():
        additions.append(f"new output {name!r}")
    return breaking, additions


def _bump(old: ModelVersion, new: ModelVersion) -> str:
    if new.semver_major != old.semver_major:
        return "major"
    if new.semver_minor != old.semver_minor:
        return "minor"
    if new.semver_patch != old.semver_patch:
        return "patch"
    return "none"


def previous_release(version: ModelVersion) -> ModelVersion | None:
    """The highest release of the same model below ``version``."""
    key = sa.tuple_(ModelVersion.semver_major, ModelVersion.semver_minor, ModelVersion.semver_patch,
                    ModelVersion.semver_key)
    mine = sa.tuple_(*(sa.literal(v) for v in (version.semver_major, version.semver_minor,
                                                version.semver_patch, version.semver_key)))
    return session().scalar(
        sa.select(ModelVersion).where(ModelVersion.model_id == version.model_id,
                                      ModelVersion.semver_key == RELEASE_KEY, ModelVersion.id != version.id,
                                      key < mine)
        .order_by(ModelVersion.semver_major.desc(), ModelVersion.semver_minor.desc(),
                  ModelVersion.semver_patch.desc()).limit(1))


def check_version(project: str, actor: Actor, version: ModelVersion) -> SemverCheck:
    """Compare ``version``'s signature with the previous release's and judge the bump."""
    authorize(project, actor, "read")
    previous = previous_release(version)
    if previous is None:
        return SemverCheck("unknown", "No earlier release to compare with.")
    new, old = read_signature(version.run_id), read_signature(previous.run_id)
    if new is None or old is None:
        missing = version.version if new is None else previous.version
        return SemverCheck("unknown", f"Version {missing} has no model signature (an MLmodel file with one) "
                                      "to compare.", previous.version)
    breaking, additions = compare_signatures(old, new)
    bump = _bump(previous, version)
    needed_for_breaking = "minor" if previous.semver_major == 0 and version.semver_major == 0 else "major"
    order = ["none", "patch", "minor", "major"]
    if breaking and order.index(bump) < order.index(needed_for_breaking):
        return SemverCheck("warning", f"Breaking changes since {previous.version} call for a {needed_for_breaking} "
                                      f"version, but this is a {bump} bump.",
                           previous.version, bump, tuple(breaking), tuple(additions))
    if additions and not breaking and order.index(bump) < order.index("minor"):
        return SemverCheck("warning", f"New features since {previous.version} call for a minor version, "
                                      f"but this is a {bump} bump.",
                           previous.version, bump, tuple(breaking), tuple(additions))
    if not breaking and not additions:
        message = f"The signature is the same as {previous.version}'s."
    else:
        message = f"The {bump} bump matches the changes since {previous.version}."
    return SemverCheck("ok", message, previous.version, bump, tuple(breaking), tuple(additions))

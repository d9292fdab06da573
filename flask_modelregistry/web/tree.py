"""A version's files as a tree by subfolder, flattened into rows for a table."""
from __future__ import annotations

import dataclasses
import typing as t
from ..services.artifacts import ArtifactView


@dataclasses.dataclass(frozen=True)
class TreeRow:
    depth: int
    name: str
    #: the file's path, or the folder's path without a trailing slash
    path: str
    artifact: ArtifactView | None
    #: for folders: how many files are under it, and their total size
    file_count: int = 0
    size: int = 0

    @property
    def is_folder(self) -> bool:
        return self.artifact is None


@dataclasses.dataclass
class _Folder:
    folders: dict[str, _Folder] = dataclasses.field(default_factory=dict)
    files: dict[str, ArtifactView] = dataclasses.field(default_factory=dict)

    def totals(self) -> tuple[int, int]:
        count = len(self.files)
        size = sum(a.size for a in self.files.values())
        for sub in self.folders.values():
            c, s = sub.totals()
            count, size = count + c, size + s
        return count, size


def artifact_tree(artifacts: t.Iterable[ArtifactView]) -> list[TreeRow]:
    """Folders first, then files, each alphabetically, depth-first: the order a file browser shows."""
    root = _Folder()
    for artifact in artifacts:
        *folders, name = artifact.path.split("/")
        node = root
        for folder in folders:
            node = node.folders.setdefault(folder, _Folder())
        node.files[name] = artifact
    rows: list[TreeRow] = []
    _walk(root, "", 0, rows)
    return rows


def _walk(node: _Folder, prefix: str, depth: int, rows: list[TreeRow]) -> None:
    for name in sorted(node.folders):
        sub = node.folders[name]
        path = f"{prefix}{name}"
        count, size = sub.totals()
        rows.append(TreeRow(depth=depth, name=name, path=path, artifact=None, file_count=count, size=size))
        _walk(sub, path + "/", depth + 1, rows)
    for name in sorted(node.files):
        artifact = node.files[name]
        rows.append(TreeRow(depth=depth, name=name, path=artifact.path, artifact=artifact, size=artifact.size))

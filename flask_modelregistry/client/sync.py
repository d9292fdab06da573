"""Upload and download a version's files, resumably.

A run compares each file with what is already there by sha256 and sends or fetches only what is
missing, so a run that was cut off is simply started again. Files are streamed in 1 MiB pieces
(never held in memory whole) with a tqdm progress bar each. Downloads are written to a hidden
``.<name>.part`` file and renamed once their sha256 is checked, so a cut-off download leaves no
half file under the real name; the next run continues the ``.part`` file with a Range request.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import typing as t
from pathlib import Path

import requests
from tqdm import tqdm

from ..errors import BadRequest
from ..paths import validate_artifact_path
from .api_client import EXIT_AUTH, EXIT_NETWORK, EXIT_NOT_FOUND, EXIT_USAGE, ClientError, RegistryClient, RemoteFile, VersionRef

CHUNK = 1024 * 1024
#: files of at least two parts go up in parts of this size, this many at a time
PART_SIZE = 64 * 1024 * 1024
PART_WORKERS = 4
#: failures that stop a whole run: the next file would fail the same way
_FATAL = (EXIT_AUTH, EXIT_NOT_FOUND, EXIT_NETWORK)


@dataclasses.dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    started: float = dataclasses.field(default_factory=time.monotonic)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def line(self, verb: str) -> str:
        rate = self.bytes / self.seconds if self.seconds > 0 else 0.0
        return (f"{verb} {self.done} file{'s' if self.done != 1 else ''} ({human_size(self.bytes)}), "
                f"skipped {self.skipped} already there, failed {self.failed}, "
                f"in {self.seconds:.1f} s ({human_size(rate)}/s)")


@dataclasses.dataclass(frozen=True)
class LocalFile:
    source: Path
    path: str  # the path in the package
    size: int


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_path(*parts: str) -> str:
    """Join parts into a package path, checked with the server's own rules."""
    joined = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    try:
        return validate_artifact_path(joined)
    except BadRequest as exc:
        raise ClientError(f"{joined!r} cannot be a file path in the registry: {exc.message}", EXIT_USAGE) from None


def local_files(sources: t.Sequence[str], subfolder: str = "") -> list[LocalFile]:
    """The files to upload: a file keeps its name, a folder its own name and subfolders
    (``.`` uploads the current folder's contents). Symbolic links to folders are not followed."""
    files: dict[str, LocalFile] = {}
    for source in sources:
        root = Path(source)
        if root.is_file():
            found = [(root, package_path(subfolder, root.name))]
        elif root.is_dir():
            top = "" if source.rstrip("/\\") in (".", "") else root.resolve().name
            found = []
            for folder, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for name in sorted(filenames):
                    full = Path(folder) / name
                    if full.is_file():
                        rel = full.relative_to(root).as_posix()
                        found.append((full, package_path(subfolder, top, rel)))
        else:
            raise ClientError(f"{source}: no such file or folder", EXIT_USAGE)
        for full, path in found:
            if path in files and files[path].source.resolve() != full.resolve():
                raise ClientError(f"two files would be uploaded as {path}: {files[path].source} and {full}", EXIT_USAGE)
            files[path] = LocalFile(full, path, full.stat().st_size)
    return sorted(files.values(), key=lambda f: f.path)


class ProgressReader:
    """A file read in pieces for an HTTP body, moving a progress bar; ``len()`` gives requests
    the Content-Length, so the body is streamed, not chunked, and never read whole."""

    def __init__(self, f: t.BinaryIO, size: int, bar: tqdm) -> None:
        self.f, self.size, self.bar = f, size, bar

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        chunk = self.f.read(CHUNK if n is None or n < 0 else n)
        self.bar.update(len(chunk))
        return chunk


def _bar(path: str, size: int, show: bool, initial: int = 0) -> tqdm:
    return tqdm(total=size, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=path,
                leave=False, disable=None if show else True, dynamic_ncols=True)


def _say(text: str, quiet: bool) -> None:
    if not quiet:
        tqdm.write(text)


def upload(client: RegistryClient, project: str, ref: VersionRef, files: t.Sequence[LocalFile], *,
           overwrite: bool = False, progress: bool = True, quiet: bool = False,
           part_size: int | None = None) -> Summary:
    """Send the files the package does not have yet; skip those with the same sha256. Files of
    two parts or more (``part_size``, default ``MODEL_REGISTRY_PART_SIZE`` or 64 MiB) go up as
    parts in parallel."""
    part_size = part_size or int(os.environ.get("MODEL_REGISTRY_PART_SIZE") or PART_SIZE)
    summary = Summary()
    remote = client.list_files(project, ref.version_id)
    for lf in files:
        there = remote.get(lf.path)
        replace = False
        if there is not None:
            if there.size == lf.size and there.sha256 == file_sha256(lf.source):
                _skipped(summary, lf.path, quiet)
                continue
            if not overwrite:
                _fail(summary, f"{lf.path}: already in the registry with other content; "
                               "pass --overwrite to replace it")
                continue
            replace = True
        try:
            if lf.size >= part_size * 2:
                with _bar(lf.path, lf.size, progress) as bar:
                    stored = client.put_file_in_parts(project, ref.version_id, lf.path, lf.source, lf.size,
                                                      part_size=part_size, workers=PART_WORKERS, overwrite=replace,
                                                      on_progress=bar.update)
            else:
                with lf.source.open("rb") as f, _bar(lf.path, lf.size, progress) as bar:
                    stored = client.put_file(project, ref.version_id, lf.path, ProgressReader(f, lf.size, bar),
                                             overwrite=replace)
        except ClientError as exc:
            if exc.exit_code in _FATAL:
                raise
            if exc.status == 409:
                # uploaded meanwhile (by a parallel run): the same content counts as done
                there = client.list_files(project, ref.version_id).get(lf.path)
                if there is not None and there.sha256 == file_sha256(lf.source):
                    _skipped(summary, lf.path, quiet)
                    continue
            _fail(summary, exc.message)
            continue
        except OSError as exc:
            _fail(summary, f"{lf.path}: cannot read the file ({exc.strerror or exc})")
            continue
        summary.done += 1
        summary.bytes += stored.size
        _say(f"uploaded  {lf.path} ({human_size(stored.size)})", quiet)
    return summary


def _skipped(summary: Summary, path: str, quiet: bool) -> None:
    summary.skipped += 1
    _say(f"skipped   {path} (already there, same sha256)", quiet)


def _fail(summary: Summary, message: str) -> None:
    summary.failed += 1
    summary.errors.append(message)
    tqdm.write(f"FAILED    {message}")


def _target(dest: Path, path: str) -> Path:
    """Where a remote file goes, refusing any path that would leave ``dest``."""
    clean = package_path(path)
    target = (dest / clean).resolve()
    if dest.resolve() not in target.parents:
        raise ClientError(f"refusing to write {path!r} outside {dest}", EXIT_USAGE)
    return target


def download(client: RegistryClient, project: str, ref: VersionRef, dest: Path, *, subfolder: str = "",
             overwrite: bool = False, progress: bool = True, quiet: bool = False) -> Summary:
    """Fetch the files that are not already in ``dest`` with the same sha256."""
    summary = Summary()
    remote = client.list_files(project, ref.version_id)
    prefix = package_path(subfolder) + "/" if subfolder else ""
    wanted = [rf for path, rf in sorted(remote.items()) if path.startswith(prefix)]
    if prefix and not wanted:
        raise ClientError(f"no files under {subfolder!r} in {ref.package_name}", EXIT_NOT_FOUND, 404)
    for rf in wanted:
        target = _target(dest, rf.path)
        if target.is_file():
            if target.stat().st_size == rf.size and file_sha256(target) == rf.sha256:
                _skipped(summary, rf.path, quiet)
                continue
            if not overwrite:
                _fail(summary, f"{target}: exists with other content; pass --overwrite to replace it")
                continue
        try:
            fetched = _fetch(client, project, ref, rf, target, progress)
        except ClientError as exc:
            if exc.exit_code in _FATAL:
                raise
            _fail(summary, exc.message)
            continue
        except OSError as exc:
            _fail(summary, f"{target}: cannot write ({exc.strerror or exc})")
            continue
        summary.done += 1
        summary.bytes += fetched
        _say(f"fetched   {rf.path} ({human_size(rf.size)})", quiet)
    return summary


def _fetch(client: RegistryClient, project: str, ref: VersionRef, rf: RemoteFile, target: Path,
           progress: bool) -> int:
    """Download one file into ``.<name>.part`` (continuing it if a cut-off run left one),
    check its sha256, then rename it into place. Returns the bytes received."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    have = part.stat().st_size if part.is_file() else 0
    if have >= rf.size:
        have = 0  # nothing left to ask for: fetch it anew
    response = client.open_file(project, ref.version_id, rf.path, start=have, etag=rf.sha256)
    digest = hashlib.sha256()
    received = 0
    try:
        if response.status_code == 206:  # the server continues where the cut-off run stopped
            with part.open("rb") as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    digest.update(chunk)
        else:
            have = 0
        with part.open("ab" if have else "wb") as out, _bar(rf.path, rf.size, progress, initial=have) as bar:
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    except requests.exceptions.RequestException as exc:
        raise ClientError(f"{rf.path}: the download was cut off after {human_size(have + received)} "
                          f"({type(exc).__name__}); run the command again to continue it") from None
    finally:
        response.close()
    if digest.hexdigest() != rf.sha256:
        part.unlink(missing_ok=True)
        raise ClientError(f"{rf.path}: the downloaded content does not match its sha256; run again to fetch it anew")
    os.replace(part, target)
    return received

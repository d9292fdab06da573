"""Artifacts in a folder on local disk (the embedded default)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import typing as t
import uuid
from pathlib import Path

from ..errors import TooLarge
from .base import READ_CHUNK, ArtifactStore, ListedObject, StoredObject, partial_tag
from .pipeline import (DIRECT_CHUNK, hash_and_write, hash_file, make_direct, open_direct, open_for_write, read_direct,
                       write_at)


#: tries to put a file into its folder while deletes keep pruning that folder
_PLACE_ATTEMPTS = 50


def _place(move: t.Callable[[], None], final: Path, source: Path) -> None:
    """Make ``final``'s folder and ``move`` the file there. A delete of the folder's last other
    file prunes the folder (see :meth:`LocalArtifactStore.delete`); when it does so between the
    two steps, the folder is made again and the move tried again. Raises FileNotFoundError only
    when ``source`` itself is gone."""
    for attempt in range(_PLACE_ATTEMPTS):
        try:
            os.makedirs(final.parent, exist_ok=True)
        except (FileExistsError, FileNotFoundError):  # a parent made or pruned meanwhile
            continue
        try:
            move()
            return
        except FileNotFoundError:
            if not source.exists() or attempt == _PLACE_ATTEMPTS - 1:
                raise
    raise FileNotFoundError(final)


class LocalArtifactStore(ArtifactStore):
    kind = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self._tmp = self.root / ".incoming"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the store: {key!r}")
        return path

    def write(self, key: str, stream: t.BinaryIO, *, max_size: int | None = None,
              content_type: str = "application/octet-stream") -> StoredObject:
        """Receive, hash and write at once (see :mod:`.pipeline`), sync once at the end, then
        move the file under its key: the object exists only complete."""
        final = self._path(key)
        self._tmp.mkdir(parents=True, exist_ok=True)
        tmp = self._part(key)
        try:
            fd = open_for_write(tmp)
            try:
                size, sha256 = hash_and_write(stream, fd, max_size=max_size)
                os.fsync(fd)
            finally:
                os.close(fd)
            _place(lambda: os.replace(tmp, final), final, tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredObject(size=size, sha256=sha256)

    # -- multipart: non-last parts written in place at their offsets of one partial file -----

    def _upload_files(self, upload: str) -> tuple[Path, Path]:
        if not upload.isalnum():
            raise ValueError(f"not an upload id: {upload!r}")
        return self._tmp / f"mpu-{upload}.part", self._tmp / f"mpu-{upload}-last.part"

    def write_part(self, upload: str, number: int, count: int, stream: t.BinaryIO, length: int, *,
                   max_size: int | None = None) -> int:
        """A part but the last goes at ``(number - 1) * length`` of the upload's partial file
        (all those parts have one length); the last, whose offset needs that length, goes to a
        file of its own until :meth:`assemble`."""
        whole, last = self._upload_files(upload)
        self._tmp.mkdir(parents=True, exist_ok=True)
        is_last = number == count
        offset = 0 if is_last else (number - 1) * length
        if max_size is not None and (number - 1) * length + length > max_size and not is_last:
            raise TooLarge(f"file is larger than the limit of {max_size} bytes")
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if is_last else 0)
        fd = open_direct(last if is_last else whole, flags)  # whole blocks at block offsets skip the page cache
        try:
            return write_at(stream, fd, offset, length)
        finally:
            os.close(fd)

    def assemble(self, upload: str, key: str, sizes: t.Sequence[int], *,
                 content_type: str = "application/octet-stream") -> StoredObject:
        whole, last = self._upload_files(upload)
        part = sizes[0]
        final = self._path(key)
        try:
            if len(sizes) == 1:
                os.replace(last, whole)
            else:
                with open(last, "rb") as src:
                    fd = open_direct(whole, os.O_WRONLY | os.O_CLOEXEC)
                    try:
                        write_at(src, fd, (len(sizes) - 1) * part, sizes[-1])
                    finally:
                        os.close(fd)
                last.unlink()
            fd = os.open(whole, os.O_RDWR | os.O_CLOEXEC)
            try:
                os.ftruncate(fd, sum(sizes))  # nothing beyond the parts, whatever was sent
                os.fsync(fd)
            finally:
                os.close(fd)
            fd = open_direct(whole, os.O_RDONLY | os.O_CLOEXEC)  # most of it is on the disk only
            try:
                size, sha256 = hash_file(fd)
            finally:
                os.close(fd)
            _place(lambda: os.replace(whole, final), final, whole)
        except BaseException:
            self.abort_parts(upload, len(sizes))
            raise
        return StoredObject(size=size, sha256=sha256)

    def abort_parts(self, upload: str, count: int) -> None:
        for path in self._upload_files(upload):
            path.unlink(missing_ok=True)

    def _part(self, key: str) -> Path:
        """Where a write to ``key`` goes until it is complete: ``.incoming/<tag of key>-<random>.part``."""
        return self._tmp / f"{partial_tag(key)}-{uuid.uuid4().hex}.part"

    def read(self, key: str, start: int = 0, length: int | None = None) -> t.Iterator[bytes]:
        """The object's bytes from ``start`` (``length`` of them, or to the end): at least a
        buffer's worth read from the disk past the page cache where the file system allows (see
        :func:`.pipeline.read_direct`), less through the page cache, so small files and ranges
        that are asked for often (an ``MLmodel``, a resumed download's next megabyte) stay cached."""
        path = self._path(key)
        # opened now, so a missing object fails before the response starts; as a file object,
        # so a response closed before its first piece still closes it
        fh = open(path, "rb", buffering=0)
        try:
            wanted = os.fstat(fh.fileno()).st_size - start if length is None else length
            if wanted >= DIRECT_CHUNK:
                make_direct(fh.fileno())
        except BaseException:
            fh.close()
            raise
        return read_direct(fh, start, length, piece=READ_CHUNK)

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # prune empty folders up to the root, so deleted versions leave nothing behind
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def copy(self, src: str, dst: str) -> None:
        source, target = self._path(src), self._path(dst)
        if not source.is_file():
            raise FileNotFoundError(src)  # before making the target's folder, which would stay empty
        try:
            _place(lambda: os.link(source, target), target, source)  # same bytes: never modified in place
        except FileNotFoundError:
            raise
        except OSError:
            tmp = self._part(dst)
            self._tmp.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp)
            _place(lambda: os.replace(tmp, target), target, tmp)

    def list_objects(self, prefix: str = "") -> t.Iterator[ListedObject]:
        for folder, dirs, files in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d != self._tmp.name]
            for name in files:
                path = Path(folder, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    listed = self._listed(path, key)
                    if listed is not None:
                        yield listed

    def list_partial(self) -> t.Iterator[ListedObject]:
        """The ``.incoming/*.part`` files of writes in progress, or of writes whose process died."""
        if not self._tmp.is_dir():
            return
        for path in self._tmp.glob("*.part"):
            listed = self._listed(path, f"{self._tmp.name}/{path.name}")
            if listed is not None:
                tag, dash, _rest = path.stem.partition("-")
                known = dash and len(tag) == len(partial_tag("")) and tag.isalnum()
                yield dataclasses.replace(listed, owner=tag if known else None)

    def delete_partial(self, name: str) -> None:
        path = (self.root / name).resolve()
        if path.parent != self._tmp or path.suffix != ".part":
            raise ValueError(f"not a partial write: {name!r}")
        path.unlink(missing_ok=True)

    @staticmethod
    def _listed(path: Path, key: str) -> ListedObject | None:
        try:
            st = path.stat()
        except FileNotFoundError:  # deleted since it was listed
            return None
        return ListedObject(key, dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc), st.st_size)

    def describe(self) -> str:
        return f"local folder {self.root}"

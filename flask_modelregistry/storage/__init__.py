"""Artifact stores, chosen by URI: a local folder path or ``file://...``, or ``gs://BUCKET/PREFIX``."""
from __future__ import annotations

import typing as t

from .base import ArtifactStore, ListedObject, StoredObject, partial_tag
from .gcs import GCSArtifactStore
from .local import LocalArtifactStore


def store_from_uri(uri: str, *, chunk_size: int | None = None, signing_key: t.Any = None) -> ArtifactStore:
    if uri.startswith("gs://"):
        if chunk_size:
            return GCSArtifactStore.from_uri(uri, chunk_size=chunk_size, signing_key=signing_key)
        return GCSArtifactStore.from_uri(uri, signing_key=signing_key)
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    if "://" in uri:
        raise ValueError(f"unsupported storage URI {uri!r}: use a folder path, file:// or gs://")
    return LocalArtifactStore(uri)


__all__ = ["ArtifactStore", "GCSArtifactStore", "ListedObject", "LocalArtifactStore", "StoredObject", "partial_tag", "store_from_uri"]

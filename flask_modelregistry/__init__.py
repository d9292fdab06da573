"""flask-modelregistry: a machine-learning model registry mounted into a Flask portal."""
from __future__ import annotations

from .errors import (AlreadyExists, BadRequest, Forbidden, Invalid, NotFound, RegistryError, StorageError,
                     TooLarge, Unauthenticated)
from .extension import ROLES, ModelRegistry, current_state
from .storage import ArtifactStore, GCSArtifactStore, LocalArtifactStore

__version__ = "0.1.0"

__all__ = [
    "ROLES", "AlreadyExists", "ArtifactStore", "BadRequest", "Forbidden", "GCSArtifactStore", "Invalid",
    "LocalArtifactStore", "ModelRegistry", "NotFound", "RegistryError", "StorageError", "TooLarge",
    "Unauthenticated", "current_state",
]

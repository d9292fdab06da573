"""flask-modelregistry: a machine-learning model registry mounted into a Flask portal.

The names below are loaded on first use, so that importing the ``modelregistry`` client
(:mod:`flask_modelregistry.client`), which lives in this package, loads no Flask or SQLAlchemy.
"""
from __future__ import annotations

import importlib
import typing as t

from .errors import (AlreadyExists, BadRequest, Forbidden, Invalid, NotFound, RegistryError, StorageError,
                     TooLarge, Unauthenticated, Unavailable)

if t.TYPE_CHECKING:
    from .extension import ModelRegistry
    from .state import ROLES, current_state
    from .storage import ArtifactStore, GCSArtifactStore, LocalArtifactStore

__version__ = "0.1.0"

#: public name -> the module that defines it
_LAZY = {
    "ModelRegistry": "extension", "ROLES": "state", "current_state": "state",
    "ArtifactStore": "storage", "GCSArtifactStore": "storage", "LocalArtifactStore": "storage",
}

__all__ = [
    "ROLES", "AlreadyExists", "ArtifactStore", "BadRequest", "Forbidden", "GCSArtifactStore", "Invalid",
    "LocalArtifactStore", "ModelRegistry", "NotFound", "RegistryError", "StorageError", "TooLarge",
    "Unauthenticated", "Unavailable", "current_state",
]


def __getattr__(name: str) -> t.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

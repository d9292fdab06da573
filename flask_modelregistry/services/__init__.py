"""The service layer: every rule of the registry, shared by the pages, the JSON API, the MLflow
API and the package API. Views parse and render; these functions decide."""
from __future__ import annotations

from . import access, artifacts, audit, registered_models, settings, tokens, tracking, versions
from .identity import Actor

__all__ = ["Actor", "access", "artifacts", "audit", "registered_models", "settings", "tokens", "tracking",
           "versions"]

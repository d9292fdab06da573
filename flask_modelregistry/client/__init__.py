"""The ``modelregistry`` command-line client: upload and download a version's files over HTTP.

It talks to a portal's registry through the JSON API (models, versions) and the package API
(files), with ``MODEL_REGISTRY_URL`` and ``MODEL_REGISTRY_TOKEN``. From Python::

    from flask_modelregistry.client import RegistryClient, local_files, upload

    client = RegistryClient("https://portal.example.com", token)
    ref, _created = client.resolve("demo", "fraud-detector", "2.1.0", create_version=True)
    summary = upload(client, "demo", ref, local_files(["model/"]))
"""
from __future__ import annotations

from .api_client import ClientError, RegistryClient, RemoteFile, VersionRef
from .sync import Summary, download, local_files, upload

__all__ = ["ClientError", "RegistryClient", "RemoteFile", "Summary", "VersionRef", "download", "local_files", "upload"]

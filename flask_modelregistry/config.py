"""Configuration keys, their defaults, and a guarded reader.

Every key starts with ``MODEL_REGISTRY_``; :meth:`ModelRegistry.init_app` sets each default
with ``app.config.setdefault``. Reading an unknown key raises, so a typo fails loudly.
"""
from __future__ import annotations

import typing as t

from flask import current_app

GiB = 1024**3

DEFAULTS: dict[str, t.Any] = {
    #: Where artifacts are stored: a folder path, ``file://PATH`` or ``gs://BUCKET/PREFIX``.
    #: ``None``: the folder ``model_registry_artifacts`` in the app's instance folder.
    #: Ignored when the host passes ``storage=`` to :class:`ModelRegistry`.
    "STORAGE_URI": None,
    #: The lowest role that may create, change and delete models, versions and artifacts.
    "WRITE_ROLE": "reporter",
    #: The lowest role that may change the registry's settings of a project.
    "ADMIN_ROLE": "maintainer",
    #: Largest artifact file, in bytes (5 GiB). Larger uploads get 413 and nothing is kept.
    "MAX_FILE_SIZE": 5 * GiB,
    #: The template every registry page extends (the host's layout). It must define the
    #: blocks ``title`` and ``content``; ``model_registry/layout.html`` is a plain default.
    "BASE_TEMPLATE": "model_registry/layout.html",
    #: Prefix of every registry URL (pages, JSON API, MLflow and package APIs), e.g. ``/ml``.
    "URL_PREFIX": "",
    #: Registry settings of a project that has never saved any.
    "DEFAULT_ENABLED": True,
    "DEFAULT_VISIBILITY": "private",
    #: Page size of lists when the client names none; the JSON API caps ``per_page`` at 100.
    "PER_PAGE": 20,
    #: Bytes per request of a GCS resumable upload and of ranged GCS reads (multiple of 256 KiB).
    "GCS_CHUNK_SIZE": 8 * 1024 * 1024,
    #: Answer artifact downloads with a redirect to a short-lived signed URL when the store can
    #: sign (GCS with a key or IAM signBlob); False streams every download through the app.
    "SIGNED_URL_DOWNLOADS": True,
    #: A GCS service account's JSON key (a file path, or the parsed key) to sign URLs with;
    #: None: the client's own credentials (a key, or IAM signBlob for a service account).
    "GCS_SIGNING_KEY": None,
    #: On GCS, the pages send each file straight to the bucket (a resumable upload session the
    #: server opens per file), and multipart parts go to signed URLs of the bucket where the store
    #: can sign; False sends them through the app.
    "DIRECT_UPLOADS": True,
    #: Lifetime of signed URLs, in seconds.
    "SIGNED_URL_EXPIRY": 900,
    #: Offer multipart uploads (parts sent in parallel) to the MLflow client and the
    #: ``modelregistry`` command; ``server-info`` says so.
    "MULTIPART_UPLOADS": True,
    #: Seconds an upload id (and so a multipart upload) stays valid.
    "MULTIPART_EXPIRY": 24 * 3600,
    #: Register the pages blueprint (turn off to use only the APIs).
    "ENABLE_PAGES": True,
    #: Register the MLflow-compatible API.
    "ENABLE_MLFLOW": True,
    #: Seconds an upload may go without a heartbeat (or a partial write untouched, or an object
    #: without a row) before the storage sweeper takes it as abandoned and deletes it.
    "STORAGE_GRACE_PERIOD": 3600,
    #: Seconds between two storage sweeps of a serving process (the first runs at its start);
    #: 0 turns the background sweeper off (``flask model-registry storage sweep`` still works);
    #: it never starts in an app with ``TESTING`` set.
    "SWEEP_INTERVAL": 900,
    #: Let webhooks target loopback, private, link-local and metadata addresses (tests, labs).
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
    #: Who sends deliveries in this process: ``"thread"`` (a background thread per process,
    #: started by the first request or the first event) or ``"none"`` (only
    #: ``flask model-registry webhooks worker`` or the host's queue through ``webhook_dispatcher``).
    "WEBHOOK_DELIVERER": "thread",
    #: Seconds to connect and to wait for the receiver's answer, each.
    "WEBHOOK_TIMEOUT": 10,
    #: Retries wait ``RETRY_BASE * 2**(attempt-1)`` seconds, at most ``RETRY_MAX``; after
    #: ``MAX_ATTEMPTS`` failed attempts a delivery is marked failed (it can still be redelivered).
    "WEBHOOK_RETRY_BASE": 10.0,
    "WEBHOOK_RETRY_MAX": 3600.0,
    "WEBHOOK_MAX_ATTEMPTS": 15,
    #: How often an idle deliverer looks for due deliveries, in seconds.
    "WEBHOOK_POLL_INTERVAL": 1.0,
    #: How long a claimed delivery stays with its deliverer before another may take it, in seconds.
    "WEBHOOK_LEASE": 120,
    #: The key material webhook secrets are encrypted with; ``None``: the app's ``SECRET_KEY``.
    "WEBHOOK_SECRET_KEY": None,
}

PREFIX = "MODEL_REGISTRY_"


def config_value(key: str, app: t.Any = None) -> t.Any:
    """Read ``MODEL_REGISTRY_<key>``; an unknown key is a bug and raises ``KeyError``."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown model registry setting {PREFIX + key}")
    app = app or current_app
    return app.config[PREFIX + key]


def apply_defaults(config: t.MutableMapping[str, t.Any]) -> None:
    for key, value in DEFAULTS.items():
        config.setdefault(PREFIX + key, value)

"""URLs the pages show or hand to their scripts: the JSON API, the MLflow tracking URI and the
package files, absolute where a user copies them into a terminal."""
from __future__ import annotations

import shlex
from urllib.parse import quote

from flask import request, url_for

from ..config import config_value


def _external_base() -> str:
    return request.url_root.rstrip("/") + config_value("URL_PREFIX")


def tracking_uri(project: str) -> str:
    """What ``MLFLOW_TRACKING_URI`` must be for this project's registry."""
    return f"{_external_base()}/api/v1/projects/{quote(project, safe='')}/ml/mlflow"


def package_files_url(project: str, version_id: int) -> str:
    """The package registry's files of a version; append a file's path."""
    return f"{_external_base()}/api/v1/projects/{quote(project, safe='')}/packages/ml_models/{version_id}/files"


def api_versions_url(project: str, model_id: int) -> str:
    return url_for("model_registry_api.list_versions_get", project=project, model_id=model_id)


def api_artifacts_url(project: str, model_id: int, version_id: int) -> str:
    """The version's files in the JSON API; ``PUT <this>/<path>`` uploads one."""
    return url_for("model_registry_api.list_artifacts_get", project=project, model_id=model_id,
                   version_id=version_id)


def artifact_download_url(project: str, model_id: int, version_id: int, path: str) -> str:
    return url_for("model_registry_api.download_artifact_get", project=project, model_id=model_id,
                   version_id=version_id, path=path)


def http_url(value: str | None) -> str | None:
    """``value`` when it is an http(s) URL, else None: links read from tags are never trusted."""
    if value and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None


def package_commands(project: str, version_id: int, sample_path: str | None) -> dict[str, str]:
    """curl commands to fetch and to upload one file of a version's package, ready to paste."""
    path = sample_path or "model.pkl"
    url = f"{package_files_url(project, version_id)}/{quote(path, safe='/')}"
    name = path.rsplit("/", 1)[-1]
    header = '--header "PRIVATE-TOKEN: <your_access_token>"'
    return {
        "download": f"curl --fail {header} \\\n     --output {shlex.quote(name)} \\\n     {shlex.quote(url)}",
        "upload": f"curl --fail {header} \\\n     --upload-file {shlex.quote(name)} \\\n     {shlex.quote(url)}",
    }

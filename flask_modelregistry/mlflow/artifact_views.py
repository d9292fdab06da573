"""MLflow's artifact proxy (``mlflow-artifacts``): files of runs and logged models, streamed in and
out through the same stores, path checks and size limit as every other front door.

A PUT replaces a file that is there, as MLflow's server does. Listing a folder that does not
exist, or a file, answers ``{}``. Multipart and presigned transfers are not offered
(``server-info`` says so, and their endpoints answer ``NOT_IMPLEMENTED``, on which the client
falls back to a single streamed request).
"""
from __future__ import annotations

from flask import Response, request

from ..kit import transfer
from ..errors import NotFound
from ..services import artifact_tree
from ..services import artifacts as artifact_service
from .errors import MlflowError
from .protocol import actor, compact, ok, project
from .routing import API3, ARTIFACTS, route

MULTIPART_OFF = "Multipart upload is not supported for the current artifact repository"


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "PUT")
def upload_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path)
    transfer.upload_from_request(project(), actor(), run_id, path, overwrite=True)
    return Response(status=200)


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "GET")
def download_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path)
    if not path:
        raise NotFound(f"No such artifact: '{artifact_path}'")
    artifact = artifact_service.get_artifact(project(), actor(), run_id, path)
    return transfer.download_response(artifact)


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "DELETE")
def delete_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path)
    artifact_tree.delete_tree(project(), actor(), run_id, path)
    return ok()


@route(ARTIFACTS + "/artifacts", "GET")
def list_artifacts():
    """One level of a folder; ``{}`` for a missing folder or a file."""
    located = artifact_tree.locate(project(), actor(), request.args.get("path", ""), required=False)
    if located is None:
        return ok()
    run_id, folder = located
    entries = artifact_tree.list_folder(project(), actor(), run_id, folder)
    return ok(compact({"files": [{"path": e.name, "is_dir": e.is_dir, **({} if e.is_dir else {"file_size": e.size})}
                                 for e in entries]}))


@route(ARTIFACTS + "/mpu/<action>/<path:artifact_path>", "POST")
def multipart_upload(action: str, artifact_path: str):
    raise MlflowError("NOT_IMPLEMENTED", MULTIPART_OFF, 501)


@route(ARTIFACTS + "/presigned/<path:artifact_path>", "GET")
def presigned_download(artifact_path: str):
    raise MlflowError("NOT_IMPLEMENTED", "Presigned downloads are not supported by this server", 501)


@route(API3 + "/server-info", "GET")
def server_info():
    return ok({
        "store_type": "SqlStore", "workspaces_enabled": False, "trace_archival_enabled": False,
        "multipart_uploads_enabled": False, "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False, "presigned_upload_model_id_supported": False,
        "features_enabled": {"gateway": False},
    })


@route("/health", "GET")
def health():
    return Response("OK", mimetype="text/plain")

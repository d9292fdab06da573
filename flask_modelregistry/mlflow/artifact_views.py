"""MLflow's artifact proxy (``mlflow-artifacts``): files of runs, of logged models and at any other
path under the project's artifact root, streamed in and out through the same stores, path checks,
roles and size limit as every other front door; downloads carry MLflow's content types. Also the
tracking API's ``artifacts/list`` and the ``get-artifact`` file view of MLflow's server.

A PUT replaces a file that is there, as MLflow's server does. Listing a folder that does not
exist, or a file, answers ``{}``. Multipart uploads (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``)
send their parts in parallel, on GCS straight to the bucket through signed URLs, else to this
server (:mod:`..services.multipart`); presigned downloads
are not offered (their endpoint answers ``NOT_IMPLEMENTED``, on which the client falls back to a
plain GET, which redirects to a signed URL where the store signs).
"""
from __future__ import annotations

import mimetypes

from flask import Response, request, url_for

from ..errors import BadRequest, NotFound
from ..kit import transfer
from ..config import config_value
from ..services import artifact_tree, mlflow_views, multipart, registered_models, registration, tracking
from ..services import artifacts as artifact_service
from ..services.artifact_locations import join
from ..state import current_state
from .errors import MlflowError
from .protocol import Params, actor, compact, missing, ok, project
from .routing import API, API3, ARTIFACTS, route

MULTIPART_OFF = "Multipart upload is not supported for the current artifact repository"


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "PUT")
def upload_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path, create=True)
    if not path:
        raise BadRequest(artifact_tree.INVALID_PATH, mlflow_message=artifact_tree.INVALID_PATH)
    transfer.upload_from_request(project(), actor(), run_id, path, overwrite=True)
    return Response(status=200)


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "GET")
def download_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path)
    if run_id is None or not path:
        raise NotFound(f"No such artifact: '{artifact_path}'")
    return _download(artifact_service.get_artifact(project(), actor(), run_id, path))


def _download(artifact) -> Response:
    """The file with the content type MLflow's server gives it (from its name, whatever was declared)."""
    response = transfer.download_response(artifact)
    if response.status_code in (200, 206, 304):
        response.headers["Content-Type"] = mlflow_content_type(artifact.path)
    return response


@route(ARTIFACTS + "/artifacts/<path:artifact_path>", "DELETE")
def delete_artifact(artifact_path: str):
    run_id, path = artifact_tree.locate(project(), actor(), artifact_path)
    if run_id is not None:
        artifact_tree.delete_tree(project(), actor(), run_id, path)
    return ok()


@route(ARTIFACTS + "/artifacts", "GET")
def list_artifacts():
    """One level of a folder; ``{}`` for a missing folder or a file."""
    run_id, folder = artifact_tree.locate(project(), actor(), request.args.get("path", ""))
    if run_id is None:
        return ok()
    return ok(compact({"files": _files(artifact_tree.list_folder(project(), actor(), run_id, folder))}))


def _files(entries, under: str = "") -> list[dict]:
    prefix = f"{under}/" if under else ""
    return [{"path": prefix + e.name, "is_dir": e.is_dir, **({} if e.is_dir else {"file_size": e.size})}
            for e in entries]


@route(API + "/artifacts/list", "GET")
def list_run_artifacts():
    """The tracking API's listing of a run's folder: paths from the run's root, and its ``root_uri``."""
    p = Params.from_request()
    run_id = p.string("run_id") or p.string("run_uuid")
    if not run_id:
        raise missing("run_id")
    folder = artifact_tree.checked_path(p.string("path") or "")
    info = mlflow_views.run_info(tracking.get_run(project(), actor(), run_id))
    entries = artifact_tree.list_folder(project(), actor(), info.run_id, folder)
    return ok(compact({"root_uri": info.artifact_uri, "files": _files(entries, folder)}))


@route("/get-artifact", "GET")
def get_run_artifact():
    """A run's file, as MLflow's server serves it to its pages (``?run_id=&path=``)."""
    p = Params.from_request()
    run_id = p.string("run_id") or p.string("run_uuid")
    if not run_id:
        raise missing("run_id")
    path = artifact_tree.checked_path(p.string("path") or "")
    info = mlflow_views.run_info(tracking.get_run(project(), actor(), run_id))
    if not path:
        raise NotFound("No such artifact: ''")
    return _download(artifact_service.get_artifact(project(), actor(), info.run_id, path))


@route("/model-versions/get-artifact", "GET")
def get_model_version_artifact():
    """A file of a version's model (``?name=&version=&path=``), where its source keeps it."""
    p = Params.from_request()
    path = artifact_tree.checked_path(p.string("path") or "")
    model = registered_models.get_model_by_name(project(), actor(), p.string("name", required=True))
    version = registration.find_version_ref(project(), actor(), model, p.raw("version"))
    run_id, folder = registration.files_location(project(), actor(), version)
    if run_id is None or not path:
        raise NotFound(f"No such artifact: '{path}'")
    return _download(artifact_service.get_artifact(project(), actor(), run_id, join(folder, path)))


#: MLflow's server serves these as text/plain whatever their extension would say
TEXT_EXTENSIONS = {"txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon",
                   "toml", "yaml", "yml", "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst",
                   "mlmodel", "mlproject"}


def mlflow_content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    key = (extension if dot and stem else name).lower()
    if key in TEXT_EXTENSIONS:
        return "text/plain"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


@route(ARTIFACTS + "/mpu/<action>/<path:artifact_path>", "POST")
def multipart_upload(action: str, artifact_path: str):
    """MLflow's multipart protocol: ``create`` answers the upload id and one URL per part (on GCS a
    signed URL straight to the bucket, else this server's, taken in parallel by any worker),
    ``complete`` assembles and records, ``abort`` deletes."""
    if not config_value("MULTIPART_UPLOADS") or action not in ("create", "complete", "abort"):
        raise MlflowError("NOT_IMPLEMENTED", MULTIPART_OFF, 501)
    params = Params.from_request()
    local = params.string("path", required=True)
    name = local.replace("\\", "/").rsplit("/", 1)[-1]
    run_id, path = artifact_tree.locate(project(), actor(), f"{artifact_path.rstrip('/')}/{name}",
                                        create=action == "create")
    if action == "create":
        created = multipart.create_upload(project(), actor(), run_id, path, parts=params.integer("num_parts") or 1,
                                          overwrite=True)
        return ok({"upload_id": created.upload_id, "credentials": [
            {"url": p.url or url_for(".multipart_part_put", project=project(), number=p.number,
                                     upload_id=created.upload_id, _external=True),
             "part_number": p.number, "headers": p.headers} for p in created.targets]})
    upload = multipart.read_upload(params.string("upload_id", required=True), project())
    if (upload.run_id, upload.path) != (run_id, path):
        raise NotFound("no such multipart upload")
    if action == "complete":
        multipart.complete_upload(project(), actor(), params.string("upload_id"), params.objects("parts"))
    else:
        multipart.abort_upload(project(), actor(), params.string("upload_id"))
    return ok()


@route(ARTIFACTS + "/mpu-part/<int:number>", "PUT")
def multipart_part(number: int):
    """One part, authorised by the signed upload id in its URL (the client sends no token here)."""
    etag = transfer.part_from_request(project(), request.args.get("upload_id"), number)
    return Response(status=200, headers={"ETag": f'"{etag}"'})


@route(ARTIFACTS + "/presigned/<path:artifact_path>", "GET")
def presigned_download(artifact_path: str):
    raise MlflowError("NOT_IMPLEMENTED", "Presigned downloads are not supported by this server", 501)


@route(API3 + "/server-info", "GET")
def server_info():
    """What the client may use. Multipart uploads are taken whenever they are on; they are offered
    to a client that asks (one without ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``) only where the
    store gains from them (:attr:`~..storage.base.ArtifactStore.multipart_preferred`)."""
    offered = bool(config_value("MULTIPART_UPLOADS")) and current_state().store.multipart_preferred
    return ok({
        "store_type": "SqlStore", "workspaces_enabled": False, "trace_archival_enabled": False,
        "multipart_uploads_enabled": offered, "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False, "presigned_upload_model_id_supported": False,
        "features_enabled": {"gateway": False},
    })


@route("/health", "GET")
def health():
    return Response("OK", mimetype="text/plain")

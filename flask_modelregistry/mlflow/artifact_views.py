"""MLflow's artifact proxy (``mlflow-artifacts``): files of runs and logged models, streamed in and
out through the same stores, path checks and size limit as every other front door.

A PUT replaces a file that is there, as MLflow's server does. Listing a folder that does not
exist, or a file, answers ``{}``. Multipart uploads (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``)
send their parts to this server, in parallel (:mod:`..services.multipart`); presigned downloads
are not offered (their endpoint answers ``NOT_IMPLEMENTED``, on which the client falls back to a
plain GET, which redirects to a signed URL where the store signs).
"""
from __future__ import annotations

from flask import Response, request, url_for

from ..kit import transfer
from ..errors import NotFound
from ..services import artifact_tree
from ..config import config_value
from ..services import artifacts as artifact_service
from ..services import multipart
from .errors import MlflowError
from .protocol import Params, actor, compact, ok, project
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
    """MLflow's multipart protocol: ``create`` answers the upload id and one URL per part (on this
    server, taken in parallel by any worker), ``complete`` assembles and records, ``abort`` deletes."""
    if not config_value("MULTIPART_UPLOADS") or action not in ("create", "complete", "abort"):
        raise MlflowError("NOT_IMPLEMENTED", MULTIPART_OFF, 501)
    params = Params.from_request()
    local = params.string("path", required=True)
    name = local.replace("\\", "/").rsplit("/", 1)[-1]
    run_id, path = artifact_tree.locate(project(), actor(), f"{artifact_path.rstrip('/')}/{name}")
    if action == "create":
        created = multipart.create_upload(project(), actor(), run_id, path, parts=params.integer("num_parts") or 1,
                                          overwrite=True)
        return ok({"upload_id": created.upload_id, "credentials": [
            {"url": url_for(".multipart_part_put", project=project(), number=n,
                            upload_id=created.upload_id, _external=True),
             "part_number": n, "headers": {}} for n in range(1, created.upload.parts + 1)]})
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
    return ok({
        "store_type": "SqlStore", "workspaces_enabled": False, "trace_archival_enabled": False,
        "multipart_uploads_enabled": bool(config_value("MULTIPART_UPLOADS")), "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False, "presigned_upload_model_id_supported": False,
        "features_enabled": {"gateway": False},
    })


@route("/health", "GET")
def health():
    return Response("OK", mimetype="text/plain")

"""The package registry front door: a version's files as the package ``<model_name>/<version>``.

``PUT`` and ``GET`` (and ``HEAD``) ``{prefix}/api/v1/projects/<project>/packages/ml_models/<version_id>/files/<path>``
put and fetch one file, streamed through :mod:`flask_modelregistry.kit.transfer` with the JSON API's
checks, size limit and roles, so CI jobs can ``curl --upload-file`` with a token
(``PRIVATE-TOKEN``, Bearer, or Basic with the token as password). ``GET .../files`` lists the
package's files. ``<version_id>`` may also be given as the package name
``<model_name>/<version>``. Errors are the JSON API's ``{"error": {code, message, fields}}``.

Large files go up in parts sent in parallel: ``POST .../<version_id>/uploads`` starts an upload
and names a URL per part, ``PUT`` each part there, then ``POST .../uploads/complete`` (or
``abort``); see :mod:`flask_modelregistry.services.multipart`. On GCS, ``POST .../direct-uploads``
opens a resumable session to send a file straight to the bucket (the pages do);
see :mod:`flask_modelregistry.services.direct_uploads`.

Paths are taken as sent (after URL decoding) and validated, so ``../x``, ``%2e%2e/x``,
``/etc/passwd``, backslashes, NUL and empty segments get 400, never a redirect or a guess.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request, url_for
from werkzeug.routing import PathConverter

from .kit import transfer
from .kit.artifact_json import artifact_json
from .kit.auth import check_session_csrf, request_actor
from .errors import BadRequest, NotFound
from .kit.json_body import request_json
from .kit.json_errors import register_json_errors
from .services import artifacts as artifact_service
from .services import direct_uploads, multipart
from .services import packages as package_service

_TRUE = ("1", "true", "yes")


class RawPathConverter(PathConverter):
    """Like ``path`` but also matches an empty path, a leading slash and repeated slashes, so
    that such paths reach the validator and get a clear 400 instead of a 404 or a redirect."""

    regex = r"[\s\S]*"  # newlines too, so that they reach the validator
    part_isolating = False


def _locate(project: str, version_id: int | None, model_name: str | None, version: str | None):
    actor = request_actor()
    if version_id is not None:
        return package_service.version_by_id(project, actor, version_id)
    return package_service.version_by_name(project, actor, model_name or "", version or "")


def list_files(project: str, version_id: int | None = None, model_name: str | None = None,
               version: str | None = None):
    pkg = _locate(project, version_id, model_name, version)
    items = artifact_service.list_artifacts(project, request_actor(), pkg.run_id)
    return jsonify({"package_name": pkg.package_name, "model_id": pkg.model_id,
                    "model_name": pkg.model_name, "version_id": pkg.version_id, "version": pkg.version,
                    "items": [artifact_json(a) for a in items], "total": len(items)})


def put_file(project: str, path: str, version_id: int | None = None, model_name: str | None = None,
             version: str | None = None):
    """The body is the file. The same path again: 409, unless ``?overwrite=true`` (atomic replace)."""
    pkg = _locate(project, version_id, model_name, version)
    overwrite = request.args.get("overwrite", "").lower() in _TRUE
    artifact = transfer.upload_from_request(project, request_actor(), pkg.run_id, path, overwrite=overwrite)
    return jsonify(artifact_json(artifact)), 201


def get_file(project: str, path: str, version_id: int | None = None, model_name: str | None = None,
             version: str | None = None):
    pkg = _locate(project, version_id, model_name, version)
    artifact = artifact_service.get_artifact(project, request_actor(), pkg.run_id, path)
    return transfer.download_response(artifact)


def create_upload(project: str, version_id: int):
    """Start a multipart upload: ``{"path", "size", "part_size", "overwrite"}`` answers the upload
    id and the URL of each part with the headers to send, to send in parallel (the part size must
    be at least 5 MiB, as on S3 and GCS, except for a file of one part). With ``"direct": true``
    (GCS) the URLs are the bucket's: send them no credentials of this server."""
    pkg = _locate(project, version_id, None, None)
    body = request_json() or {}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    size, part_size = body.get("size"), body.get("part_size")
    parts = multipart.plan_parts(size, part_size)
    created = multipart.create_upload(project, request_actor(), pkg.run_id, body.get("path"), parts=parts,
                                      size=size, part_size=part_size, overwrite=body.get("overwrite") is True)
    return jsonify({"upload_id": created.upload_id, "part_size": part_size, "direct": created.upload.direct,
                    "parts": [{"part_number": p.number, "headers": p.headers,
                               "url": p.url or url_for(".upload_part", project=project, number=p.number,
                                                       upload_id=created.upload_id, _external=True)}
                              for p in created.targets]}), 201


def upload_part(project: str, number: int):
    """One part; the signed upload id in the URL authorises it. Answers its ETag."""
    etag = transfer.part_from_request(project, request.args.get("upload_id"), number)
    return jsonify({"part_number": number, "etag": etag}), 200, {"ETag": f'"{etag}"'}


def finish_upload(project: str, version_id: int, action: str):
    """``complete`` with ``{"upload_id", "parts": [{"part_number", "etag"}]}`` and, for a direct
    upload, optionally the file's ``sha256`` and ``crc32c`` (201, the file), or ``abort`` with
    ``{"upload_id"}`` (204)."""
    pkg = _locate(project, version_id, None, None)
    body = request_json() or {}
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    upload = multipart.read_upload(body.get("upload_id"), project)
    if upload.run_id != pkg.run_id:
        raise NotFound("no such multipart upload")
    if action == "abort":
        multipart.abort_upload(project, request_actor(), body.get("upload_id"))
        return "", 204
    artifact = multipart.complete_upload(project, request_actor(), body.get("upload_id"), body.get("parts"),
                                         sha256=body.get("sha256"), crc32c=body.get("crc32c"))
    return jsonify(artifact_json(artifact)), 201


def open_direct_upload(project: str, version_id: int):
    """On GCS: ``{"path", "size", "content_type", "overwrite"}`` opens a resumable upload session
    for the file, straight to the bucket (with the request's ``Origin`` for CORS); answers
    ``{"upload", "session_url"}``. Send the bytes there, then ``.../direct-uploads/complete``."""
    pkg = _locate(project, version_id, None, None)
    body = _json_object()
    opened = direct_uploads.open_upload(project, request_actor(), pkg.run_id, body.get("path"), size=body.get("size"),
                                        content_type=body.get("content_type"), origin=request.headers.get("Origin"),
                                        overwrite=body.get("overwrite") is True)
    return jsonify({"upload": opened.token, "session_url": opened.session_url, "path": opened.upload.path}), 201


def finish_direct_upload(project: str, version_id: int, action: str):
    """``complete`` with ``{"upload", "sha256", "crc32c"}`` (201, the file, once the bucket's
    object has the size and CRC32C sent), or ``cancel`` with ``{"upload"}`` (204)."""
    pkg = _locate(project, version_id, None, None)
    body = _json_object()
    if direct_uploads.read_upload(body.get("upload"), project).run_id != pkg.run_id:
        raise NotFound("no such upload")
    if action == "cancel":
        direct_uploads.cancel_upload(project, request_actor(), body.get("upload"))
        return "", 204
    artifact = direct_uploads.finish_upload(project, request_actor(), body.get("upload"),
                                            sha256=body.get("sha256"), crc32c=body.get("crc32c"))
    return jsonify(artifact_json(artifact)), 201


def _json_object() -> dict:
    body = request_json()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def create_blueprint(app: Flask, prefix: str) -> Blueprint:
    app.url_map.converters.setdefault("mr_raw_path", RawPathConverter)
    bp = Blueprint("model_registry_packages", __name__,
                   url_prefix=f"{prefix}/api/v1/projects/<string:project>/packages/ml_models")

    @bp.before_request
    def identify() -> None:
        check_session_csrf(request_actor())

    by_id = "/<int:version_id>/files"
    by_name = "/<string:model_name>/<string:version>/files"
    for base in (by_id, by_name):
        kind = "by_id" if base == by_id else "by_name"
        bp.add_url_rule(base, f"list_{kind}", list_files, methods=["GET"])
        bp.add_url_rule(base + "/<mr_raw_path:path>", f"get_{kind}", get_file, methods=["GET"],
                        merge_slashes=False)
        bp.add_url_rule(base + "/<mr_raw_path:path>", f"put_{kind}", put_file, methods=["PUT"],
                        merge_slashes=False)

    bp.add_url_rule("/<int:version_id>/uploads", "create_upload", create_upload, methods=["POST"])
    bp.add_url_rule("/<int:version_id>/uploads/<any(complete, abort):action>", "finish_upload", finish_upload,
                    methods=["POST"])
    bp.add_url_rule("/<int:version_id>/direct-uploads", "open_direct_upload", open_direct_upload, methods=["POST"])
    bp.add_url_rule("/<int:version_id>/direct-uploads/<any(complete, cancel):action>", "finish_direct_upload",
                    finish_direct_upload, methods=["POST"])
    bp.add_url_rule("/uploads/parts/<int:number>", "upload_part", upload_part, methods=["PUT"])
    register_json_errors(bp)
    return bp


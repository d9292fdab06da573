"""Failures no view raises on purpose, turned into the answers every door gives.

Each door (JSON API, package API, MLflow API, pages) calls :func:`register_door` on its
blueprint with its own renderer of domain errors, so a fault ends in that door's error shape:

- a full store (``ENOSPC``, ``EDQUOT`` while writing) is :class:`InsufficientStorage` (507);
- the database unreachable (refused, terminated, shutting down) or too busy (locks, deadlocks,
  an exhausted pool) is :class:`Unavailable` (503 with ``Retry-After``), wherever it happens: the
  access check, a page read, a write. The pool drops dead connections by itself, so the next
  request after the database comes back works, without restarting the app;
- a malformed body (bad chunked encoding, a client that stops mid-chunk) is :class:`BadRequest`
  (400) wherever it is read: the body stream is guarded before anything reads it;
- every answer carries ``X-Content-Type-Options: nosniff``.

Anything else is a bug: it stays a logged 500.
"""
from __future__ import annotations

import errno
import io
import typing as t

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import PathConverter

from ..errors import BadRequest, InsufficientStorage, RegistryError, Unavailable
from ..services.database_failures import DATABASE_ERRORS, database_failure

Renderer = t.Callable[[RegistryError], t.Any]
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

#: errno values of a store with no space left for the writer
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def classify(exc: BaseException) -> RegistryError | None:
    """The domain error a low-level failure means, or None when it means a bug."""
    if isinstance(exc, RegistryError):
        return exc
    if isinstance(exc, OSError) and exc.errno in NO_SPACE:
        return InsufficientStorage("the artifact store is full; nothing was kept. Free some space or ask an "
                                   "administrator, then upload again")
    kind = database_failure(exc)
    if kind == "unreachable":
        return Unavailable("the database cannot be reached just now; nothing was changed. Try again shortly",
                           retry_after=5)
    if kind == "busy":
        return Unavailable("the database is busy; nothing was changed. Try again shortly")
    return None


def retry_headers(exc: RegistryError) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}


class GuardedBody(io.RawIOBase):
    """The request's ``wsgi.input``, whose read errors (a malformed chunked body, a connection
    that broke mid-body; gunicorn and Werkzeug raise their own kinds) become one 400."""

    def __init__(self, raw: t.Any) -> None:
        self._raw = raw

    @property
    def raw(self) -> t.Any:
        """The input this guards."""
        return self._raw

    def readable(self) -> bool:
        return True

    def _guard(self, call: t.Callable[[], t.Any]) -> t.Any:
        try:
            return call()
        except HTTPException:
            raise
        except Exception as exc:
            raise BadRequest("the request body is malformed (bad chunked encoding) or ended early") from exc

    def read(self, size: int = -1) -> bytes:
        return self._guard(lambda: self._raw.read(size) if size is not None and size >= 0 else self._raw.read())

    def readinto(self, buffer: t.Any) -> int:
        if hasattr(self._raw, "readinto"):  # no extra copy of every chunk
            return self._guard(lambda: self._raw.readinto(buffer))
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        return self._guard(lambda: self._raw.readline(size) if size is not None and size >= 0
                           else self._raw.readline())


def guard_request_body(_endpoint: str | None = None, _values: t.Any = None) -> None:
    """Wrap ``wsgi.input`` before anything reads it (a URL value preprocessor runs before the
    host's ``before_request`` functions, such as CSRFProtect's, which read forms)."""
    if "stream" in request.__dict__:  # already read
        return
    raw = request.environ.get("wsgi.input")
    if raw is not None and not isinstance(raw, GuardedBody):
        request.environ["wsgi.input"] = GuardedBody(raw)


def add_nosniff(response: Response) -> Response:
    """No browser guesses a type other than the one sent (a JSON error shown as HTML, say)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class AnyPathConverter(PathConverter):
    """Like ``path``, but also matches newlines and empty segments, so that a catch-all route
    answers every path under its prefix in its door's shape instead of Flask's HTML 404."""

    regex = r"[\s\S]*"
    part_isolating = False


class SubtreeRestConverter(PathConverter):
    """What follows a page subtree's first segment (``models``, ``model-registry``): nothing, or
    a slash, space or control character (a newline) and anything after it, so the catch-all of
    ``/models`` answers ``/models``, ``/models/x`` and ``/models%0A`` but not a host's ``/models-x``."""
    regex = r"(?:[/\s\x00-\x1f\x7f][\s\S]*)?"
    part_isolating = False


def catch_all(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Mark ``view`` as a door's catch-all route (see :func:`refuse_other_method`)."""
    view.model_registry_catch_all = True  # type: ignore[attr-defined]
    return view


def refuse_other_method() -> None:
    """In a catch-all route: raise 405 (with ``Allow``) when a real route has this path with
    other methods; return when no route has it (the caller answers 404)."""
    adapter = current_app.create_url_adapter(request)
    allowed = set()
    for method in _METHODS:
        if method == request.method:
            continue
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:  # no route, or a redirect to the canonical URL
            continue
        except Exception:  # a converter refused the value
            continue
        view = current_app.view_functions.get(endpoint)
        if view is not None and not getattr(view, "model_registry_catch_all", False):
            allowed.add(method)
    if allowed:
        if "GET" in allowed:
            allowed.add("HEAD")
        raise MethodNotAllowed(valid_methods=sorted(allowed))


def _rollback() -> None:
    """End the failed transaction before rendering, so the error page's own reads can work."""
    try:
        from ..state import current_state

        current_state().db.session.rollback()
    except Exception:  # the connection is gone: the session is discarded at teardown anyway
        pass


def release_session(response: Response) -> Response:
    """End the request's database session once its answer is built, where a failure can still be
    judged: a rollback on a connection the server has just terminated would otherwise raise in the
    app's teardown, after every handler, as a bare 500. The pool drops such a connection."""
    from ..state import current_state

    session = current_state().db.session
    for _attempt in range(2):  # a failed rollback invalidates the connection; the second close is clean
        try:
            session.close()
            break
        except Exception as exc:
            if classify(exc) is None:
                raise
    return response


def register_door(bp: Blueprint, render: Renderer) -> None:
    """Guard the bodies of ``bp``'s requests, add ``nosniff`` to its answers, and render full
    stores and unreachable databases with ``render`` (the door's renderer of domain errors)."""
    bp.url_value_preprocessor(guard_request_body)
    bp.after_request(add_nosniff)
    bp.after_request(release_session)

    def fault(exc: Exception) -> t.Any:
        domain = classify(exc)
        if domain is None:
            raise exc
        if isinstance(domain, Unavailable):
            current_app.logger.warning("database unavailable: %s", exc)
        _rollback()
        return render(domain)

    bp.register_error_handler(OSError, fault)
    bp.register_error_handler(DATABASE_ERRORS, fault)

"""How the pages answer errors: the login page for strangers, a 404 page that reveals nothing, a
403 page for readers who try to write. Handlers are the blueprint's own, never app-wide."""
from __future__ import annotations

import typing as t

from flask import Blueprint, current_app, render_template, request
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import NotFound, RegistryError, Unauthenticated
from ..i18n import gettext
from ..i18n import lazy_gettext as _l
from .messages import translate_message
from ..kit.failures import catch_all, refuse_other_method, register_door, retry_headers

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Sign in to continue"),
    403: _l("You don't have permission to do this"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    409: _l("This already exists"),
    413: _l("The upload is too large"),
    422: _l("Some values are invalid"),
    503: _l("The registry is busy"),
    507: _l("The storage is full"),
}


def error_page(status: int, message: str) -> tuple[str, int]:
    project = (request.view_args or {}).get("project")
    title = str(TITLES.get(status) or gettext("Something went wrong"))
    return render_template("model_registry/error.html", status=status, title=title, message=message,
                           project=project), status


def register(bp: Blueprint) -> None:
    @bp.errorhandler(Unauthenticated)
    def unauthenticated(_exc: Unauthenticated):
        try:
            return current_app.login_manager.unauthorized()
        except HTTPException:  # the host has no login view
            return error_page(401, gettext("Sign in to see this page."))

    @bp.errorhandler(NotFound)
    def not_found(_exc: NotFound):
        # One message for "no such thing" and "not yours to see", so nothing is revealed.
        return error_page(404, gettext("The page does not exist, or you do not have access to it."))

    @bp.errorhandler(RegistryError)
    def registry_error(exc: RegistryError):
        message = translate_message(exc.message)
        try:
            body, status = error_page(exc.status, message)
        except Exception:  # the page around the message needs the database that just failed
            if exc.status < 500:
                raise
            body, status = f"<!doctype html><title>{TITLES.get(exc.status, 'Error')}</title><p>{escape(message)}</p>", \
                exc.status
        return body, status, retry_headers(exc)

    register_door(bp, registry_error)

    @bp.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        return error_page(400, gettext("The form was missing its security token or it has expired. "
                                       "Go back, reload the page and try again."))

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 404:
            return not_found(NotFound("not found"))
        allow = {k: v for k, v in exc.get_headers() if k == "Allow"}  # a 405 says what the URL takes
        if exc.code == 405 and allow:
            message = gettext("This address does not take %(method)s requests; it takes %(allowed)s.",
                              method=request.method, allowed=allow["Allow"])
        else:
            message = translate_message(exc.description or exc.name)
        body, status = error_page(exc.code or 500, message)
        return body, status, allow


def register_catch_all(bp: Blueprint, prefix: str, csrf: t.Any = None) -> None:
    """Routes that take every other request under the pages' URLs, so that it gets this door's
    answer (its 404 page, or its 405 page with ``Allow`` from the URL map) and ``nosniff``, not
    Flask's own HTML; the house registers no app-wide handler. With a URL prefix, everything under
    it is the registry's; without one, only the registry's subtrees are (the host keeps the rest).
    The route changes nothing and reads no body, so the host's CSRF check (``csrf``) skips it: a
    wrong method is a 405, not a missing token."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    @catch_all
    def unknown_page(_rest: str = "", project: str | None = None):
        refuse_other_method()
        raise NotFound("no such page")

    if csrf is not None:
        csrf.exempt(unknown_page)
    if prefix:
        bp.add_url_rule("/", "unknown_page", unknown_page, methods=methods, strict_slashes=False)
        bp.add_url_rule("/<mr_any_path:_rest>", "unknown_page", unknown_page, methods=methods, merge_slashes=False)
        return
    for subtree in ("/projects/<project>/models", "/projects/<project>/model-registry",
                    "/projects/<project>/-/model-registry", "/-/model-registry"):
        bp.add_url_rule(f"{subtree}<mr_subtree_rest:_rest>", "unknown_page", unknown_page, methods=methods,
                        merge_slashes=False)

"""How the pages answer errors: the login page for strangers, a 404 page that reveals nothing, a
403 page for readers who try to write. Handlers are the blueprint's own, never app-wide."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import NotFound, RegistryError, Unauthenticated
from ..i18n import gettext
from ..i18n import lazy_gettext as _l
from .messages import translate_message
from ..kit.failures import register_door, retry_headers

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
        return error_page(exc.code or 500, translate_message(exc.description or exc.name))

"""The registry's web pages: Flask-WTF forms and server-rendered templates on the service layer.

Pages live under ``{prefix}/projects/<project>/...`` (see CONTRACT section 3) in the blueprint
``model_registry``. Each page module in :data:`PAGE_MODULES` has ``register(bp)``, so a new page
is one more name in that list. Templates are ``model_registry/...`` (a host overrides one by
putting a file at the same path in its own templates folder); every page extends the template
named by ``MODEL_REGISTRY_BASE_TEMPLATE``. Static files are served under
``{prefix}/-/model-registry/static`` so they never clash with the host's ``/static``.
Every page refuses to be framed by another site (clickjacking); a host that sets its own
``X-Frame-Options`` or ``Content-Security-Policy`` in its ``after_request`` replaces them.
Catch-all routes of the blueprint answer every other request under the pages' URLs with the
registry's 404 or 405 page (see :func:`.errors.register_catch_all`).
"""
from __future__ import annotations

import importlib

from flask import Blueprint, Flask, Response

from ..kit.failures import AnyPathConverter, SubtreeRestConverter
from ..resources import templates_dir
from . import context, errors

#: Page modules of this package, each with ``register(bp)``.
PAGE_MODULES: list[str] = ["models", "versions", "artifacts", "settings", "compare", "preview", "webhooks"]

STATIC_URL_PATH = "/-/model-registry/static"


def refuse_foreign_frames(response: Response) -> Response:
    """No other site may show our pages in a frame, where a disguised click would delete a model."""
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'self'")
    return response


def create_blueprint(app: Flask, prefix: str) -> Blueprint:
    """The pages blueprint for ``app``, its URLs under ``prefix`` (``""`` or e.g. ``"/ml"``)."""
    from pathlib import Path

    static_folder = Path(__file__).resolve().parent.parent / "static" / "model_registry"
    app.url_map.converters.setdefault("mr_any_path", AnyPathConverter)
    app.url_map.converters.setdefault("mr_subtree_rest", SubtreeRestConverter)
    bp = Blueprint("model_registry", __name__, url_prefix=prefix or None, template_folder=str(templates_dir()),
                   static_folder=str(static_folder), static_url_path=STATIC_URL_PATH)
    context.register(bp)
    errors.register(bp)
    bp.after_request(refuse_foreign_frames)
    for name in PAGE_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(bp)
    errors.register_catch_all(bp, prefix, app.extensions.get("csrf"))
    return bp

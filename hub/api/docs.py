"""/api/v1/docs: the API reference, rendered by Swagger UI from the OpenAPI document.

Swagger UI's files come from the pinned ``swagger-ui-bundle`` package on PyPI and are served
from here, so the page works offline and under a script policy of "self" only (the
initialiser is a file of ours, not an inline script).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, send_from_directory, url_for

from hub.auth.web import public

bp = Blueprint("api_docs", __name__, template_folder="templates")

#: The vendor files the page loads; nothing else in the bundle's folder is served.
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
#: Ours, beside this module.
OWN_ASSETS = frozenset({"api-docs.js"})


def assets_folder() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


@bp.get("/api/v1/docs")
@public
def reference() -> Any:
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))


@bp.get("/api/v1/docs/assets/<name>")
@public
def asset(name: str) -> Any:
    if name in OWN_ASSETS:
        return send_from_directory(Path(__file__).parent / "static", name, max_age=3600)
    if name not in ASSETS:
        abort(404)
    return send_from_directory(assets_folder(), name, max_age=3600)

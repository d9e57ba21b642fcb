"""Server-rendered pages: the shell every page shares (layout, sign-in, CSRF, errors, headers).

Pages of features and connectors are blueprints that extend ``ui/base.html``. Every asset
ships in the package; nothing is loaded from the internet.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from hub import __version__
from hub.sdk.i18n import gettext
from hub.ui.approval_links import bp as approval_links_bp
from hub.ui.auth import bp as auth_bp
from hub.ui.auth import current_user, login_required
from hub.ui.csrf import init_csrf
from hub.ui.forms import with_article
from hub.ui.menu import nav_items
from hub.ui.moments import duration, local_input, when, zone_label
from hub.ui.status import bp as status_bp
from hub.ui.survey_links import bp as survey_links_bp

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static", static_url_path="/static/ui")

#: Pages may use inline styles from templates but no inline script and nothing remote.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@bp.get("/")
def home() -> Any:
    user = current_user()
    if user is None:
        return redirect(url_for("ui_auth.login"))
    if user.can("tickets:read") and "ui_tickets.ticket_list" in current_app.view_functions:
        return redirect(url_for("ui_tickets.ticket_list"))
    return render_template("ui/home.html")


@bp.get("/ui/whoami")
@login_required()
def whoami() -> Any:
    return {"user": current_user().name if current_user() else None}  # type: ignore[union-attr]


def _error_page(exc: Exception, fallback: Any) -> Any:
    """Readable HTML errors for pages (the API keeps problem+json), in the reader's language
    where the catalogue has the text (hub.ui.languages.ERROR_TEXTS)."""
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return _error(exc.code, exc.name, exc.description or ""), exc.code
    from hub.sdk.tracker_errors import TrackerError

    if isinstance(exc, TrackerError):
        return _error(exc.status, exc.title, exc.detail), exc.status
    response = fallback(exc)
    status = getattr(response, "status_code", 500)
    detail = "The hub hit an unexpected error; it has been logged." if status >= 500 else ""
    return _error(status, "Something went wrong", detail), status


def _error(status: int, title: str, detail: str) -> str:
    return render_template("ui/error.html", status=status, title=gettext(title),
                           detail=gettext(detail) if detail else "")


def init_ui(app: Flask) -> None:
    secure = str(app.config.get("BASE_URL", "")).startswith("https://")
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
                      SESSION_COOKIE_NAME="hub_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config.get("SESSION_HOURS", 12))))
    init_csrf(app)
    app.register_blueprint(bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(status_bp)
    app.register_blueprint(approval_links_bp)
    app.register_blueprint(survey_links_bp)
    _register_pages(app)
    app.extensions["ui_error"] = _error_page
    app.jinja_env.globals.update(hub_version=__version__, current_user=current_user, nav_items=nav_items)
    app.jinja_env.filters.update(when=when, duration=duration, local_input=local_input, with_article=with_article)
    app.jinja_env.globals.update(viewer_zone=zone_label)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/api/") or request.path.startswith("/api/v1/docs"):
            response.headers.setdefault("X-Frame-Options", "DENY")
            if response.mimetype == "text/html" and not request.path.startswith("/api/v1/docs"):
                response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            if g.get("principal") is not None:
                response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_pages(app: Flask) -> None:
    """The agents' and admins' pages (imported here: their modules attach views to the blueprints)."""
    # The admin_*, ticket_files, tickets_bulk, tickets_new and tickets_page modules add their views to these two
    # blueprints.
    from hub.ui import (  # noqa: F401
        admin,
        admin_changes,
        admin_cis,
        admin_events,
        admin_fields,
        admin_groups,
        admin_instances,
        admin_org,
        admin_org_pages,
        admin_plugins,
        admin_users,
        change_calendar,
        change_tasks,
        customer_risk,
        customers,
        major_page,
        ticket_files,
        ticket_links_page,
        tickets,
        tickets_bulk,
        tickets_export,
        tickets_new,
        tickets_page,
    )
    from hub.ui.canned import picker

    app.jinja_env.globals["canned_picker"] = picker
    from hub.ui.profile import bp as profile_bp

    app.register_blueprint(tickets.bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(admin.bp)


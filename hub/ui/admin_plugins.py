"""Admin pages for plugins: what is installed, the switches, failures, and settings forms."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from hub.api.context import reading, runtime, unit_of_work
from hub.plugins.admin import get_plugin, list_plugins, present_settings, set_enabled, settings_schema, update_settings
from hub.plugins.presence import RestartNote, cached_restart_notes
from hub.sdk.schema import describe
from hub.sdk.tracker_errors import ValidationFailed
from hub.ui.admin import bp
from hub.ui.auth import current_user, login_required
from hub.ui.forms import config_fields, config_from_form, field_errors, flashing_errors


@bp.get("/plugins")
@login_required("admin")
def plugins() -> Any:
    with reading() as session:
        views = list_plugins(session)
    with_settings = {view.name for view in views if settings_schema(runtime(), view.name) is not None}
    return render_template("ui/admin/plugins.html", plugins=views, with_settings=with_settings)


@bp.app_context_processor
def restart_banner() -> dict[str, Any]:
    """``restart_notices()`` for every page: what needs a restart, for admins only."""

    def restart_notices() -> list[RestartNote]:
        user = current_user()
        if user is None or not user.can("admin"):
            return []
        return cached_restart_notes(runtime())

    return {"restart_notices": restart_notices}


@bp.post("/plugins/<name>/enabled")
@login_required("admin")
def plugin_switch(name: str) -> Any:
    enabled = request.form.get("enabled") == "1"
    done = None
    with flashing_errors(), unit_of_work() as session:
        view = set_enabled(session=session, name=name, enabled=enabled)
        done = f"{view.name} is {'enabled' if enabled else 'disabled'}; every process follows within seconds."
        if view.restart_needed:
            done += f" Restart needed: {view.restart_needed}."
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.plugins") + f"#plugin-{name}")


@bp.route("/plugins/<name>/settings", methods=["GET", "POST"])
@login_required("admin")
def plugin_settings(name: str) -> Any:
    with reading() as session:
        plugin = get_plugin(session, name)
        schema = settings_schema(runtime(), name)
        if schema is None:
            flash(f"{name} has no settings.", "info")
            return redirect(url_for("ui_admin.plugins"))
        current = present_settings(session, name)
    infos = describe(schema)
    stored = {info.name for info in infos if info.secret and current["settings"].get(info.name)}
    errors: dict[str, list[str]] = {}
    submitted = None
    if request.method == "POST":
        settings, errors = config_from_form(infos, request.form)
        submitted = request.form.to_dict()
        if not errors:
            try:
                with unit_of_work() as session:
                    update_settings(session=session, name=name,
                                    settings={k: v for k, v in settings.items() if v is not None})
                flash(f"Saved the settings of {name}.", "success")
                return redirect(url_for("ui_admin.plugin_settings", name=name))
            except ValidationFailed as exc:
                errors = field_errors(exc, "settings.")
    fields = config_fields(infos, current["settings"], errors, stored, submitted)
    status = 422 if errors else 200
    return render_template("ui/admin/plugin_settings.html", plugin=plugin, fields=fields, errors=errors), status

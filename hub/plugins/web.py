"""Mounting plugins' blueprints, each behind its plugin's switch."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.exceptions import NotFound

from hub.core.runtime import Runtime


def mount_plugin_blueprints(app: Flask, runtime: Runtime) -> None:
    plugins = runtime.plugins
    if not plugins.has_impls("register_blueprints"):
        return
    api = app.extensions.get("hub.api")
    for impl in reversed(plugins.hook.register_blueprints.get_hookimpls()):
        plugin_name = impl.plugin_name
        blueprints: list[Blueprint] = impl.function() or []
        for blueprint in blueprints:
            if plugins.records[plugin_name].kind != "core":
                _guard(blueprint, runtime, plugin_name)
            # flask-smorest blueprints join the OpenAPI document; plain ones are mounted as is.
            if api is not None and hasattr(blueprint, "_docs"):
                api.register_blueprint(blueprint)
            else:
                app.register_blueprint(blueprint)


def _guard(blueprint: Blueprint, runtime: Runtime, plugin_name: str) -> None:
    def plugin_switched_on() -> None:
        if not runtime.plugins.is_enabled(plugin_name):
            raise NotFound(f"The plugin {plugin_name} is disabled.")

    blueprint.before_request(plugin_switched_on)

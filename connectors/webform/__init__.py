"""Web forms: admin-defined public forms whose submissions become tickets (docs/connectors/webform.md)."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.webform.connector import WebformConnector

    return [WebformConnector]


@hookimpl
def register_blueprints() -> list[Any]:
    from connectors.webform.builder import make_builder_blueprint
    from connectors.webform.views import make_blueprint

    return [make_blueprint(), make_builder_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem

    return [MenuItem("Web forms", "webform_admin.forms", "admin", order=91)]


@hookimpl
def enrich_ticket(draft: Any, instance: Any, session: Any) -> None:
    if instance is not None and instance.connector == "webform" and draft.action == "open" and draft.department:
        from connectors.webform.references import keep_known_department

        keep_known_department(session, draft, instance)

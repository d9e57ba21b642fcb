"""Issue 21 point 7: every setting of the organisation, references, notifications, mail and
languages is on its schema-generated form and in docs/admin.md.

A field added to one of these schemas without an input on its page, or without a line in
the admin guide's "Settings at a glance", fails here by name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape

from tests.hub.ui.conftest import Browser, add_user

ADMIN_GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "admin.md").read_text()
#: (page, "module:Schema") for each schema-generated form issue 21 added settings to.
FORMS = [
    ("/admin/instances/new?connector=smtp", "connectors.email.config:SmtpOnlyConfig"),
    ("/admin/instances/new?connector=webform", "connectors.webform.config:WebformConfig"),
    ("/admin/plugins/agent-notify/settings", "plugins.agent_notify.settings:AgentNotifySettings"),
    ("/admin/plugins/notify/settings", "plugins.notify:NotifySettings"),
    ("/admin/plugins/hub.customer-risk/settings", "hub.app.customer_risk_hooks:RiskSettings"),
    ("/admin/plugins/routing/settings", "plugins.routing.rules:RoutingSettings"),
    ("/admin/plugins/sla/settings", "plugins.sla.settings:SlaSettings"),
]
#: The operator's settings for languages and time (issue 21 point 6).
LANGUAGE_SETTINGS = ("HUB_LANGUAGES", "HUB_DEFAULT_LANGUAGE", "HUB_TIMEZONE")


def fields_of(dotted: str) -> list[Any]:
    import importlib

    from hub.sdk.schema import describe

    module, name = dotted.split(":")
    return describe(getattr(importlib.import_module(module), name))


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("email", "connectors.email"), ("webform", "connectors.webform"),
                             ("agent-notify", "plugins.agent_notify"), ("notify", "plugins.notify"),
                             ("routing", "plugins.routing"), ("sla", "plugins.sla")]
    return app_config


@pytest.mark.parametrize(("page", "schema"), FORMS, ids=[schema.rsplit(":", 1)[1] for _, schema in FORMS])
def test_every_setting_is_in_the_admin_guide(page: str, schema: str) -> None:
    missing = [f"{info.title} ({info.name})" for info in fields_of(schema) if f"**{info.title}**" not in ADMIN_GUIDE]
    assert not missing, f"docs/admin.md does not name these settings of {schema}: {missing}"


@pytest.mark.parametrize(("page", "schema"), FORMS, ids=[schema.rsplit(":", 1)[1] for _, schema in FORMS])
def test_every_setting_has_a_labelled_input_on_its_form(app: Flask, page: str, schema: str) -> None:
    add_user(app, "admin1", "admin")
    html = Browser(app, "admin1").get(page).get_data(as_text=True)
    for info in fields_of(schema):
        # The page escapes the title as Jinja does (an apostrophe is &#39;).
        assert re.search(rf'<label for="config-{info.name}">\s*{re.escape(str(escape(info.title)))}', html), \
            f"{page} has no labelled input for {info.name} ({info.title})"
        assert re.search(rf'<(input|select|textarea)[^>]*\bid="config-{info.name}"', html), \
            f"{page} has no input for {info.name}"


def test_the_language_settings_are_in_the_admin_guide() -> None:
    for name in LANGUAGE_SETTINGS:
        assert f"`{name}`" in ADMIN_GUIDE, name

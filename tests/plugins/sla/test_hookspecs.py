"""The SLA plugin declares its own hooks (register_hookspecs), documented in docs/hooks.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.app.docs_gen import hook_functions, plugin_hooks_sections, render_hooks_reference
from hub.core.runtime import Runtime
from plugins.sla import hookspecs

ROOT = Path(__file__).resolve().parents[3]


def test_sla_hooks_are_declared_by_the_plugin_not_the_core() -> None:
    from hub import hookspecs as core

    assert [name for name, _, _ in hook_functions(hookspecs)] == ["sla_warning", "sla_breached"]
    assert not {"sla_warning", "sla_breached"} & {name for name, _, _ in hook_functions(core)}


def test_the_hooks_page_lists_them_with_their_exact_signatures() -> None:
    sections = plugin_hooks_sections(ROOT / "docs" / "hooks.md")
    assert sections["plugins.sla.hookspecs"] == render_hooks_reference(hookspecs), \
        "docs/hooks.md is stale: run `itsm-hub config docs`"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla")]
    return app_config


def test_a_loaded_sla_plugin_declares_them(runtime: Runtime) -> None:
    assert runtime.plugins.declared_hooks == {"sla_warning": "sla", "sla_breached": "sla"}

"""hub.sdk.services: SDK 1.0's names still work until 2.0, each warning with its replacement,
and importing the module (or the new services) loads nothing of the core."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings

import pytest

import hub.sdk.services as old

CORE = ("hub.api", "hub.app", "hub.auth", "hub.cli", "hub.core", "hub.delivery", "hub.ingest", "hub.jobs",
        "hub.models", "hub.plugins", "hub.sync", "hub.tracker", "hub.ui")
WARNED = sorted(set(old._MOVED) - old._NOT_YET_WARNED)


@pytest.mark.parametrize("module", ["hub.sdk.services", "hub.sdk.hub_services", "hub.sdk"])
def test_importing_the_sdks_services_loads_nothing_of_the_core(module: str) -> None:
    run = subprocess.run([sys.executable, "-W", "error", "-c", f"import sys, {module}; "
                          "print(sorted(name for name in sys.modules if name.startswith('hub.')))"],
                         capture_output=True, text=True, timeout=60, check=True)
    loaded = ast.literal_eval(run.stdout)
    assert not [name for name in loaded if name.startswith(CORE)], loaded
    assert module in loaded or module == "hub.sdk"


@pytest.mark.parametrize("name", WARNED)
def test_each_old_name_warns_naming_its_replacement_and_is_still_the_same_object(name: str) -> None:
    module, instead = old._MOVED[name]
    with pytest.warns(DeprecationWarning, match=rf"hub\.sdk\.services\.{name} is deprecated .* 2\.0; use ") as caught:
        value = getattr(old, name)
    assert instead in str(caught[0].message)
    assert caught[0].filename == __file__  # pointed at the caller's line, not at hub.sdk
    assert value is getattr(importlib.import_module(module), name)


def test_from_import_warns_too() -> None:
    with pytest.warns(DeprecationWarning, match="hub.sdk.hub_services.get_instance"):
        from hub.sdk.services import get_instance  # noqa: F401


@pytest.mark.parametrize("name", sorted(old._NOT_YET_WARNED))
def test_the_names_the_insights_plugin_still_imports_do_not_warn_yet(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(old, name) is getattr(importlib.import_module("hub.models"), name)


def test_the_old_names_are_listed_and_an_unknown_name_is_an_attribute_error() -> None:
    assert set(old._MOVED) <= set(dir(old))
    assert old.__all__ == []  # a star import takes nothing deprecated
    with pytest.raises(AttributeError, match="no attribute 'Nonsense'"):
        old.Nonsense


def test_every_name_sdk_1_0_exported_here_is_still_provided() -> None:
    # hub.sdk.services's __all__ in SDK 1.0.0: removing one needs SDK 2.0.
    exported_in_1_0 = {
        "Category", "ConfigurationItem", "ConnectorInstance", "Department", "Group", "Ticket", "build_connector",
        "create_instance", "first_unstorable", "get_instance", "ingest", "json_ready", "list_instances",
        "present_instance", "present_settings", "runtime_of", "update_instance", "update_settings"}
    assert exported_in_1_0 <= set(old._MOVED)

"""The plugin manager: discovery through entry points, isolation, and the admin's switches.

``get_plugin_manager()`` builds one :class:`HubPlugins` per app (kept in
``app.extensions``, never in a module global). Each plugin's hook implementations are
wrapped so that

- an exception is caught, logged with the plugin and the hook, counted, and the call
  goes on as if the plugin had returned None (a plugin never loses an event);
- a plugin an admin disabled is skipped, in every process, within
  ``HUB_PLUGIN_REFRESH_SECONDS`` of the switch, without a restart; a third-party plugin
  (one not shipped in the hub's own distribution) is disabled until an admin enables it;
- an implementation that takes the ``session`` runs in a savepoint, so a failed write of
  a plugin is undone without undoing the change that called it; or, where the caller holds
  one savepoint for all hooks (``hooks_share_savepoint``: ingest), its failure raises
  ``HookFailed`` and the caller does the work again with a savepoint per hook.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pluggy

from hub import hookspecs
from hub.core.runtime import HookFailed, current_hook_session, held_hook_failures
from hub.plugins.failures import FailureLog
from hub.plugins.installs import (
    CONFIGURED,
    CORE,
    THIRD_PARTY,
    InstallWatch,
    installed_entry_points,
    same_distribution,
)
from hub.sdk.errors import SkippableError
from hub.tracker.held_writes import held_writes

if TYPE_CHECKING:

    from hub.sdk.connector import Connector

log = logging.getLogger("hub.plugins")
trace_log = logging.getLogger("hub.plugins.trace")

#: Hooks that run at start-up for every installed plugin, enabled or not, so that
#: enabling a plugin later needs no restart (its routes and schedules already exist and
#: check the switch when they run).
REGISTRATION_HOOKS = frozenset(
    {"register_connectors", "register_blueprints", "register_commands", "register_schedules", "startup",
     "register_hookspecs"}
)

#: Plugins the hub always loads: its own default behaviour, built on the same hooks.
#: Name -> module. The name stays "hub.builtins" though the module moved to hub/app/:
#: plugin names are stored (plugin settings, enabled flags) and appear in admin URLs.
#: "hub.customer-risk" is the customers-at-risk rules: a core plugin so admins edit its
#: thresholds on the plugin settings page, and nobody switches the flags off by accident.
CORE_PLUGINS = {"hub.builtins": "hub.app.builtins", "hub.customer-risk": "hub.app.customer_risk_hooks"}

@dataclass
class PluginRecord:
    """An installed plugin as the admin sees it."""

    name: str
    module: str
    kind: str = "feature"
    """``core``, ``connector`` or ``feature``."""
    version: str | None = None
    distribution: str | None = None
    origin: str = CONFIGURED
    """``core``, ``built-in``, ``configured`` or ``third-party`` (hub.plugins.installs)."""
    description: str = ""
    error: str | None = None
    """Why the plugin could not be loaded; None when it loaded."""
    hooks: list[str] = field(default_factory=list)
    connectors: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.error is None


def _argnames(function: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments pluggy passes an implementation, in order: those without a default."""
    parameters = inspect.signature(function).parameters.values()
    return tuple(p.name for p in parameters
                 if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


class _Guarded:
    """What pluggy registers for a feature or connector plugin: the plugin's hook functions,
    each wrapped by HubPlugins._guard, under their own attribute names and markers."""

    def __init__(self, plugin: object, functions: dict[str, Callable[..., Any]]) -> None:
        self.plugin = plugin
        self.__name__ = getattr(plugin, "__name__", type(plugin).__name__)
        for attr, function in functions.items():
            setattr(self, attr, function)


class HubPlugins:
    """The pluggy manager of one app, with the records and switches around it."""

    def __init__(self, *, refresh_seconds: float = 2.0, enable_new: bool = False) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.declared_hooks: dict[str, str] = {}
        """Hooks plugins declared (``register_hookspecs``) -> the declaring plugin's name."""
        self._spec_sources: list[object] = []
        self.records: dict[str, PluginRecord] = {}
        self.connectors: dict[str, type[Connector]] = {}
        self.connector_plugin: dict[str, str] = {}
        self.failures = FailureLog()
        self.refresh_seconds = refresh_seconds
        self.enable_new = enable_new
        """HUB_ENABLE_NEW_PLUGINS: third-party plugins start enabled (development machines)."""
        self.installs: InstallWatch | None = None
        """What is installed compared with what loaded; None when entry points are not read."""
        self._disabled: frozenset[str] = frozenset()
        self._disabled_read_at = float("-inf")
        self._load_states: Callable[[], Iterable[tuple[str, bool, str | None]]] | None = None
        self._impl_counts: dict[str, int] = {}
        self.tracing = False

    # -- registration ------------------------------------------------------------------

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def register(self, plugin: object, name: str, *, kind: str | None = None, **info: Any) -> PluginRecord:
        """Register one plugin object, validate its hooks and wrap them; never raises."""
        module = getattr(plugin, "__name__", type(plugin).__name__)
        record = PluginRecord(name=name, module=module, **info)
        self.records[name] = record
        refused = self.declare_hookspecs(plugin, name)
        if refused:
            record.error = refused
            log.error("plugin %s refused: %s", name, record.error)
            return record
        # attribute name -> (hook name, pluggy's hookimpl options), found as pluggy finds them
        found = {attr: self.pm.parse_hookimpl_opts(plugin, attr) for attr in dir(plugin)}
        impls = {attr: (opts.get("specname") or attr, opts) for attr, opts in found.items() if opts is not None}
        # ``optionalhook`` (pluggy's own option) marks an implementation of a hook another
        # plugin may declare: the SLA plugin's sla_breached, heard by a plugin that works
        # without it. It waits unverified instead of refusing the plugin.
        unknown = sorted(hook_name for hook_name, opts in impls.values()
                         if hook_name not in self._spec_names() and not opts.get("optionalhook"))
        if unknown:
            hook_name = unknown[0]
            close = difflib.get_close_matches(hook_name, self._spec_names(), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            record.error = f"unknown hook {hook_name!r}{hint}"
            log.error("plugin %s refused: %s", name, record.error)
            return record
        record.hooks = sorted(hook_name for hook_name, _ in impls.values())
        record.kind = kind or ("connector" if "register_connectors" in record.hooks else "feature")
        if not record.description:
            record.description = _first_line(getattr(plugin, "__doc__", None))
        # The hub's own implementations are not wrapped: their errors are the hub's bugs or
        # deliberate signals (a connector's SkippableError) and must reach the caller. Other
        # plugins are registered through a stand-in holding guarded copies of their hook
        # functions (pluggy's HookImpl.function is Final: it is never reassigned).
        registered = plugin if record.kind == "core" else _Guarded(plugin, {
            attr: function if (opts.get("hookwrapper") or opts.get("wrapper")) else
            self._guard(function, name, hook_name, _argnames(function), record.kind)
            for attr, (hook_name, opts) in impls.items()
            for function in [getattr(plugin, attr)]})
        try:
            self.pm.register(registered, name=name)
        except Exception as exc:  # pluggy's validation names the hook and the arguments
            record.error = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s refused: %s", name, record.error)
            return record
        self._impl_counts.clear()
        return record

    def declare_hookspecs(self, plugin: object, name: str) -> str | None:
        """Add the hook specifications ``plugin`` declares (its ``register_hookspecs``), once;
        returns why they were refused, or None."""
        function = getattr(plugin, "register_hookspecs", None)
        if function is None or getattr(function, f"{hookspecs.PROJECT}_impl", None) is None:
            return None
        try:
            for source in list(function() or []):
                if any(source is seen for seen in self._spec_sources):
                    continue
                before = self._spec_names()
                self.pm.add_hookspecs(source)  # refuses a hook that already has a spec
                self._spec_sources.append(source)
                for hook_name in self._spec_names() - before:
                    self.declared_hooks[hook_name] = name
        except Exception as exc:
            return f"hookspecs refused: {type(exc).__name__}: {exc}"
        return None

    def register_failed(self, name: str, module: str, error: str, **info: Any) -> PluginRecord:
        record = PluginRecord(name=name, module=module, error=error, **info)
        self.records[name] = record
        log.error("plugin %s failed to load: %s", name, error)
        return record

    def _spec_names(self) -> set[str]:
        return {name for name, caller in vars(self.pm.hook).items()
                if not name.startswith("_") and caller.has_spec()}

    def _guard(self, function: Callable[..., Any], plugin: str, hook_name: str,
               argnames: tuple[str, ...], kind: str) -> Callable[..., Any]:
        check_switch = hook_name not in REGISTRATION_HOOKS and kind != "core"
        uses_session = "session" in argnames
        failures = self.failures

        def guarded(*args: Any) -> Any:
            if check_switch and not self.is_enabled(plugin):
                return None
            session = current_hook_session() if uses_session else None
            held = held_hook_failures()
            try:
                if session is not None and held is None:
                    with session.begin_nested():
                        return function(*args)
                result = function(*args)
                if session is not None and held_writes(session) is None:  # (a batch flushes at its end)
                    session.flush()  # as a savepoint's release would: a bad row is this plugin's failure
                return result
            except SkippableError:
                raise  # a deliberate "quarantine this event", not a fault of the plugin
            except Exception as exc:
                if held is None:
                    failures.record(plugin, hook_name, exc)
                elif session is not None:
                    # Its writes so far cannot be undone alone: the caller's savepoint can.
                    raise HookFailed(plugin, hook_name) from exc
                else:
                    held.append((plugin, hook_name, exc))  # recorded once the caller's work stands
                return None

        # pluggy reads the hookimpl options and, through __wrapped__, the argument names
        functools.update_wrapper(guarded, function)
        return guarded

    def finish(self) -> None:
        """Collect the connectors and check that every hook implementation has a spec."""
        for name, record in list(self.records.items()):
            if not record.loaded:
                continue
            plugin = self.pm.get_plugin(name)
            caller = self.pm.hook.register_connectors
            impls = [impl for impl in caller.get_hookimpls() if impl.plugin is plugin]
            for impl in impls:
                classes = cast(list[Any], impl.function() or [])
                for cls in classes:
                    slug = getattr(cls, "slug", None)
                    if not slug:
                        record.error = f"connector class {cls.__name__} has no slug"
                        continue
                    if slug in self.connectors and self.connector_plugin[slug] != name:
                        record.error = (
                            f"connector slug {slug!r} is already provided by plugin {self.connector_plugin[slug]!r}"
                        )
                        continue
                    self.connectors[slug] = cls
                    self.connector_plugin[slug] = name
                    record.connectors.append(slug)
        self.pm.check_pending()

    # -- switches ------------------------------------------------------------------------

    def use_switch_source(self, load_states: Callable[[], Iterable[tuple[str, bool, str | None]]]) -> None:
        """Tell the manager where to read the admins' switches from: (name, enabled,
        distribution the switch was set for) for every plugin that has one."""
        self._load_states = load_states
        self._disabled_read_at = float("-inf")

    def refresh_switches_soon(self) -> None:
        """Read the switches again on next use (this process just changed one)."""
        self._disabled_read_at = float("-inf")

    def is_enabled(self, name: str) -> bool:
        if self._load_states is not None and time.monotonic() - self._disabled_read_at >= self.refresh_seconds:
            self.refresh_switches()
        return name not in self._disabled

    def refresh_switches(self) -> None:
        if self._load_states is None:
            return
        try:
            self._disabled = self.disabled_given(self._load_states())
        except Exception:  # the database may be briefly away; keep the last known switches
            log.warning("could not read plugin switches; keeping the last known ones", exc_info=True)
        self._disabled_read_at = time.monotonic()

    def default_enabled(self, name: str) -> bool:
        """Whether a plugin no admin has switched runs: all but third-party ones, unless
        HUB_ENABLE_NEW_PLUGINS trusts every installed package."""
        record = self.records.get(name)
        return record is None or record.origin != THIRD_PARTY or self.enable_new

    def disabled_given(self, states: Iterable[tuple[str, bool, str | None]]) -> frozenset[str]:
        """The plugins that are off, given the stored switches. A switch set for another
        distribution than the one now providing the name does not count: enabling
        ``acme`` from one package never enables a different package that took its name."""
        decided: dict[str, bool] = {}
        for name, enabled, distribution in states:
            record = self.records.get(name)
            if record is None or same_distribution(distribution, record.distribution):
                decided[name] = enabled
        names = set(self.records) | set(decided)
        return frozenset(name for name in names if not decided.get(name, self.default_enabled(name)))

    def has_impls(self, hook_name: str) -> bool:
        """True when any plugin implements the hook: callers skip building arguments if not.

        While tracing, every hook is called, so the trace shows the whole flow.
        """
        if self.tracing:
            return True
        count = self._impl_counts.get(hook_name)
        if count is None:
            count = len(getattr(self.pm.hook, hook_name).get_hookimpls())
            self._impl_counts[hook_name] = count
        return count > 0

    def plugin_of_connector(self, slug: str) -> str | None:
        return self.connector_plugin.get(slug)

    def enable_tracing(self) -> None:
        self.pm.trace.root.setwriter(lambda message: trace_log.info(message.rstrip()))
        self.pm.enable_tracing()
        self.tracing = True


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


def get_plugin_manager(
    *,
    load_entrypoints: bool = True,
    only: Iterable[str] = (),
    extra: Iterable[tuple[str, object]] = (),
    refresh_seconds: float = 2.0,
    trace: bool = False,
    enable_new: bool = False,
) -> HubPlugins:
    """Build the plugin manager: the core plugins, then entry points, then ``extra``.

    ``only`` restricts which entry-point plugins load (``HUB_LOAD_PLUGINS``). A plugin
    that fails to import is recorded with its error; the others load regardless.
    ``enable_new`` (``HUB_ENABLE_NEW_PLUGINS``) lets third-party plugins run before an
    admin enabled them.
    """
    plugins = HubPlugins(refresh_seconds=refresh_seconds, enable_new=enable_new)
    for name, module_name in CORE_PLUGINS.items():
        plugins.register(importlib.import_module(module_name), name, kind="core", origin=CORE,
                         description="The hub's own default behaviour")
    # Load every plugin first and read the hooks each declares, so a plugin implementing
    # another's hook (sla_warning) is accepted whichever of the two loads first.
    loaded: list[tuple[object, str, dict[str, Any]]] = []
    if load_entrypoints:
        found = installed_entry_points(only)
        plugins.installs = InstallWatch((installed for installed, _ in found), only)
        for installed, entry_point in found:
            if installed.name in plugins.records:
                continue  # a core plugin's name
            info = {"distribution": installed.distribution, "version": installed.version,
                    "origin": installed.origin}
            try:
                plugin = entry_point.load()
            except Exception as exc:
                plugins.register_failed(installed.name, installed.value, f"{type(exc).__name__}: {exc}", **info)
                continue
            loaded.append((plugin, installed.name, info))
    for name, plugin in extra:
        if isinstance(plugin, str):
            try:
                plugin = importlib.import_module(plugin)
            except Exception as exc:
                plugins.register_failed(name, str(plugin), f"{type(exc).__name__}: {exc}")
                continue
        version = getattr(plugin, "__version__", None) if isinstance(plugin, ModuleType) else None
        loaded.append((plugin, name, {"version": version}))
    for plugin, name, _ in loaded:
        plugins.declare_hookspecs(plugin, name)  # a refusal is recorded when it registers
    for plugin, name, info in loaded:
        plugins.register(plugin, name, **info)
    plugins.finish()
    plugins._disabled = plugins.disabled_given(())  # until the switches are read
    if trace:
        plugins.enable_tracing()
    return plugins

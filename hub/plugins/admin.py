"""Admin services for plugins: the catalog, the switches, and the failures hooks raised."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.core.runtime import Runtime, runtime_of
from hub.models import PluginState
from hub.plugins import references
from hub.plugins.installs import CONFIGURED, Installed
from hub.plugins.manager import PluginRecord
from hub.plugins.presence import RestartNote, restart_notes
from hub.sdk.schema import json_ready
from hub.sdk.tracker_errors import Conflict, NotFound

log = logging.getLogger("hub.plugins")


@dataclass
class PluginView:
    name: str
    kind: str
    version: str | None
    distribution: str | None
    description: str
    status: str
    """``enabled``, ``disabled``, ``failed``, or ``not loaded`` (installed after this process started)."""
    error: str | None
    hooks: list[str]
    connectors: list[str]
    failure_count: int
    last_failure: str | None
    last_failure_hook: str | None
    last_failure_at: datetime | None
    origin: str = CONFIGURED
    """``core``, ``built-in``, ``configured`` or ``third-party``."""
    first_seen_at: datetime | None = None
    restart_needed: str | None = None
    """Why processes must restart for this plugin (installed, upgraded or removed since they started)."""
    restart_processes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_plugins(session: Session) -> list[PluginView]:
    """Every plugin this process loaded or sees installed, with its switch and whether
    running processes need a restart for it."""
    runtime = runtime_of(session)
    plugins = runtime.plugins
    states = {state.name: state for state in session.scalars(select(PluginState))}
    disabled = plugins.disabled_given((state.name, state.enabled, state.distribution) for state in states.values())
    notes: dict[str, list[RestartNote]] = {}
    for note in restart_notes(session):
        notes.setdefault(note.plugin, []).append(note)
    views = [_view(name, record, states.get(name), disabled) for name, record in plugins.records.items()]
    installed = plugins.installs.installed if plugins.installs is not None else {}
    views += [_not_loaded(found, states.get(name)) for name, found in installed.items() if name not in plugins.records]
    for view in views:
        for note in notes.get(view.name, []):
            view.restart_needed = "; ".join(filter(None, [view.restart_needed, note.text]))
            view.restart_processes += [name for name in note.processes if name not in view.restart_processes]
    return sorted(views, key=lambda view: view.name)


def _view(name: str, record: PluginRecord, state: PluginState | None, disabled: frozenset[str]) -> PluginView:
    status = "failed" if not record.loaded else ("disabled" if name in disabled else "enabled")
    return PluginView(
        name=name, kind=record.kind, version=record.version, distribution=record.distribution,
        description=record.description, status=status, error=record.error, hooks=record.hooks,
        connectors=record.connectors, failure_count=state.failure_count if state else 0,
        last_failure=state.last_failure if state else None,
        last_failure_hook=state.last_failure_hook if state else None,
        last_failure_at=state.last_failure_at if state else None, origin=record.origin,
        first_seen_at=state.first_seen_at if state else None,
    )


def _not_loaded(found: Installed, state: PluginState | None) -> PluginView:
    """A plugin installed after this process started: only its package's metadata is known."""
    return PluginView(
        name=found.name, kind="unknown", version=found.version, distribution=found.distribution,
        description="", status="not loaded",
        error=None, hooks=[], connectors=[], failure_count=0, last_failure=None, last_failure_hook=None,
        last_failure_at=None, origin=found.origin, first_seen_at=state.first_seen_at if state else None,
    )


def get_plugin(session: Session, name: str) -> PluginView:
    for view in list_plugins(session):
        if view.name == name:
            return view
    raise NotFound(f"No plugin {name!r} is installed.")


def set_enabled(*, session: Session, name: str, enabled: bool) -> PluginView:
    """Switch a plugin on or off; every process follows within HUB_PLUGIN_REFRESH_SECONDS."""
    runtime = runtime_of(session)
    record = runtime.plugins.records.get(name)
    if record is None:
        installs = runtime.plugins.installs
        if installs is not None and name in installs.installed:
            raise Conflict(f"{name} was installed after this process started: restart the hub to load it, "
                           "then enable it.")
        raise NotFound(f"No plugin {name!r} is installed.")
    if record.kind == "core":
        raise Conflict(f"{name} is part of the hub's core and cannot be switched off.")
    if not record.loaded and enabled:
        raise Conflict(f"{name} failed to load ({record.error}); fix that and restart first.")
    state = session.get(PluginState, name)
    if state is None:
        state = PluginState(name=name, enabled=enabled, updated_at=runtime.now())
        session.add(state)
    else:
        state.enabled = enabled
        state.updated_at = runtime.now()
    # The switch is for the package that provides the plugin now, and no other.
    state.distribution = record.distribution
    session.flush()
    runtime.plugins.refresh_switches_soon()
    return get_plugin(session, name)


def new_state(runtime: Runtime, name: str, **values: Any) -> PluginState:
    """A row for a plugin no admin has switched yet: on or off as its origin says."""
    record = runtime.plugins.records.get(name)
    return PluginState(name=name, enabled=runtime.plugins.default_enabled(name),
                       distribution=record.distribution if record else None, **values)


def flush_failures(runtime: Runtime) -> None:
    """Write hook failures collected in this process to the plugins' admin records.

    Failures are collected in memory while the failing transaction runs and written
    afterwards in a transaction of their own, so recording one never depends on (or
    blocks) the change that was being made.
    """
    pending = runtime.plugins.failures.take()
    if not pending:
        return
    try:
        with runtime.db.transaction() as session:
            for failure in pending:
                state = session.get(PluginState, failure.plugin)
                if state is None:
                    state = new_state(runtime, failure.plugin, failure_count=0, updated_at=failure.at)
                    session.add(state)
                    session.flush()
                session.execute(
                    update(PluginState)
                    .where(PluginState.name == failure.plugin)
                    .values(failure_count=PluginState.failure_count + 1, last_failure=failure.error,
                            last_failure_hook=failure.hook, last_failure_at=failure.at)
                )
    except Exception:
        log.warning("could not record %d plugin failures", len(pending), exc_info=True)


SETTINGS_CACHE_SECONDS = 2.0


def settings_schema(runtime: Runtime, name: str) -> Any:
    """The schema class a plugin declared for its settings, or None."""
    for impl in runtime.plugins.hook.declare_settings.get_hookimpls():
        if impl.plugin_name == name:
            return impl.function()
    return None


def effective_settings(session: Session, name: str) -> dict[str, Any]:
    """The plugin's stored settings loaded through its schema (defaults filled in)."""
    import time

    runtime = runtime_of(session)
    cache = runtime.caches.setdefault("plugin_settings", {})
    hit = cache.get(name)
    if hit is not None and time.monotonic() - hit[0] < SETTINGS_CACHE_SECONDS:
        return dict(hit[1])
    state = session.get(PluginState, name)
    stored = dict(state.settings or {}) if state is not None else {}
    schema = settings_schema(runtime, name)
    if schema is not None:
        secrets = _secret_fields(schema)
        sealed = stored.pop("__secrets__", None)
        if sealed:
            stored.update(runtime.secrets.open(sealed))
        known = {field.data_key or key for key, field in schema().fields.items()}
        stored = {key: value for key, value in stored.items() if key in known or key in secrets}
        import marshmallow as ma

        try:
            stored = dict(schema().load(stored))
        except ma.ValidationError:
            log.warning("stored settings of %s no longer load; using what loads", name)
    cache[name] = (time.monotonic(), stored)
    return dict(stored)


def _secret_fields(schema: Any) -> set[str]:
    from hub.sdk.schema import secret_names

    return secret_names(schema)


def present_settings(session: Session, name: str) -> dict[str, Any]:
    """Settings as admins see them: secrets masked."""
    from hub.sdk.schema import SECRET_MASK, describe

    get_plugin(session, name)
    runtime = runtime_of(session)
    schema = settings_schema(runtime, name)
    values = effective_settings(session, name)
    fields = describe(schema) if schema is not None else []
    for info in fields:
        if info.secret:
            values[info.name] = SECRET_MASK if values.get(info.name) else None
    return {"plugin": name, "settings": values, "fields_": [info.__dict__ for info in fields]}


def update_settings(*, session: Session, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Validate and store a plugin's settings (secrets sent back masked keep their value)."""
    import marshmallow as ma

    from hub.sdk.schema import SECRET_MASK
    from hub.sdk.tracker_errors import ValidationFailed

    get_plugin(session, name)
    runtime = runtime_of(session)
    schema = settings_schema(runtime, name)
    if schema is None:
        raise Conflict(f"{name} has no settings.")
    secrets = _secret_fields(schema)
    current = effective_settings(session, name)
    given = dict(settings)
    for field_name in secrets:
        if given.get(field_name) in (None, SECRET_MASK) and current.get(field_name):
            given[field_name] = current[field_name]
    try:
        loaded = dict(schema().load(given))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"settings": exc.messages}
        raise ValidationFailed({f"settings.{key}": value if isinstance(value, list) else [str(value)]
                                for key, value in messages.items()}) from None
    hidden = {key: loaded.pop(key) for key in list(loaded) if key in secrets and loaded[key] is not None}
    # Stored as the schema writes it (data keys such as "continue", not attribute names such
    # as "continue_"), so the next load takes it back unchanged.
    stored = json_ready(schema(partial=True).dump(loaded))
    state = session.get(PluginState, name)
    _check_references(session, schema, stored, state.settings if state is not None else None)
    if hidden:
        stored["__secrets__"] = runtime.secrets.seal(hidden)
    if state is None:
        state = new_state(runtime, name, settings=stored, updated_at=runtime.now())
        session.add(state)
    else:
        state.settings = stored
        state.updated_at = runtime.now()
    session.flush()
    runtime.caches.get("plugin_settings", {}).pop(name, None)
    references.forget_counts(session, name)
    return present_settings(session, name)


def _check_references(session: Session, schema: Any, stored: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Refuse names of departments, groups, ... that do not exist (hub.plugins.references)."""
    from hub.sdk.tracker_errors import ValidationFailed

    errors = references.refused(session, schema, stored, before, "settings.")
    if errors:
        raise ValidationFailed(errors, "The settings name organisation items that do not exist.")

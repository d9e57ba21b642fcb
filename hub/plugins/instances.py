"""Connector instances: configured uses of a connector, with validated config and sealed secrets.

Installed is not enabled: a connector does nothing until an admin adds an instance of it
(two mailboxes are two instances of ``email``) and enables it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import marshmallow as ma
from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.core.runtime import Runtime, runtime_of
from hub.models import ConnectorInstance, InboundEvent, SyncRun
from hub.plugins import references
from hub.sdk.connector import Connector, PollingSource
from hub.sdk.errors import ConnectorError
from hub.sdk.schema import SECRET_MASK, describe, local_secret_names, secret_names
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.sdk.values import InstanceInfo
from hub.tracker.org import id_for, name_for

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MIN_POLL_INTERVAL = 5


def connector_class(runtime: Runtime, slug: str) -> type[Connector]:
    cls = runtime.plugins.connectors.get(slug)
    if cls is None:
        installed = ", ".join(sorted(runtime.plugins.connectors)) or "none"
        raise NotFound(f"No connector {slug!r} is installed (installed: {installed}).")
    return cls


def plugin_not_enabled(runtime: Runtime, connector: str, *, fresh: bool = False) -> str | None:
    """Why a connector cannot run now: its plugin is installed but not enabled (None if it is).

    ``fresh`` reads the switches first (a write that enables an instance must not act on a
    switch another process changed a second ago)."""
    plugin = runtime.plugins.plugin_of_connector(connector)
    if plugin is None:
        return None
    if fresh:
        runtime.plugins.refresh_switches()
    if runtime.plugins.is_enabled(plugin):
        return None
    return f"The plugin {plugin} is installed but not enabled: an admin enables it under Admin → Plugins."


def _refuse_if_plugin_off(runtime: Runtime, connector: str) -> None:
    reason = plugin_not_enabled(runtime, connector, fresh=True)
    if reason:
        raise Conflict(f"{reason} Until then its instances stay disabled.")


def get_instance(session: Session, slug: str) -> ConnectorInstance:
    instance = session.scalar(select(ConnectorInstance).where(ConnectorInstance.slug == slug))
    if instance is None:
        raise NotFound(f"No connector instance {slug!r}.")
    return instance


def _load_config(cls: type[Connector], config: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(cls.config_schema().load(config))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"config": exc.messages}
        errors: dict[str, list[str]] = {}
        _flat_errors(messages, "config", errors)
        raise ValidationFailed(errors, "The connector's configuration is not valid.") from None


def _flat_errors(messages: Any, path: str, out: dict[str, list[str]]) -> None:
    """Nested schema errors (a list of rules, each with its fields) by dotted path:
    ``config.field_map.2.values_in``, so a form can show each where it belongs."""
    if isinstance(messages, dict):
        for name, value in messages.items():
            key = path if name == "_schema" else f"{path}.{name}"
            _flat_errors(value, key, out)
    elif isinstance(messages, list):
        texts = [item for item in messages if not isinstance(item, dict | list)]
        out.setdefault(path, []).extend(str(item) for item in texts)
        for item in messages:
            if isinstance(item, dict | list):
                _flat_errors(item, path, out)
    else:
        out.setdefault(path, []).append(str(messages))


def _split(cls: type[Connector], config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    secrets = secret_names(cls.config_schema)
    plain = {key: value for key, value in config.items() if key not in secrets}
    hidden = {key: value for key, value in config.items() if key in secrets and value is not None}
    return plain, hidden


def _check_schedule(cls: type[Connector], poll_interval: int | None, poll_cron: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if poll_interval is not None and poll_interval < MIN_POLL_INTERVAL:
        errors["poll_interval"] = [f"At least {MIN_POLL_INTERVAL} seconds."]
    if poll_cron and not croniter.is_valid(poll_cron):
        errors["poll_cron"] = ["Not a cron expression (five fields, e.g. '*/5 * * * *')."]
    if (poll_interval or poll_cron) and not issubclass(cls, PollingSource):
        errors["poll_interval" if poll_interval else "poll_cron"] = [f"{cls.slug} does not poll."]
    if errors:
        raise ValidationFailed(errors)


def create_instance(
    *, session: Session, connector: str, slug: str, name: str | None = None, config: dict[str, Any] | None = None,
    department: str | None = None, enabled: bool = False, poll_interval: int | None = None,
    poll_cron: str | None = None,
) -> ConnectorInstance:
    """Validate the config against the connector's schema, seal its secrets, store it."""
    runtime = runtime_of(session)
    cls = connector_class(runtime, connector)
    if not SLUG.match(slug or ""):
        raise ValidationFailed({"slug": ["Lower-case letters, digits and dashes, at most 64."]})
    if session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == slug)) is not None:
        raise Conflict(f"A connector instance {slug!r} exists already.")
    loaded = _load_config(cls, dict(config or {}))
    _check_references(session, cls, loaded, None)
    _check_schedule(cls, poll_interval, poll_cron)
    plain, hidden = _split(cls, loaded)
    department_id = _department(session, department)
    if enabled:
        _refuse_if_plugin_off(runtime, connector)
    now = runtime.now()
    instance = ConnectorInstance(
        slug=slug, name=name or slug, connector=connector, enabled=enabled, department_id=department_id,
        config=plain, secrets=runtime.secrets.seal(hidden) if hidden else None, state={},
        poll_interval=poll_interval, poll_cron=poll_cron or None, created_at=now, updated_at=now,
    )
    session.add(instance)
    session.flush()
    return instance


def _check_references(session: Session, cls: type[Connector], config: dict[str, Any],
                      before: dict[str, Any] | None) -> None:
    """Refuse a config naming departments, categories, ... that do not exist (a web form's
    choices), or a custom field a sync rule cannot map."""
    errors = references.refused(session, cls.config_schema, config, before, "config.")
    if errors:
        raise ValidationFailed(errors, "The configuration names organisation items or custom fields the hub "
                               "does not have.")


def _department(session: Session, slug: str | None) -> int | None:
    if not slug:
        return None
    ident = id_for(session, "department", slug)
    if ident is None:
        raise ValidationFailed({"department": [f"No department {slug!r}."]})
    return ident


#: Fields that say where a connector sends its secrets, when the schema does not say
#: itself (``metadata={"secret_target": True/False}``): addresses, accounts, TLS.
_TARGET_NAME = re.compile(r"(^|_)(url|uri|host|port|server|endpoint|domain|tenant|username|user|login|account"
                          r"|email|security|tls|ssl|insecure|verify|ca_file|proxy|auth|protocol)(_|$)")


def secret_targets(cls: type[Connector]) -> list[str]:
    """The non-secret fields whose change would send the stored secrets somewhere else."""
    schema = cls.config_schema()
    targets = []
    for info in describe(schema):
        declared = (schema.fields[info.name].metadata or {}).get("secret_target")
        if info.secret or declared is False:
            continue
        if declared or info.type == "url" or _TARGET_NAME.search(info.name.lower()):
            targets.append(info.name)
    return targets


def _config_with_kept_secrets(cls: type[Connector], instance: ConnectorInstance, given: dict[str, Any],
                              stored: dict[str, Any]) -> dict[str, Any]:
    """The new config, with each secret sent back masked (or left out) filled from the store.

    A stored secret is kept only while the connector still sends it to the same place:
    when a field of ``secret_targets`` changes, it must be entered again, so that nobody
    can read a "write-only" secret back by pointing the instance at their own server.
    """
    kept = []
    local = local_secret_names(cls.config_schema)
    for name in secret_names(cls.config_schema):
        if given.get(name) in (None, SECRET_MASK) and name in stored:
            given[name] = stored[name]
            if stored[name] and name not in local:  # an empty value, or one never sent, gives nothing away
                kept.append(name)
        elif given.get(name) is None:
            given.pop(name, None)
    loaded = _load_config(cls, given)
    before = instance.config or {}
    moved = [name for name in secret_targets(cls) if loaded.get(name) != before.get(name)]
    if kept and moved:
        message = (f"Enter it again: {', '.join(moved)} changed, and a stored secret is never sent to a new "
                   "address or account.")
        raise ValidationFailed({f"config.{name}": [message] for name in kept},
                               f"Changing {', '.join(moved)} needs the secrets again ({', '.join(kept)}).")
    return loaded


def update_instance(*, session: Session, instance: ConnectorInstance, changes: dict[str, Any]) -> ConnectorInstance:
    """Change an instance. Secrets left out (or sent back masked) keep their stored value,
    unless the change points the connector somewhere else (``secret_targets``)."""
    runtime = runtime_of(session)
    cls = connector_class(runtime, instance.connector)
    if "config" in changes:
        stored = runtime.secrets.open(instance.secrets)
        loaded = _config_with_kept_secrets(cls, instance, dict(changes["config"] or {}), stored)
        _check_references(session, cls, loaded, instance.config)
        plain, hidden = _split(cls, loaded)
        instance.config = plain
        instance.secrets = runtime.secrets.seal(hidden) if hidden else None
    if "name" in changes:
        instance.name = changes["name"] or instance.slug
    if "enabled" in changes:
        if changes["enabled"] and not instance.enabled:
            _refuse_if_plugin_off(runtime, instance.connector)
        instance.enabled = bool(changes["enabled"])
    if "department" in changes:
        instance.department_id = _department(session, changes["department"])
    if "poll_interval" in changes or "poll_cron" in changes:
        interval = changes.get("poll_interval", instance.poll_interval)
        cron = changes.get("poll_cron", instance.poll_cron)
        _check_schedule(cls, interval, cron)
        instance.poll_interval, instance.poll_cron = interval, cron or None
    instance.updated_at = runtime.now()
    session.flush()
    if "config" in changes:
        references.forget_counts(session, instance.slug)
    # This process sees the change at once; others within the webhook cache's few seconds.
    runtime.caches.pop("webhook_instances", None)
    return instance


def instance_info(session: Session, instance: ConnectorInstance) -> InstanceInfo:
    return InstanceInfo(
        id=instance.id, slug=instance.slug, name=instance.name, connector=instance.connector,
        enabled=instance.enabled, department=name_for(session, "department", instance.department_id),
        config=dict(instance.config or {}),
    )


def build_connector(session: Session, instance: ConnectorInstance, *, services: Any = None) -> Connector:
    """An object of the instance's connector class with its full (decrypted) config."""
    runtime = runtime_of(session)
    cls = connector_class(runtime, instance.connector)
    config = {**(instance.config or {}), **runtime.secrets.open(instance.secrets)}
    return cls(instance=instance_info(session, instance), config=config, state=dict(instance.state or {}),
               allow_private_urls=bool(runtime.settings.get("ALLOW_PRIVATE_URLS")), services=services)


def check_instance(session: Session, instance: ConnectorInstance) -> tuple[bool, str]:
    """Run the connector's connection check; never raises for the remote's answer."""
    connector = build_connector(session, instance)
    try:
        return True, connector.check_connection()
    except ConnectorError as exc:
        return False, f"{exc.kind}: {exc.message}"
    except Exception as exc:  # a connector bug must not become a 500 for the admin
        return False, f"error: {type(exc).__name__}: {exc}"
    finally:
        connector.close()


def present_instance(session: Session, instance: ConnectorInstance) -> dict[str, Any]:
    """The instance as admins see it: secrets masked, never their values."""
    runtime = runtime_of(session)
    cls = runtime.plugins.connectors.get(instance.connector)
    stored = set(runtime.secrets.open(instance.secrets)) if instance.secrets else set()
    config = dict(instance.config or {})
    if cls is not None:
        for info in describe(cls.config_schema):
            if info.secret:
                config[info.name] = SECRET_MASK if info.name in stored else None
    last_run = session.scalar(select(SyncRun).where(SyncRun.instance_id == instance.id)
                              .order_by(SyncRun.id.desc()).limit(1))
    quarantined = session.scalar(select(func.count(InboundEvent.id)).where(
        InboundEvent.instance_id == instance.id, InboundEvent.status == "quarantined")) or 0
    return {
        "slug": instance.slug,
        "name": instance.name,
        "connector": instance.connector,
        "installed": cls is not None,
        "enabled": instance.enabled,
        "department": name_for(session, "department", instance.department_id),
        "config": config,
        "poll_interval": instance.poll_interval,
        "poll_cron": instance.poll_cron,
        "capabilities": cls.capabilities() if cls else [],
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
        "last_error": instance.last_error,
        "last_error_at": instance.last_error_at,
        "last_run": _present_run(last_run) if last_run else None,
        "quarantined_events": int(quarantined),
        "webhook_url": f"/api/v1/hooks/{instance.slug}" if cls and "webhook" in cls.capabilities() else None,
    }


def _present_run(run: SyncRun) -> dict[str, Any]:
    return {key: getattr(run, key) for key in ("id", "kind", "status", "started_at", "finished_at", "fetched",
                                               "created", "updated", "skipped", "failed", "error")}


def list_instances(session: Session, connector: str | None = None) -> list[ConnectorInstance]:
    query = select(ConnectorInstance).order_by(ConnectorInstance.slug)
    if connector:
        query = query.where(ConnectorInstance.connector == connector)
    return list(session.scalars(query))


def record_error(session: Session, instance_id: int, message: str | None, at: datetime) -> None:
    instance = session.get(ConnectorInstance, instance_id)
    if instance is not None:
        instance.last_error = message[:4000] if message else None
        instance.last_error_at = at if message else instance.last_error_at

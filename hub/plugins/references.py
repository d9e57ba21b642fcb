"""Organisation names held in plugin settings and connector configs (hub.sdk.references).

A schema says which of its values name a department, group, category, item or user
(``ConfigSchema.org_references``). This module checks them when settings or a config are
stored, finds them for the organisation's "in use" counts, rewrites them when an item is
renamed or merged, and lists those whose item disappeared anyway, with the tickets plugins
counted as meeting them, for the admins' warnings.

Plugin settings are read as stored (``PluginState.settings``: the schema's data keys, the
secrets sealed apart), connector configs as ``ConnectorInstance.config`` (the secrets apart).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import ConnectorInstance, PluginState, RateCounter
from hub.sdk.references import KINDS, MissingReference, OrgReference
from hub.tracker.correlate import insert_ignoring_conflict
from hub.tracker.org import category_id, id_for

#: Counters of tickets that met a missing reference live among the rate counters under
#: this prefix (hub.tracker.rate_limits leaves them alone): a key and a start time is all
#: they need, and no table of their own is worth a migration.
COUNTER_PREFIX = "ref:"


def missing_names(session: Session, names: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Of the names given by kind, those that name nothing (cached lookups, hub.tracker.org)."""
    missing: dict[str, list[str]] = {}
    for kind, values in names.items():
        if kind not in KINDS:
            raise ValueError(f"unknown kind of organisation item {kind!r}; use one of {', '.join(KINDS)}")
        for name in dict.fromkeys(str(value) for value in values if value):
            found = (category_id(session, name, None, create=False) if kind == "category"
                     else id_for(session, kind, name))
            if found is None:
                missing.setdefault(kind, []).append(name)
    return missing


def references_of(schema: Any, values: Mapping[str, Any] | None) -> list[OrgReference]:
    """What the schema says ``values`` name; a schema without the method names nothing."""
    method = getattr(schema, "org_references", None)
    if method is None or not values:
        return []
    return list(method({key: value for key, value in values.items() if key != "__secrets__"}))


def refused(session: Session, schema: Any, values: Mapping[str, Any], stored: Mapping[str, Any] | None,
            prefix: str) -> dict[str, list[str]]:
    """Field errors (``<prefix><path>``) for each name in ``values`` that names nothing.

    A name the stored values already held for the same owner passes: it disappeared after
    it was saved, the admins are warned about it, and refusing it would block every other
    change to the settings until it is fixed.
    """
    kept = {(ref.kind, ref.name, ref.owner) for ref in references_of(schema, stored)}
    new = [ref for ref in references_of(schema, values) if (ref.kind, ref.name, ref.owner) not in kept]
    wanted: dict[str, list[str]] = {}
    for ref in new:
        wanted.setdefault(ref.kind, []).append(ref.name)
    missing = missing_names(session, wanted)
    errors: dict[str, list[str]] = {}
    for ref in new:
        if ref.name in missing.get(ref.kind, ()):
            errors.setdefault(f"{prefix}{ref.path}", []).append(f"No {KINDS[ref.kind]} {ref.name!r}.")
    for path, messages in custom_field_problems(session, schema, values, stored).items():
        errors.setdefault(f"{prefix}{path}", []).extend(messages)
    return errors


def custom_field_problems(session: Session, schema: Any, values: Mapping[str, Any],
                          stored: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """What the schema finds wrong with the custom fields ``values`` name (a sync rule's
    ``custom:<name>``: hub.sdk.sync_settings.SyncSettings.custom_field_problems). As with
    names above, a problem the stored values already had is left for the admin to fix."""
    method = getattr(schema, "custom_field_problems", None)
    if method is None or not values:
        return {}
    from hub.tracker.custom_fields import definitions

    defined = {item.info.name: (item.info.type, tuple(item.info.options)) for item in definitions(session)}
    found: dict[str, list[str]] = method(_plain(values), defined)
    before: dict[str, list[str]] = method(_plain(stored), defined) if stored else {}
    kept = {path: [message for message in messages if message not in before.get(path, ())]
            for path, messages in found.items()}
    return {path: messages for path, messages in kept.items() if messages}


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (values or {}).items() if key != "__secrets__"}


# -- every reference, by where it is held -------------------------------------------------------


def _plugin_sources(session: Session) -> list[tuple[str, Any, PluginState]]:
    from hub.plugins.admin import settings_schema

    runtime = runtime_of(session)
    states = {state.name: state for state in session.scalars(select(PluginState))}
    out = []
    for name in sorted(runtime.plugins.records):
        state = states.get(name)
        if state is None or not state.settings:
            continue
        schema = settings_schema(runtime, name)
        if schema is not None and getattr(schema, "org_references", None) is not None:
            out.append((name, schema, state))
    return out


def _instance_sources(session: Session) -> list[tuple[ConnectorInstance, Any]]:
    connectors = runtime_of(session).plugins.connectors
    out = []
    for instance in session.scalars(select(ConnectorInstance).order_by(ConnectorInstance.slug)):
        cls = connectors.get(instance.connector)
        if cls is not None and getattr(cls.config_schema, "org_references", None) is not None:
            out.append((instance, cls.config_schema))
    return out


def _in_instance(instance: ConnectorInstance, ref: OrgReference) -> OrgReference:
    """A config's reference as admins read it: its owner says which instance holds it."""
    return dataclasses.replace(ref, owner=f"{instance.connector} {instance.slug}, {ref.owner}")


def all_references(session: Session) -> list[tuple[str, OrgReference, OrgReference]]:
    """Every reference in plugin settings and connector configs: its source (the plugin's
    name or the instance's slug), the reference as the schema gave it, and as admins read it."""
    found = [(name, ref, ref) for name, schema, state in _plugin_sources(session)
             for ref in references_of(schema, state.settings)]
    found += [(instance.slug, ref, _in_instance(instance, ref)) for instance, schema in _instance_sources(session)
              for ref in references_of(schema, instance.config)]
    return found


def references_to(session: Session, kind: str, name: str) -> list[OrgReference]:
    """The references that name this item (its "in use" by settings), as admins read them."""
    return [shown for _, ref, shown in all_references(session) if ref.kind == kind and ref.name == name]


# -- keeping names in step ------------------------------------------------------------------------


def _put(values: Any, path: str, new: str) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        values = values[int(part)] if isinstance(values, list) else values[part]
    last = parts[-1]
    if isinstance(values, list):
        values[int(last)] = new
    else:
        values[last] = new


def rename(session: Session, kind: str, old: str, new: str) -> int:
    """Write ``new`` wherever settings or configs name ``old``; returns how many changed.

    The caller makes sure ``old`` names nothing any more (a category's slug may be used in
    several departments: renaming one of them leaves the name meaning the others)."""
    import copy

    changed = 0
    runtime = runtime_of(session)
    for name, schema, state in _plugin_sources(session):
        values = copy.deepcopy(dict(state.settings))
        hits = [ref for ref in references_of(schema, values) if ref.kind == kind and ref.name == old]
        for ref in hits:
            _put(values, ref.path, new)
        if hits:
            state.settings, state.updated_at = values, runtime.now()
            runtime.caches.get("plugin_settings", {}).pop(name, None)
            changed += len(hits)
    for instance, schema in _instance_sources(session):
        config = copy.deepcopy(dict(instance.config or {}))
        hits = [ref for ref in references_of(schema, config) if ref.kind == kind and ref.name == old]
        for ref in hits:
            _put(config, ref.path, new)
        if hits:
            instance.config, instance.updated_at = config, runtime.now()
            changed += len(hits)
    if changed:
        session.flush()
        runtime.caches.pop("webhook_instances", None)
    return changed


# -- what disappeared anyway ----------------------------------------------------------------------


def _counter_key(source: str, ref: OrgReference) -> str:
    return f"{COUNTER_PREFIX}{source}:{ref.kind}:{ref.name}:{ref.owner}"[:255]


def count_missing(session: Session, *, source: str, reference: OrgReference) -> None:
    """Count one ticket that met a missing reference; the first sets the time "since"."""
    key = _counter_key(source, reference)
    now = runtime_of(session).now()
    if insert_ignoring_conflict(session, RateCounter.__table__, {"key": key, "window_start": now, "count": 1},
                                ["key"]) is None:
        session.execute(update(RateCounter).where(RateCounter.key == key).values(count=RateCounter.count + 1))


def _gone(session: Session, source: str | None) -> dict[str, tuple[str, OrgReference]]:
    """The missing references (of ``source``), by counter key: their source and shown form."""
    found = [held for held in all_references(session) if source is None or held[0] == source]
    wanted: dict[str, list[str]] = {}
    for _, ref, _ in found:
        wanted.setdefault(ref.kind, []).append(ref.name)
    missing = missing_names(session, wanted)
    return {_counter_key(held_by, ref): (held_by, shown) for held_by, ref, shown in found
            if ref.name in missing.get(ref.kind, ())}


def missing_references(session: Session, *, source: str | None = None) -> list[MissingReference]:
    """The references whose item no longer exists, with the tickets counted since."""
    gone = _gone(session, source)
    if not gone:
        return []
    counters = {row.key: row for row in session.scalars(select(RateCounter).where(RateCounter.key.in_(list(gone))))}
    out = []
    for key, (held_by, shown) in gone.items():
        counter = counters.get(key)
        out.append(MissingReference(source=held_by, reference=shown, tickets=counter.count if counter else 0,
                                    since=counter.window_start if counter else None))
    return out


def forget_counts(session: Session, source: str) -> None:
    """Drop the counts of ``source`` whose reference is no longer missing (its settings were
    saved: a name fixed and later missing again is a new story, counted from nought)."""
    from sqlalchemy import delete

    kept = list(_gone(session, source))
    session.execute(delete(RateCounter).where(RateCounter.key.startswith(f"{COUNTER_PREFIX}{source}:", autoescape=True),
                                              RateCounter.key.not_in(kept)))

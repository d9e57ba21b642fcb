"""The remote side effects of the hub's own writes, as a sync connector declares them.

Remote systems change records by themselves when the hub writes to them: Request
Tracker's default scrip opens a ticket that is not active when a reply comes in,
ServiceNow sites have business rules that move an incident to In Progress when a work
note is added, a Jira workflow sets the resolution on the way to Done. Read on the next
poll, such a change looks like a remote user's edit: the next push leaves the field alone
("changed remotely") and the poll takes the remote value, undoing what the hub just did.

A connector declares these effects as :class:`WriteEffect` values
(``SyncConnector.default_write_effects``; an instance may replace them with its
``write_effects`` setting). After a push the sync engine moves its agreed baseline
accordingly (``hub.sync.effects``), so the changed field is the hub's own doing, never a
remote edit and never a conflict; where the hub's ticket says otherwise, the hub's value is
sent. Values are in the words of the field rules (the remote's own, as ``synced`` holds
them).

An effect that runs after the answer (an asynchronous automation) may not show yet when
the hub next reads the record: until the next push that brings the fields in step, or a
poll that shows the effect done or another value, both the value before and the one after
count as the hub's own (``OWN_EFFECTS`` in the link's data, consulted with
:func:`changed_remotely`). An effect that shows only after that push is taken for a
remote change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields as mf
from marshmallow import validate

from hub.sdk.schema import ConfigSchema

REPLY = "reply"
"""A public comment the hub posts (RT: a correspondence; ServiceNow: additional comments)."""
NOTE = "note"
"""An internal comment (RT: a comment; ServiceNow: a work note)."""
PUBLIC_FILE = "public_file"
INTERNAL_FILE = "internal_file"
WRITE_KINDS = (REPLY, NOTE, PUBLIC_FILE, INTERNAL_FILE)

OWN_EFFECTS = "own_effects"
"""Key in a link's data: remote field -> [value before, value after] of an effect that may
not have shown yet; both count as the hub's own until the field shows something else."""
OBSERVED = "observed"
"""Key in ``PushResult.data``: the remote fields as the push saw them right after its
write (ServiceNow's PATCH answers with the record). A declared effect then counts only if
seen, and nothing waits for it; the engine does not keep this key on the link."""

_ON = r"^(reply|note|public_file|internal_file|[A-Za-z_][A-Za-z0-9_.]{0,99}=.{0,200})$"
_FIELD = r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$"


@dataclass(frozen=True)
class WriteEffect:
    """A remote field the remote system changes by itself when the hub writes.

    ``on``: the writes that cause it, any of :data:`WRITE_KINDS` or ``"<field>=<value>"``
    (the hub setting that remote field to that value); ``field`` changes to ``to``, if its
    value before is one of ``when`` (empty: whatever it was).
    """

    on: tuple[str, ...]
    field: str
    to: str
    when: tuple[str, ...] = ()

    def caused_by(self, writes: Collection[str]) -> bool:
        return any(kind in writes for kind in self.on)

    def applies_to(self, before: str | None) -> bool:
        return before is not None and before != self.to and (not self.when or before in self.when)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> WriteEffect:
        return cls(on=tuple(str(kind) for kind in data.get("on") or ()), field=str(data["field"]),
                   to=str(data.get("to") or ""), when=tuple(str(value) for value in data.get("when") or ()))

    def dump(self) -> dict[str, Any]:
        return {"on": list(self.on), "field": self.field, "to": self.to, "when": list(self.when)}


class WriteEffectSchema(ConfigSchema):
    on = mf.List(mf.String(validate=validate.Regexp(_ON, error="Use reply, note, public_file, internal_file or "
                                                                "field=value.")),
                 required=True, validate=validate.Length(min=1), metadata={
                     "title": "Caused by", "description": "reply, note, public_file, internal_file, or "
                     "field=value (the hub setting that remote field to that value)."})
    field = mf.String(required=True, validate=validate.Regexp(_FIELD), metadata={
        "title": "Remote field", "description": "The field the remote changes, as the field rules name it."})
    to = mf.String(required=True, validate=validate.Length(max=200), metadata={
        "title": "Becomes", "description": "Its value afterwards, in the remote's words."})
    when = mf.List(mf.String(validate=validate.Length(max=200)), load_default=list, metadata={
        "title": "If it was", "description": "Its values before for which this happens; empty: any."})


class WriteEffectSettings(ConfigSchema):
    """The setting a sync connector's schema inherits to replace its declared effects."""

    write_effects = mf.List(mf.Nested(WriteEffectSchema), load_default=None, allow_none=True, metadata={
        "title": "Side effects of the hub's writes", "description": "What this site changes by itself when the "
        "hub writes (scrips, business rules, automation), so the sync never takes it for a remote edit. Empty "
        "keeps the connector's defaults; [] declares none."})


def effects_from(config: Mapping[str, Any], defaults: Iterable[WriteEffect]) -> list[WriteEffect]:
    """The instance's effects (its ``write_effects`` setting when given), else the connector's."""
    configured = config.get("write_effects")
    if configured is None:
        return list(defaults)
    return [WriteEffect.load(item) for item in configured]


def writes_of(action: str, payload: Mapping[str, Any]) -> set[str]:
    """What kind of write an outbox message makes, besides field values."""
    if action == "comment":
        internal = (payload.get("comment") or {}).get("visibility") == "internal"
        return {NOTE if internal else REPLY}
    if action == "attachment":
        internal = (payload.get("attachment") or {}).get("visibility") == "internal"
        return {INTERNAL_FILE if internal else PUBLIC_FILE}
    return set()


def field_writes(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """``field=value`` for each agreed value a push moved (what it set, or found set)."""
    return {f"{name}={value}" for name, value in after.items() if before.get(name) != value}


def changed_remotely(remote: str, now: str, synced: Mapping[str, str], own: Mapping[str, Any] | None) -> bool:
    """Whether a remote field moved since the last agreed value for a reason other than
    the hub's own writes: what a push leaves alone for the next poll to settle."""
    if remote not in synced or now == synced[remote]:
        return False
    return now not in ((own or {}).get(remote) or ())

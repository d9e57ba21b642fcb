"""The settings every two-way ITSM connector shares, for its config schema to inherit.

ServiceNow, Jira and Request Tracker (and a third party's sync connector) all have: whether
every hub ticket also gets a remote record (``create_remote``), where the first poll starts
(``import_since``), how far each poll looks back for late commits (``overlap_seconds``), how
long a call may take (``timeout_seconds``), how many records a page holds (``page_size``)
and the field rules (``field_map``); plus files, who speaks to the requester and the
remote's own write effects (:class:`~hub.sdk.sync.AttachmentSettings`,
:class:`~hub.sdk.sync.ConversationSettings`, :class:`~hub.sdk.write_effects.WriteEffectSettings`).
:class:`SyncConnector <hub.sdk.sync.SyncConnector>` reads them by these names.

A connector's schema subclasses :class:`SyncSettings` (or :class:`LoginOrTokenSettings`)
and declares each shared setting with the function of that name below, in the place its
form should show it, in its own words where the defaults do not fit and with its own range
where its API has one (RT's pages hold at most 100 tickets); then its base URL, credentials
and whatever only it has. The functions fix each setting's name, type, default and
validation, so every ITSM connector means the same by it and stored configs keep loading.
(The fields are not declared on SyncSettings itself: a subclass that declared one again
would still get it in the base's place, above its URL, in every form.)
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as mf

from hub.sdk.references import OrgReference
from hub.sdk.sync import AttachmentSettings, ConversationSettings, FieldRuleSchema
from hub.sdk.sync_fields import custom_rule_problems, field_problem, hub_field
from hub.sdk.write_effects import WriteEffectSettings


def base_url_setting(title: str, description: str) -> mf.Url:
    """The remote's web root: required, and a host without a top-level domain is fine (on-premises)."""
    return mf.Url(required=True, require_tld=False, metadata={"title": title, "description": description})


def create_remote_setting(
    title: str = "Create hub tickets remotely",
    description: str = "Off: only records that came from the remote are kept in step. On: every hub ticket of "
    "the synced kinds also gets a remote record.",
) -> mf.Boolean:
    """``create_remote``: the push mode, ``links`` (off) or ``all`` (on); see SyncConnector.push_mode."""
    return mf.Boolean(load_default=False, metadata={"title": title, "description": description})


def import_since_setting(
    title: str = "Import records updated since",
    description: str = "Empty imports everything on the first poll.",
) -> mf.DateTime:
    """``import_since``: where the first poll (and a reconcile) starts; None for the beginning."""
    return mf.DateTime(load_default=None, allow_none=True, metadata={"title": title, "description": description})


def overlap_setting(description: str, *, default: int = 120, low: int = 0, high: int = 3600) -> mf.Integer:
    """``overlap_seconds``: how far each poll re-reads before its cursor, for records committed late."""
    return mf.Integer(load_default=default, validate=validate.Range(low, high), metadata={
        "title": "Overlap (seconds)", "description": description})


def timeout_setting(
    description: str = "A call with no answer by then is retried later; a create is first looked up by the hub's "
    "reference, so a slow answer never makes two records.",
) -> mf.Integer:
    """``timeout_seconds``: the answer timeout of every call (SyncConnector.timeout)."""
    return mf.Integer(load_default=30, validate=validate.Range(1, 300), metadata={
        "title": "Answer timeout (seconds)", "description": description})


def page_size_setting(description: str = "Records per request.", *, default: int = 100,
                      maximum: int = 1000) -> mf.Integer:
    """``page_size``: records asked for per request, within what the remote's API allows."""
    return mf.Integer(load_default=default, validate=validate.Range(1, maximum), metadata={
        "title": "Page size", "description": description})


def field_map_setting(doc: str = "docs/connectors/itsm.md") -> mf.List:
    """``field_map``: the instance's field rules; empty uses the connector's defaults (``doc`` lists them)."""
    return mf.List(mf.Nested(FieldRuleSchema), load_default=list, metadata={
        "title": "Field rules", "description": f"Empty uses the defaults ({doc})."})


class SyncSettings(AttachmentSettings, ConversationSettings, WriteEffectSettings):
    """Files, who speaks to the requester and the remote's write effects; a subclass adds the
    shared settings with the functions above, and its own."""

    @classmethod
    def org_references(cls, values: dict[str, Any]) -> list[OrgReference]:
        """The groups, categories, items and users the field rules' value maps name as hub
        values: checked on save (an unknown one is a field error) and renamed with the item."""
        found: list[OrgReference] = []
        for index, rule in enumerate(values.get("field_map") or []):
            name = str(rule.get("field") or "") if isinstance(rule, dict) else ""
            field = hub_field(name) if name and field_problem(name) is None else None
            if field is None or field.org is None:
                continue
            owner = f"field rule {index + 1} ({field.name} from {rule.get('remote')})"
            for remote, hub in dict(rule.get("values_in") or {}).items():
                if hub and "." not in str(remote):  # a dotted key would not be a path to rename it by
                    found.append(OrgReference(kind=field.org, name=str(hub), owner=owner,
                                              path=f"field_map.{index}.values_in.{remote}"))
        return found

    @classmethod
    def custom_field_problems(cls, values: dict[str, Any], defined: dict[str, tuple[str, tuple[str, ...]]]
                              ) -> dict[str, list[str]]:
        """Field errors by path (``field_map.0.field``) for the rules naming ``custom:<name>``:
        the field must be defined (any department or kind), and a choice field's value maps
        must name its options. ``defined``: each custom field's type and options by name.
        The hub asks this on save, where it checks the organisation names
        (hub.plugins.references.refused)."""
        errors: dict[str, list[str]] = {}
        for index, rule in enumerate(values.get("field_map") or []):
            if not isinstance(rule, dict):
                continue
            for key, messages in custom_rule_problems(rule, defined).items():
                errors.setdefault(f"field_map.{index}.{key}", []).extend(messages)
        return errors


class LoginOrTokenSettings(SyncSettings):
    """:class:`SyncSettings` for a remote that takes a user name and password, or a token.

    The subclass declares ``username``, ``password`` and ``token`` (secrets with
    :func:`hub.sdk.secret`), and says in ``login_or_token`` what to answer, on which field,
    when neither is given.
    """

    login_or_token: tuple[str, str] = ("Give a user name and password, or a token.", "username")

    @validates_schema
    def check_login_or_token(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("token") and not (data.get("username") and data.get("password")):
            message, field = self.login_or_token
            raise ValidationError(message, field)

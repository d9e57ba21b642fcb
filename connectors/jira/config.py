"""A Jira Cloud site's settings, and the default field rules.

Jira statuses are names chosen per workflow. The default rules read the names of Jira's
simplified workflow and of the Jira Service Management templates; a status they do not
name is read by its status category (to do, in progress, done). Out, each hub status has
one Jira name, reached by a transition (see ``JiraConnector._move``).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as mf

from hub.sdk import secret
from hub.sdk.sync import FieldRule
from hub.sdk.sync_settings import (
    SyncSettings,
    base_url_setting,
    create_remote_setting,
    field_map_setting,
    import_since_setting,
    overlap_setting,
    page_size_setting,
    timeout_setting,
)
from hub.sdk.write_effects import WriteEffect

OUR_REF = re.compile(r"^(INC|CHG)-\d{6,}$")
SUMMARY_MAX = 255
"""Jira refuses a longer summary."""

PRIORITY_IN = {"Highest": "high", "High": "high", "Medium": "medium", "Low": "low", "Lowest": "low"}
PRIORITY_OUT = {"high": "High", "medium": "Medium", "low": "Low"}

INCIDENT_STATUS_IN = {
    "To Do": "new", "Open": "new", "New": "new", "Backlog": "new", "Waiting for support": "new", "Reopened": "new",
    "In Progress": "in_progress", "Work in progress": "in_progress", "Escalated": "in_progress",
    "Under investigation": "in_progress",
    "Pending": "on_hold", "Waiting for customer": "on_hold", "On Hold": "on_hold",
    "Done": "resolved", "Resolved": "resolved", "Completed": "resolved",
    "Closed": "closed",
    "Canceled": "cancelled", "Cancelled": "cancelled", "Declined": "cancelled",
}
INCIDENT_STATUS_OUT = {"new": "To Do", "acknowledged": "In Progress", "in_progress": "In Progress",
                       "on_hold": "Pending", "resolved": "Done", "closed": "Closed", "cancelled": "Canceled"}
CHANGE_STATUS_IN = {
    "To Do": "draft", "Open": "draft", "Planning": "draft",
    "Awaiting CAB approval": "assessment", "Authorize": "assessment", "Waiting for approval": "assessment",
    "Awaiting implementation": "scheduled",
    "In Progress": "implementing", "Implementing": "implementing",
    "Peer review": "review", "Review": "review", "In Review": "review",
    "Done": "closed", "Completed": "closed", "Closed": "closed", "Resolved": "closed",
    "Failed": "failed", "Declined": "rejected", "Canceled": "cancelled", "Cancelled": "cancelled",
}
CHANGE_STATUS_OUT = {"draft": "To Do", "submitted": "Awaiting CAB approval", "assessment": "Awaiting CAB approval",
                     "approved": "Awaiting implementation", "rejected": "Declined",
                     "scheduled": "Awaiting implementation", "implementing": "In Progress", "review": "Peer review",
                     "closed": "Done", "failed": "Failed", "backed_out": "Failed", "cancelled": "Canceled"}
STATUS_BY_CATEGORY = {
    "incident": {"new": "new", "indeterminate": "in_progress", "done": "resolved"},
    "change": {"new": "draft", "indeterminate": "implementing", "done": "closed"},
}
"""How a status the rules do not name is read: by its Jira status category."""

DEFAULT_RULES = (
    FieldRule("title", "summary"),
    FieldRule("description", "description"),
    FieldRule("urgency", "priority", values_in=PRIORITY_IN, values_out=PRIORITY_OUT),
    FieldRule("status", "status", kind="incident", values_in=INCIDENT_STATUS_IN, values_out=INCIDENT_STATUS_OUT),
    FieldRule("status", "status", kind="change", values_in=CHANGE_STATUS_IN, values_out=CHANGE_STATUS_OUT),
)


RESERVED_FIELDS = {
    "labels": "the hub keeps its reference label there (reference_label); map a component or a custom field "
              "instead.",
    "issuetype": "the instance's incident_types and change_types decide it.",
    "project": "the instance's project decides it.",
}
"""Jira fields no rule may keep in step."""

DEFAULT_EFFECTS = (
    WriteEffect(on=("status=Done",), field="resolution", to="Done"),
    WriteEffect(on=("status=To Do", "status=In Progress"), field="resolution", to=""),
)
"""The simplified workflow's transitions set the resolution on the way to Done and clear it
on the way back: a rule that reads ``resolution`` sees the hub's own doing, not an edit.
A site's automation (JSM's "transition on comment", say) is declared in its instance's
``write_effects``."""


class JiraConfig(SyncSettings):
    """The shared sync settings (hub.sdk.sync_settings), in Jira's words where they differ."""

    site_url = base_url_setting("Site URL", "e.g. https://example.atlassian.net")
    email = mf.Email(required=True, metadata={
        "title": "Account email", "description": "The Atlassian account the hub works as (an agent of the "
        "service project); its own comments are not read back."})
    api_token = secret(required=True, title="API token",
                       description="An API token of that account (id.atlassian.com, Security, API tokens).")
    project = mf.String(required=True, validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,254}$"), metadata={
        "title": "Project key", "description": "The Jira (Service Management) project to sync, e.g. ITSM."})
    incident_types = mf.List(mf.String(validate=validate.Length(1, 255)), load_default=lambda: ["Incident"],
                             metadata={"title": "Issue types for incidents", "description": "Issues of these types "
                                       "are synced as incidents; hub incidents are created as the first."})
    change_types = mf.List(mf.String(validate=validate.Length(1, 255)), load_default=list, metadata={
        "title": "Issue types for changes", "description": "Issues of these types are synced as changes "
        "(e.g. Change); empty: changes are not synced."})
    create_remote = create_remote_setting("Create hub tickets in Jira", "Off: only issues that came from Jira are "
                                          "kept in step. On: every hub ticket of the synced kinds gets a Jira "
                                          "issue.")
    reference_label = mf.String(load_default="itsm-hub-", validate=validate.Regexp(r"^[^\s\"]{1,200}$"), metadata={
        "title": "Reference label prefix", "description": "An issue the hub creates carries the label prefix + "
        "the ticket reference (itsm-hub-INC-000042). Give each hub sharing a Jira site its own prefix."})
    import_since = import_since_setting("Import issues updated since")
    overlap_seconds = overlap_setting("Each poll re-reads this much before its cursor: JQL times have minute "
                                      "precision and the search index lags behind writes. Repeats are recognised "
                                      "by issue id and update time.", default=300, low=60, high=86400)
    index_settle_seconds = mf.Integer(load_default=30, validate=validate.Range(0, 600), metadata={
        "title": "Search index settle time (seconds)", "description": "A retried create that does not find the "
        "issue an earlier try may have made waits this long for Jira's search to show it, then looks again "
        "before it creates."})
    timeout_seconds = timeout_setting("A call with no answer by then is retried later; a create is first looked up "
                                      "by the hub's reference label, so a slow answer never makes two issues.")
    page_size = page_size_setting("Issues per search request (Jira may send fewer).", maximum=5000)
    field_map = field_map_setting("docs/connectors/itsm-jira.md")

    @validates_schema
    def check_rules(self, data: dict[str, Any], **_: Any) -> None:
        for rule in data.get("field_map") or []:
            if rule.get("remote") in RESERVED_FIELDS:
                raise ValidationError(f"{rule['remote']}: {RESERVED_FIELDS[rule['remote']]}", "field_map")

    @validates_schema
    def check_types(self, data: dict[str, Any], **_: Any) -> None:
        incident, change = data.get("incident_types") or [], data.get("change_types") or []
        if not incident and not change:
            raise ValidationError("Name at least one issue type to sync.", "incident_types")
        both = sorted(set(incident) & set(change))
        if both:
            raise ValidationError(f"{', '.join(both)}: an issue type is either an incident or a change.",
                                  "change_types")

"""A ServiceNow instance's settings, and the default field rules for its two tables."""

from __future__ import annotations

import re

from marshmallow import fields as mf
from marshmallow import validate

from hub.sdk import secret
from hub.sdk.sync import FieldRule
from hub.sdk.sync_settings import (
    LoginOrTokenSettings,
    base_url_setting,
    create_remote_setting,
    field_map_setting,
    import_since_setting,
    overlap_setting,
    page_size_setting,
    timeout_setting,
)
from hub.sdk.write_effects import NOTE, REPLY, WriteEffect

TABLES = {"incident": "incident", "change_request": "change"}
TABLE_OF_KIND = {kind: table for table, kind in TABLES.items()}
SN_TIME = "%Y-%m-%d %H:%M:%S"
OUR_REF = re.compile(r"^(INC|CHG)-\d{6,}$")

LEVELS_IN = {"1": "high", "2": "medium", "3": "low"}
INCIDENT_STATES_IN = {"1": "new", "2": "in_progress", "3": "on_hold", "6": "resolved", "7": "closed",
                      "8": "cancelled"}
INCIDENT_STATES_OUT = {"new": "1", "acknowledged": "2", "in_progress": "2", "on_hold": "3", "resolved": "6",
                       "closed": "7", "cancelled": "8"}
# The change_request states of the default (Madrid and later) change model.
CHANGE_STATES_IN = {"-5": "draft", "-4": "assessment", "-3": "assessment", "-2": "scheduled", "-1": "implementing",
                    "0": "review", "3": "closed", "4": "cancelled"}
CHANGE_STATES_OUT = {"draft": "-5", "submitted": "-4", "assessment": "-4", "approved": "-3", "rejected": "-5",
                     "scheduled": "-2", "implementing": "-1", "review": "0", "failed": "3", "backed_out": "3",
                     "closed": "3", "cancelled": "4"}

DEFAULT_RULES = (
    FieldRule("title", "short_description"),
    FieldRule("description", "description"),
    FieldRule("impact", "impact", values_in=LEVELS_IN),
    FieldRule("urgency", "urgency", values_in=LEVELS_IN),
    FieldRule("status", "state", kind="incident", values_in=INCIDENT_STATES_IN, values_out=INCIDENT_STATES_OUT),
    FieldRule("status", "state", kind="change", values_in=CHANGE_STATES_IN, values_out=CHANGE_STATES_OUT),
    # In only by default: the hub's slugs are seldom ServiceNow's names, and a group the
    # hub routes to but ServiceNow lacks would hold the record's updates as dead letters.
    # An instance's field_map turns them to "both" with a values_in map (docs/connectors/itsm.md).
    FieldRule("category", "category", direction="in"),
    FieldRule("group", "assignment_group", direction="in"),
    FieldRule("ci", "cmdb_ci", direction="in"),
    FieldRule("planned_start", "start_date", kind="change"),
    FieldRule("planned_end", "end_date", kind="change"),
)


DEFAULT_EFFECTS = (WriteEffect(on=(REPLY, NOTE), field="state", to="2", when=("1",)),)
"""A business rule many sites have: a work note or comment on a New incident moves it to In
Progress. The PATCH that adds the entry answers with the record as the rules left it, so
the effect counts only where it was seen: a site without such a rule loses nothing."""


class ServiceNowConfig(LoginOrTokenSettings):
    """The shared sync settings (hub.sdk.sync_settings), in ServiceNow's words where they differ."""

    login_or_token = ("Give a user name and password, or an OAuth access token.", "username")

    instance_url = base_url_setting("Instance URL", "e.g. https://example.service-now.com")
    username = mf.String(load_default="", metadata={
        "title": "User name", "description": "An integration user with the itil and rest_api_explorer roles."})
    password = secret(load_default="", title="Password", description="The integration user's password.")
    token = secret(load_default="", title="OAuth access token", description="Instead of a user name and password.")
    integration_user = mf.String(load_default="", metadata={
        "title": "Integration user", "description": "The user the hub writes as, so its own comments are not "
        "read back; defaults to the user name."})
    tables = mf.List(mf.String(validate=validate.OneOf(tuple(TABLES))), load_default=lambda: ["incident"],
                     validate=validate.Length(min=1),
                     metadata={"title": "Tables", "description": "incident, change_request or both."})
    create_remote = create_remote_setting("Create hub tickets in ServiceNow", "Off: only records that came from "
                                          "ServiceNow are kept in step. On: every hub ticket of these kinds gets a "
                                          "ServiceNow record.")
    import_since = import_since_setting()
    overlap_seconds = overlap_setting("Each poll re-reads this much before its cursor, for records committed late; "
                                      "repeats are recognised by sys_id and sys_mod_count.")
    timeout_seconds = timeout_setting()
    page_size = page_size_setting(default=200)
    field_map = field_map_setting()

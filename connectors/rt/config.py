"""A Request Tracker 5 site's settings, and the default field rules for one of its queues."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, validate, validates, validates_schema
from marshmallow import fields as mf

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
from hub.sdk.write_effects import PUBLIC_FILE, REPLY, WriteEffect

RT_TIME = "%Y-%m-%d %H:%M:%S"
"""How TicketSQL takes a date: no zone (RT reads it in the API user's time zone)."""
W3C_TIME = "%Y-%m-%dT%H:%M:%SZ"
"""How REST2 answers a date: always UTC."""
UNSET_DATE = "1970-01-01T00:00:00Z"
SUBJECT_MAX = 200
"""RT's Tickets.Subject column is varchar(200)."""
CREATE_STATUSES = frozenset({"new", "open", "resolved"})
"""The statuses RT's default lifecycle lets a ticket be created in."""

# The hub's reference in the Subject of a ticket the hub made: found again by searching,
# so a create whose answer was lost is never made twice.
REF_TAG = re.compile(r"\s*\[hub ((?:INC|CHG)-\d{6,})\]\s*$")


def ref_tag(ref: str) -> str:
    return f" [hub {ref}]"


# RT 5's default %PriorityAsString: Low 0, Medium 50, High 100. A number in between is
# read as the nearest of these (see RTConnector), so an RT user's 42 is "medium".
PRIORITY_IN = {"0": "low", "50": "medium", "100": "high"}
INCIDENT_STATES_IN = {"new": "new", "open": "in_progress", "stalled": "on_hold", "resolved": "resolved",
                      "rejected": "cancelled", "deleted": "cancelled"}
INCIDENT_STATES_OUT = {"new": "new", "acknowledged": "open", "in_progress": "open", "on_hold": "stalled",
                       "resolved": "resolved", "closed": "resolved", "cancelled": "rejected"}
CHANGE_STATES_IN = {"new": "submitted", "open": "implementing", "stalled": "scheduled", "resolved": "closed",
                    "rejected": "rejected", "deleted": "cancelled"}
CHANGE_STATES_OUT = {"draft": "new", "submitted": "new", "assessment": "new", "approved": "open",
                     "rejected": "rejected", "scheduled": "stalled", "implementing": "open", "review": "open",
                     "failed": "resolved", "backed_out": "resolved", "closed": "resolved", "cancelled": "rejected"}

CONTENT = "Content"
"""The body of a ticket's Create transaction: RT has no description field to write."""

DEFAULT_RULES = (
    FieldRule("title", "Subject"),
    FieldRule("description", CONTENT, direction="in"),
    FieldRule("urgency", "Priority", values_in=PRIORITY_IN),
    FieldRule("status", "Status", kind="incident", values_in=INCIDENT_STATES_IN, values_out=INCIDENT_STATES_OUT),
    FieldRule("status", "Status", kind="change", values_in=CHANGE_STATES_IN, values_out=CHANGE_STATES_OUT),
    FieldRule("planned_start", "Starts", kind="change"),
    FieldRule("planned_end", "Due", kind="change"),
)

AUTO_OPEN = WriteEffect(on=(REPLY, PUBLIC_FILE), field="Status", to="open",
                        when=("new", "resolved", "rejected", "deleted"))
"""RT 5's default scrip "On Correspond Open Inactive Tickets" (RT::Action::AutoOpenInactive):
a reply to a ticket that is not active sets it to the first active status, open. A hub
file goes out as a reply when public, so it does the same."""
DEFAULT_EFFECTS = (AUTO_OPEN,)

# Ticket fields a rule may name besides Content and custom fields; RT's PUT changes the writable ones.
READABLE = frozenset({"Subject", "Status", "Priority", "InitialPriority", "FinalPriority", "Owner", "Queue",
                      "Due", "Starts", "Started", "Resolved", "TimeEstimated", "TimeWorked", "TimeLeft", CONTENT})
WRITABLE = frozenset({"Subject", "Status", "Priority", "InitialPriority", "FinalPriority", "Owner", "Queue",
                      "Due", "Starts", "Started", "TimeEstimated", "TimeWorked", "TimeLeft"})
CF_PREFIX = "CF."
"""A rule's remote ``CF.Category`` is the ticket custom field named Category (read from the
ticket's ``CustomFields``, written as ``{"CustomFields": {"Category": ...}}``)."""


class RTConfig(LoginOrTokenSettings):
    """The shared sync settings (hub.sdk.sync_settings), in RT's words where they differ."""

    login_or_token = ("Give an auth token, or a user name and password.", "token")

    url = base_url_setting("RT URL", "The web root, e.g. https://rt.example.com; REST2 is under /REST/2.0.")
    token = secret(load_default="", title="Auth token", description="An RT auth token (Settings > Auth Tokens), "
                   "sent as 'Authorization: token ...'.")
    username = mf.String(load_default="", metadata={
        "title": "User name", "description": "Instead of a token: an RT user for Basic authentication."})
    password = secret(load_default="", title="Password", description="That user's password.")
    rt_user = mf.String(load_default="", metadata={
        "title": "RT user of the hub", "description": "The RT user the token belongs to: its own replies and "
        "comments are not read back. Defaults to the user name."})
    queue = mf.String(load_default="General", validate=validate.Length(1, 200), metadata={
        "title": "Queue", "description": "The RT queue kept in step with the hub."})
    kind = mf.String(load_default="incident", validate=validate.OneOf(("incident", "change")), metadata={
        "title": "Hub ticket kind", "description": "What the queue's tickets are in the hub: incident or change."})
    create_remote = create_remote_setting("Create hub tickets in RT", "Off: only tickets that came from RT are kept "
                                          "in step. On: every hub ticket of this kind also gets an RT ticket in the "
                                          "queue.")
    import_since = import_since_setting("Import tickets updated since",
                                        "Empty imports the whole queue on the first poll.")
    overlap_seconds = overlap_setting("Each poll re-reads this much before its cursor, for changes committed late; "
                                      "repeats are recognised by ticket id and LastUpdated.", low=1)
    timezone = mf.String(load_default="UTC", metadata={
        "title": "Time zone of the RT user", "description": "RT reads the dates in a search in the API user's "
        "time zone (its Preferences, else the site's $Timezone), e.g. Europe/Berlin."})
    timeout_seconds = timeout_setting("A call with no answer by then is retried later; a create first searches for "
                                      "the hub's reference, so a slow answer never makes two tickets.")
    page_size = page_size_setting("Tickets per search page (REST2 allows at most 100).", maximum=100)
    field_map = field_map_setting("docs/connectors/itsm-rt.md")

    @validates("timezone")
    def check_timezone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"Unknown time zone {value!r}; use a name such as Europe/Berlin.") from exc

    @validates("field_map")
    def check_rules(self, value: list[dict[str, Any]], **_: Any) -> None:
        for rule in value:
            remote = str(rule.get("remote") or "")
            if remote.startswith(CF_PREFIX) and remote[len(CF_PREFIX):].strip():
                continue
            if remote not in READABLE:
                raise ValidationError(f"{remote!r} is not a ticket field the connector reads; use one of "
                                      f"{', '.join(sorted(READABLE))}, or CF.<name> for a custom field.")
            if remote not in WRITABLE and rule.get("direction", "both") != "in":
                raise ValidationError(f"{remote} cannot be written through REST2: give it direction 'in'.")

    @validates_schema
    def check_rt_user(self, data: dict[str, Any], **_: Any) -> None:
        # Only once a token is given (a login names the user): one error at a time, as before.
        if data.get("token") and not (data.get("rt_user") or data.get("username")):
            raise ValidationError("Name the RT user the token belongs to.", "rt_user")

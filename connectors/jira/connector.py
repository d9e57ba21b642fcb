"""The Jira Cloud / Jira Service Management connector: polls changed issues in, pushes hub
changes out, over REST v3.

Pull: the enhanced search (``/rest/api/3/search/jql``, paged by ``nextPageToken``) for
``updated >= cursor - overlap``, ordered by ``updated``. JQL takes times to the minute,
in the searching account's time zone (``/myself``), and the index lags behind writes, so
the overlap is wide; each issue version is one event keyed ``issue id:updated``, and the
keys inside the overlap are kept in the poll state, so re-reading costs no event. The
comments of each issue travel with it, public or internal (JSM's ``jsdPublic``).

Push: fields by an edit, the status by a transition (GET the transitions, POST the one
whose target status means the hub's). An issue the hub makes carries the label
``<prefix><ticket ref>``; a create first searches for it, so a create whose answer was
lost is found, never made twice. As for every sync connector, an update reads the issue
first and leaves alone a field changed remotely since the last sync: the next poll
settles that conflict by the field's policy.

Attachments: the search asks for ``fields.attachment`` too. A file not fetched before
(the poll state keeps their ids) and not added by the hub's own account is downloaded
from ``/attachment/content/{id}`` and travels in the event; a hub file is uploaded as
multipart/form-data with ``X-Atlassian-Token: no-check``. Jira attachments have no
visibility of their own (a JSM customer sees them all), so remote files are public and
an internal hub file stays in the hub.
"""

from __future__ import annotations

from typing import ClassVar

from connectors.jira.config import DEFAULT_EFFECTS, DEFAULT_RULES, JiraConfig
from connectors.jira.pull import JiraPull
from connectors.jira.push import JiraPush
from hub.sdk.sync import FieldRule
from hub.sdk.write_effects import WriteEffect


class JiraConnector(JiraPull, JiraPush):
    slug = "jira"
    title = "Jira Service Management"
    version = "0.1.0"
    description = "Two-way sync of issues with Jira Cloud and Jira Service Management (REST v3)."
    config_schema = JiraConfig
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = DEFAULT_RULES
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = DEFAULT_EFFECTS

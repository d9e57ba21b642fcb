"""The agent-notify plugin's settings: where team webhooks post, which mail instance sends,
how long read notifications are kept."""

from __future__ import annotations

from marshmallow import fields, validate

from hub.sdk import ConfigSchema

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="A slug: lower-case letters, digits and dashes.")


class WebhookRoute(ConfigSchema):
    instance = fields.String(required=True, validate=SLUG, metadata={
        "title": "Webhook instance", "description": "The slug of a Webhook connector instance with a push URL: "
        "it posts each notification signed with its secret (HMAC-SHA256), and the outbox retries it."})
    groups = fields.List(fields.String(validate=SLUG), load_default=list, metadata={
        "title": "Groups", "description": "Only tickets of these groups (slugs); empty: every ticket."})
    events = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list, metadata={
        "title": "Events", "description": "Only these events (new_in_group, assigned, requester_replied, "
        "sla_warning, sla_breached, approval_needed, mentioned); empty: every event."})


class AgentNotifySettings(ConfigSchema):
    webhooks = fields.List(fields.Nested(WebhookRoute), load_default=list, metadata={
        "title": "Team webhooks", "description": "Post agents' notifications to a team's chat or paging tool: "
        "one post per event, naming the agents who chose the webhook for it."})
    instance = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Mail instance", "description": "Send agents' mail through this connector instance; empty: "
        "the first enabled one that sends mail."})
    keep_days = fields.Integer(load_default=90, validate=validate.Range(1, 3650), metadata={
        "title": "Keep read notifications (days)", "description": "Read notifications older than this are "
        "forgotten; unread ones stay until read."})

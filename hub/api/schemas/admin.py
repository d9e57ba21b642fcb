"""Schemas of the admin API: plugins, connector types and instances, events."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import MAX_ID, Strict


class PluginSchema(ma.Schema):
    name = fields.String()
    kind = fields.String()
    version = fields.String(allow_none=True)
    distribution = fields.String(allow_none=True)
    description = fields.String()
    status = fields.String(metadata={"description": "enabled, disabled, failed, or not loaded (installed after "
                                                    "the process that answers started)"})
    origin = fields.String(metadata={"description": "core, built-in (shipped with the hub), configured (given in "
                                                    "code) or third-party (disabled until an admin enables it)"})
    first_seen_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When a hub process first found this third-party plugin installed"})
    error = fields.String(allow_none=True)
    hooks = fields.List(fields.String())
    connectors = fields.List(fields.String())
    failure_count = fields.Integer()
    last_failure = fields.String(allow_none=True)
    last_failure_hook = fields.String(allow_none=True)
    last_failure_at = fields.AwareDateTime(allow_none=True)
    restart_needed = fields.String(allow_none=True, metadata={
        "description": "Why running processes must restart for this plugin (installed, upgraded or removed "
                       "after they started); null when none must"})
    restart_processes = fields.List(fields.String(), metadata={"description": "The processes that must restart"})


class PluginPatchSchema(Strict):
    enabled = fields.Boolean(required=True)


class FieldInfoSchema(ma.Schema):
    name = fields.String()
    type = fields.String()
    title = fields.String()
    description = fields.String()
    required = fields.Boolean()
    secret = fields.Boolean()
    default = fields.Raw(allow_none=True)
    choices = fields.List(fields.Raw(), allow_none=True)
    many = fields.Boolean()


class ConnectorTypeSchema(ma.Schema):
    slug = fields.String()
    title = fields.String()
    version = fields.String()
    description = fields.String()
    plugin = fields.String()
    capabilities = fields.List(fields.String())
    default_poll_interval = fields.Integer(allow_none=True)
    fields_ = fields.List(fields.Nested(FieldInfoSchema), data_key="fields")


class InstanceInSchema(Strict):
    connector = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(validate=validate.Length(max=200))
    config = fields.Dict(load_default=dict)
    department = fields.String(allow_none=True)
    enabled = fields.Boolean(load_default=False)
    poll_interval = fields.Integer(allow_none=True, validate=validate.Range(5, 31 * 86400))
    poll_cron = fields.String(allow_none=True, validate=validate.Length(max=120))


class InstancePatchSchema(Strict):
    name = fields.String(validate=validate.Length(max=200))
    config = fields.Dict(metadata={"description": "The whole config; secrets left out or sent as ******** "
                                   "keep their stored value."})
    department = fields.String(allow_none=True)
    enabled = fields.Boolean()
    poll_interval = fields.Integer(allow_none=True, validate=validate.Range(5, 31 * 86400))
    poll_cron = fields.String(allow_none=True, validate=validate.Length(max=120))


class RunSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    fetched = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer()
    error = fields.String(allow_none=True)


class InstanceSchema(ma.Schema):
    slug = fields.String()
    name = fields.String()
    connector = fields.String()
    installed = fields.Boolean()
    enabled = fields.Boolean()
    department = fields.String(allow_none=True)
    config = fields.Dict(metadata={"description": "Secrets appear as ******** when set, never their value."})
    poll_interval = fields.Integer(allow_none=True)
    poll_cron = fields.String(allow_none=True)
    capabilities = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    last_error = fields.String(allow_none=True)
    last_error_at = fields.AwareDateTime(allow_none=True)
    last_run = fields.Nested(RunSchema, allow_none=True)
    quarantined_events = fields.Integer()
    webhook_url = fields.String(allow_none=True)


class CheckResultSchema(ma.Schema):
    ok = fields.Boolean()
    detail = fields.String()


class EventSchema(ma.Schema):
    id = fields.Integer()
    instance = fields.String()
    received_at = fields.AwareDateTime()
    idempotency_key = fields.String()
    content_type = fields.String()
    payload = fields.Raw(allow_none=True)
    body_size = fields.Integer(allow_none=True)
    meta = fields.Dict()
    status = fields.String()
    action = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    ticket = fields.String(allow_none=True)
    correlation_key = fields.String(allow_none=True)
    attempts = fields.Integer()
    processed_at = fields.AwareDateTime(allow_none=True)


class EventListArgs(Strict):
    status = fields.String(validate=validate.OneOf(("received", "applied", "ignored", "quarantined")))
    instance = fields.String()
    before = fields.Integer(validate=validate.Range(1, MAX_ID),
                            metadata={"description": "Only events with a smaller id (paging)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class IngestResultSchema(ma.Schema):
    event_id = fields.Integer()
    status = fields.String()
    action = fields.String(allow_none=True)
    ticket = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    duplicate = fields.Boolean()


class OutboxMessageSchema(ma.Schema):
    id = fields.Integer()
    lane = fields.String()
    instance_id = fields.Integer(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)
    link_id = fields.Integer(allow_none=True)
    action = fields.String()
    payload = fields.Dict()
    idempotency_key = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)
    result = fields.Dict()
    held_behind = fields.Integer(allow_none=True, metadata={
        "description": "A pending message waiting behind this dead letter of its record (replay or discard it)."})


class OutboxListArgs(Strict):
    status = fields.String(validate=validate.OneOf(("pending", "delivered", "dead", "discarded")))
    lane = fields.String(validate=validate.Length(max=255))
    before = fields.Integer(validate=validate.Range(1, MAX_ID))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class ReplayCountSchema(ma.Schema):
    replayed = fields.Integer()


class SyncQueuedSchema(ma.Schema):
    job_id = fields.String()


class JobStatusSchema(ma.Schema):
    queues = fields.Dict()
    workers = fields.List(fields.Dict())
    failed_jobs = fields.List(fields.Dict())
    outbox = fields.Dict()


class PluginSettingsSchema(ma.Schema):
    plugin = fields.String()
    settings = fields.Dict()
    fields_ = fields.List(fields.Nested(FieldInfoSchema), data_key="fields")


class PluginSettingsInSchema(Strict):
    settings = fields.Dict(required=True)

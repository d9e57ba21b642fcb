"""/api/v1/admin: plugins, connector types and instances, inbound events. Admins only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from hub.api.context import actor, reading, runtime, unit_of_work
from hub.api.schemas.admin import (
    CheckResultSchema,
    ConnectorTypeSchema,
    EventListArgs,
    EventSchema,
    IngestResultSchema,
    InstanceInSchema,
    InstancePatchSchema,
    InstanceSchema,
    JobStatusSchema,
    OutboxListArgs,
    OutboxMessageSchema,
    PluginPatchSchema,
    PluginSchema,
    PluginSettingsInSchema,
    PluginSettingsSchema,
    ReplayCountSchema,
    RunSchema,
    SyncQueuedSchema,
)
from hub.auth.web import requires
from hub.delivery import outbox
from hub.ingest.pipeline import replay_event
from hub.jobs.status import job_status, recent_runs, sync_now
from hub.models import ConnectorInstance, InboundEvent, Ticket
from hub.plugins.admin import get_plugin, list_plugins, present_settings, set_enabled, update_settings
from hub.plugins.instances import (
    check_instance,
    connector_class,
    create_instance,
    get_instance,
    list_instances,
    present_instance,
    update_instance,
)
from hub.sdk.schema import describe
from hub.sdk.tracker_errors import Conflict, NotFound

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Plugins, connectors, events (admins).")


@bp.route("/plugins", methods=["GET"])
@requires("admin")
@bp.response(200, PluginSchema(many=True))
def plugins() -> Any:
    """Installed plugins: kind, version, status and the failures their hooks raised."""
    with reading() as session:
        return [view.as_dict() for view in list_plugins(session)]


@bp.route("/plugins/<name>")
class PluginItem(MethodView):
    @requires("admin")
    @bp.response(200, PluginSchema)
    def get(self, name: str) -> Any:
        with reading() as session:
            return get_plugin(session, name).as_dict()

    @requires("admin")
    @bp.arguments(PluginPatchSchema)
    @bp.response(200, PluginSchema)
    def patch(self, data: dict[str, Any], name: str) -> Any:
        """Enable or disable; every process follows without a restart."""
        with unit_of_work() as session:
            return set_enabled(session=session, name=name, enabled=data["enabled"]).as_dict()


def _connector_type(slug: str) -> dict[str, Any]:
    hub = runtime()
    cls = connector_class(hub, slug)
    return {
        "slug": cls.slug, "title": cls.title, "version": cls.version, "description": cls.description,
        "plugin": hub.plugins.plugin_of_connector(slug), "capabilities": cls.capabilities(),
        "default_poll_interval": cls.default_poll_interval,
        "fields_": [info.__dict__ for info in describe(cls.config_schema)],
    }


@bp.route("/connectors", methods=["GET"])
@requires("admin")
@bp.response(200, ConnectorTypeSchema(many=True))
def connectors() -> Any:
    """Installed connectors with the fields their configuration takes."""
    return [_connector_type(slug) for slug in sorted(runtime().plugins.connectors)]


@bp.route("/connectors/<slug>", methods=["GET"])
@requires("admin")
@bp.response(200, ConnectorTypeSchema)
def connector(slug: str) -> Any:
    return _connector_type(slug)


@bp.route("/instances")
class Instances(MethodView):
    @requires("admin")
    @bp.response(200, InstanceSchema(many=True))
    def get(self) -> Any:
        with reading() as session:
            return [present_instance(session, instance) for instance in list_instances(session)]

    @requires("admin")
    @bp.arguments(InstanceInSchema)
    @bp.response(201, InstanceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an instance; its config is checked against the connector's schema."""
        with unit_of_work() as session:
            instance = create_instance(session=session, **data)
            return present_instance(session, instance)


@bp.route("/instances/<slug>")
class InstanceItem(MethodView):
    @requires("admin")
    @bp.response(200, InstanceSchema)
    def get(self, slug: str) -> Any:
        with reading() as session:
            return present_instance(session, get_instance(session, slug))

    @requires("admin")
    @bp.arguments(InstancePatchSchema)
    @bp.response(200, InstanceSchema)
    def patch(self, data: dict[str, Any], slug: str) -> Any:
        with unit_of_work() as session:
            instance = update_instance(session=session, instance=get_instance(session, slug), changes=data)
            return present_instance(session, instance)

    @requires("admin")
    @bp.response(204)
    def delete(self, slug: str) -> Any:
        """Remove an instance that never received anything; disable it otherwise."""
        with unit_of_work() as session:
            instance = get_instance(session, slug)
            used = session.scalar(select(func.count(InboundEvent.id)).where(InboundEvent.instance_id == instance.id))
            if used:
                raise Conflict(f"{slug} has {used} stored events; disable it instead so their history stays.")
            session.delete(instance)
        return None


@bp.route("/instances/<slug>/test", methods=["POST"])
@requires("admin")
@bp.response(200, CheckResultSchema)
def test_instance(slug: str) -> Any:
    """Run the connector's connection check with the stored config."""
    with reading() as session:
        ok, detail = check_instance(session, get_instance(session, slug))
    return {"ok": ok, "detail": detail}


def present_event(session: Any, event: InboundEvent, instance_slug: str | None = None) -> dict[str, Any]:
    ref = session.scalar(select(Ticket.ref).where(Ticket.id == event.ticket_id)) if event.ticket_id else None
    slug = instance_slug or session.scalar(select(ConnectorInstance.slug).where(
        ConnectorInstance.id == event.instance_id))
    return {
        "id": event.id, "instance": slug, "received_at": event.received_at,
        "idempotency_key": event.idempotency_key, "content_type": event.content_type, "payload": event.payload,
        "body_size": len(event.body) if event.body is not None else None, "meta": event.meta or {},
        "status": event.status, "action": event.action, "reason": event.reason, "ticket": ref,
        "correlation_key": event.correlation_key, "attempts": event.attempts, "processed_at": event.processed_at,
    }


@bp.route("/events", methods=["GET"])
@requires("admin")
@bp.arguments(EventListArgs, location="query", unknown=ma.RAISE)
@bp.response(200, EventSchema(many=True))
def events(args: dict[str, Any]) -> Any:
    """Inbound events, newest first: filter by status (``quarantined``) and instance."""
    with reading() as session:
        query = select(InboundEvent).order_by(InboundEvent.id.desc()).limit(args["limit"])
        if args.get("status"):
            query = query.where(InboundEvent.status == args["status"])
        if args.get("instance"):
            query = query.where(InboundEvent.instance_id == get_instance(session, args["instance"]).id)
        if args.get("before"):
            query = query.where(InboundEvent.id < args["before"])
        return [present_event(session, event) for event in session.scalars(query)]


@bp.route("/events/<int:event_id>", methods=["GET"])
@requires("admin")
@bp.response(200, EventSchema)
def event(event_id: int) -> Any:
    with reading() as session:
        found = session.get(InboundEvent, event_id)
        if found is None:
            raise NotFound(f"No event {event_id}.")
        return present_event(session, found)


@bp.route("/events/<int:event_id>/replay", methods=["POST"])
@requires("admin")
@bp.response(200, IngestResultSchema)
def replay(event_id: int) -> Any:
    """Read a quarantined event again, after fixing what made it fail."""
    with unit_of_work() as session:
        return replay_event(session=session, event_id=event_id).as_dict()


@bp.route("/instances/<slug>/runs", methods=["GET"])
@requires("admin")
@bp.response(200, RunSchema(many=True))
def instance_runs(slug: str) -> Any:
    """Recent polls and syncs with what each fetched, created, updated, skipped and failed."""
    with reading() as session:
        return recent_runs(session, get_instance(session, slug).id, 50)


@bp.route("/instances/<slug>/sync", methods=["POST"])
@requires("admin")
@bp.response(202, SyncQueuedSchema)
def instance_sync(slug: str) -> Any:
    """Poll the instance now."""
    with reading() as session:
        instance_id = get_instance(session, slug).id
    return {"job_id": sync_now(runtime(), instance_id)}


@bp.route("/outbox", methods=["GET"])
@requires("admin")
@bp.arguments(OutboxListArgs, location="query", unknown=ma.RAISE)
@bp.response(200, OutboxMessageSchema(many=True))
def outbox_messages(args: dict[str, Any]) -> Any:
    """Outbound deliveries, newest first; ``status=dead`` lists the dead letters. A pending
    message waiting behind an earlier dead letter of its record names it in ``held_behind``."""
    with reading() as session:
        messages = outbox.list_messages(session, **args)
        held = outbox.held_behind(session, messages)
        return [outbox.present(message, held) for message in messages]


@bp.route("/outbox/<int:message_id>", methods=["GET"])
@requires("admin")
@bp.response(200, OutboxMessageSchema)
def outbox_message(message_id: int) -> Any:
    with reading() as session:
        message = outbox.get_message(session, message_id)
        return outbox.present(message, outbox.held_behind(session, [message]))


@bp.route("/outbox/<int:message_id>/replay", methods=["POST"])
@requires("admin")
@bp.response(200, OutboxMessageSchema)
def outbox_replay(message_id: int) -> Any:
    """Send a dead letter again with a fresh set of attempts."""
    with unit_of_work() as session:
        return outbox.present(outbox.replay(session, message_id))


@bp.route("/outbox/<int:message_id>/discard", methods=["POST"])
@requires("admin")
@bp.response(200, OutboxMessageSchema)
def outbox_discard(message_id: int) -> Any:
    """Give up on a dead letter; the later updates of its record held behind it go on, in order."""
    with unit_of_work() as session:
        return outbox.present(outbox.discard(session, message_id, by=actor().name))


@bp.route("/outbox/replay-dead", methods=["POST"])
@requires("admin")
@bp.response(200, ReplayCountSchema)
def outbox_replay_dead() -> Any:
    with unit_of_work() as session:
        return {"replayed": outbox.replay_all_dead(session)}


@bp.route("/jobs", methods=["GET"])
@requires("admin")
@bp.response(200, JobStatusSchema)
def jobs() -> Any:
    """Queue depths, workers, failed jobs and the outbox's counts."""
    return job_status(runtime())


@bp.route("/plugins/<name>/settings")
class PluginSettings(MethodView):
    @requires("admin")
    @bp.response(200, PluginSettingsSchema)
    def get(self, name: str) -> Any:
        """A plugin's settings (secrets masked) with the fields its schema declares."""
        with reading() as session:
            return present_settings(session, name)

    @requires("admin")
    @bp.arguments(PluginSettingsInSchema)
    @bp.response(200, PluginSettingsSchema)
    def put(self, data: dict[str, Any], name: str) -> Any:
        """Replace a plugin's settings; they are validated by the plugin's schema."""
        with unit_of_work() as session:
            return update_settings(session=session, name=name, settings=data["settings"])

"""/api/v1: change governance. Admins set the boards (approval policies), the standard-change
catalogue and freeze windows; agents read the calendar, a change's approval standing and
its collisions, and make standard changes from templates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import Forbidden

from hub.api.context import actor, etag_for, principal, reading, unit_of_work
from hub.api.presenters import present_ticket, ticket_values
from hub.api.schemas.changes import (
    ApprovalStatusSchema,
    CalendarArgs,
    CalendarSchema,
    FreezeInSchema,
    FreezeSchema,
    FromTemplateSchema,
    PolicyInSchema,
    PolicyPatchSchema,
    PolicySchema,
    ScheduleCheckSchema,
    TemplateInSchema,
    TemplatePatchSchema,
    TemplateSchema,
)
from hub.api.schemas.tickets import TicketSchema
from hub.auth.web import requires
from hub.tracker import cab, change_calendar, change_templates, tickets


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The calendar and a change's board and collisions name agents, items and other changes:
    staff only (a requester's ``tickets:read:own`` passes ``requires`` for their own tickets).
    Checked before the query is read, so a requester learns nothing from a 422 either."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not principal().can("tickets:read"):
            raise Forbidden("The change calendar and approval details are for staff.")
        return view(*args, **kwargs)

    return checked


bp = Blueprint("change_governance", __name__, url_prefix="/api/v1",
               description="Change governance: approval boards, standard-change templates, freezes, the calendar.")


@bp.route("/admin/approval-policies")
class Policies(MethodView):
    @requires("admin")
    @bp.response(200, PolicySchema(many=True))
    def get(self) -> Any:
        """Which group decides on which changes, and its quorum."""
        with reading() as session:
            return [cab.present_policy(session, policy) for policy in cab.list_policies(session)]

    @requires("admin")
    @bp.arguments(PolicyInSchema)
    @bp.response(201, PolicySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Name the board of a change type (and risk); 409 when that pair has one."""
        with unit_of_work() as session:
            return cab.present_policy(session, cab.create_policy(session=session, values=data, actor=actor()))


@bp.route("/admin/approval-policies/<int:policy_id>")
class Policy(MethodView):
    @requires("admin")
    @bp.response(200, PolicySchema)
    def get(self, policy_id: int) -> Any:
        with reading() as session:
            return cab.present_policy(session, cab.get_policy(session, policy_id))

    @requires("admin")
    @bp.arguments(PolicyPatchSchema)
    @bp.response(200, PolicySchema)
    def patch(self, data: dict[str, Any], policy_id: int) -> Any:
        with unit_of_work() as session:
            policy = cab.update_policy(session=session, policy=cab.get_policy(session, policy_id), values=data,
                                       actor=actor())
            return cab.present_policy(session, policy)

    @requires("admin")
    @bp.response(204)
    def delete(self, policy_id: int) -> Any:
        with unit_of_work() as session:
            cab.delete_policy(session=session, policy=cab.get_policy(session, policy_id), actor=actor())
        return ""


@bp.route("/admin/change-templates")
class AdminTemplates(MethodView):
    @requires("admin")
    @bp.response(200, TemplateSchema(many=True))
    def get(self) -> Any:
        """Every template, retired ones too."""
        with reading() as session:
            return [change_templates.present_template(t) for t in change_templates.list_templates(session)]

    @requires("admin")
    @bp.arguments(TemplateInSchema)
    @bp.response(201, TemplateSchema)
    def post(self, data: dict[str, Any]) -> Any:
        with unit_of_work() as session:
            return change_templates.present_template(
                change_templates.create_template(session=session, values=data, actor=actor()))


@bp.route("/admin/change-templates/<int:template_id>")
class AdminTemplate(MethodView):
    @requires("admin")
    @bp.response(200, TemplateSchema)
    def get(self, template_id: int) -> Any:
        with reading() as session:
            return change_templates.present_template(change_templates.get_template(session, template_id))

    @requires("admin")
    @bp.arguments(TemplatePatchSchema)
    @bp.response(200, TemplateSchema)
    def patch(self, data: dict[str, Any], template_id: int) -> Any:
        with unit_of_work() as session:
            template = change_templates.get_template(session, template_id)
            change_templates.update_template(session=session, template=template, values=data, actor=actor())
            return change_templates.present_template(template)

    @requires("admin")
    @bp.response(204)
    def delete(self, template_id: int) -> Any:
        """Delete a template never used (409 once changes were made from it: retire it instead)."""
        with unit_of_work() as session:
            change_templates.delete_template(session=session, template=change_templates.get_template(
                session, template_id), actor=actor())
        return ""


@bp.route("/admin/freeze-windows")
class Freezes(MethodView):
    @requires("admin")
    @bp.response(200, FreezeSchema(many=True))
    def get(self) -> Any:
        with reading() as session:
            return [freeze.as_dict() for freeze in change_calendar.list_freezes(session)]

    @requires("admin")
    @bp.arguments(FreezeInSchema)
    @bp.response(201, FreezeSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Freeze changes at a site (and under it), or everywhere, for a time."""
        with unit_of_work() as session:
            window = change_calendar.create_freeze(session=session, actor=actor(), **data)
            return next(f.as_dict() for f in change_calendar.list_freezes(session) if f.id == window.id)


@bp.route("/admin/freeze-windows/<int:freeze_id>", methods=["DELETE"])
@requires("admin")
@bp.response(204)
def delete_freeze(freeze_id: int) -> Any:
    with unit_of_work() as session:
        change_calendar.delete_freeze(session=session, freeze_id=freeze_id, actor=actor())
    return ""


@bp.route("/change-templates", methods=["GET"])
@requires("tickets:write")
@bp.response(200, TemplateSchema(many=True))
def templates() -> Any:
    """The standard-change catalogue: the templates changes can be made from."""
    with reading() as session:
        return [change_templates.present_template(t) for t in change_templates.list_templates(session,
                                                                                              active_only=True)]


@bp.route("/changes/from-template", methods=["POST"])
@requires("tickets:write")
@bp.arguments(FromTemplateSchema)
@bp.response(201, TicketSchema)
def from_template(data: dict[str, Any]) -> Any:
    """Make a standard change from a template: approved at once, with the template's title, risk and plan."""
    values = ticket_values(data)
    slug = values.pop("template")
    with unit_of_work() as session:
        template = change_templates.get_template(session, slug)
        ticket = change_templates.create_from_template(session=session, template=template, values=values,
                                                       actor=actor())
        body = present_ticket(session, ticket)
        return body, 201, {"ETag": etag_for(ticket.version), "Location": body["url"]}


@bp.route("/changes/calendar", methods=["GET"])
@requires("tickets:read")
@staff_only
@bp.arguments(CalendarArgs, location="query", unknown=ma.RAISE)
@bp.response(200, CalendarSchema)
def calendar(args: dict[str, Any]) -> Any:
    """Changes planned between ``from`` and ``to`` (at a site or line, with all under it) and the
    freeze windows in that time."""
    with reading() as session:
        entries, freezes = change_calendar.calendar(session, start=args["from_"], end=args["to"],
                                                    site=args.get("site"), line=args.get("line"))
        return {"changes": [e.as_dict() for e in entries], "freezes": [f.as_dict() for f in freezes]}


@bp.route("/changes/<ref>/collisions", methods=["GET"])
@requires("tickets:read")
@staff_only
@bp.response(200, ScheduleCheckSchema)
def collisions(ref: str) -> Any:
    """Other changes at overlapping times on the change's item (or its parent or child), and the
    freezes its window falls in: what approval and scheduling refuse without an override."""
    with reading() as session:
        return change_calendar.check_schedule(session, tickets.get_ticket(session, ref, kind="change")).as_dict()


@bp.route("/changes/<ref>/approval-status", methods=["GET"])
@requires("tickets:read")
@staff_only
@bp.response(200, ApprovalStatusSchema)
def approval_status(ref: str) -> Any:
    """Who decides, who approved and rejected in this round, and how many more approvals it needs."""
    with reading() as session:
        return cab.approval_status(session, tickets.get_ticket(session, ref, kind="change")).as_dict()

"""/api/v1/canned-replies: agents' reply templates, and a reply filled in for a ticket."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from hub.api.context import principal, reading, unit_of_work
from hub.api.schemas.tickets import Strict
from hub.auth.web import requires
from hub.models import CannedReply
from hub.tracker import canned, tickets

bp = Blueprint("canned", __name__, url_prefix="/api/v1", description="Canned replies agents insert into comments.")

PLACEHOLDER_TEXT = "Placeholders: " + ", ".join("{" + name + "} " + what for name, what in canned.PLACEHOLDERS.items())


class CannedIn(Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=canned.TITLE_MAX))
    body = fields.String(required=True, validate=validate.Length(min=1, max=canned.BODY_MAX),
                         metadata={"description": PLACEHOLDER_TEXT})
    visibility = fields.String(load_default="public", validate=validate.OneOf(canned.VISIBILITIES))
    shared = fields.Boolean(load_default=False, metadata={"description": "Offered to every agent (admins only)."})


class CannedPatch(Strict):
    title = fields.String(validate=validate.Length(min=1, max=canned.TITLE_MAX))
    body = fields.String(validate=validate.Length(min=1, max=canned.BODY_MAX))
    visibility = fields.String(validate=validate.OneOf(canned.VISIBILITIES))


class CannedOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    visibility = fields.String()
    shared = fields.Boolean()
    uses = fields.Integer()
    updated_at = fields.DateTime()


class RenderIn(Strict):
    ticket = fields.String(required=True, metadata={"description": "The ticket's reference."})


class RenderOut(ma.Schema):
    body = fields.String()
    visibility = fields.String()


def present(reply: CannedReply) -> dict[str, Any]:
    return {"id": reply.id, "title": reply.title, "body": reply.body, "visibility": reply.visibility,
            "shared": reply.owner_id is None, "uses": reply.uses, "updated_at": reply.updated_at}


def editor() -> canned.Editor:
    caller = principal()
    return canned.Editor(user_id=caller.user_id, admin=caller.can("admin"))


@bp.route("/canned-replies")
class Replies(MethodView):
    @requires("tickets:write")
    @bp.response(200, CannedOut(many=True))
    def get(self) -> Any:
        """The shared replies and the caller's own, by title."""
        with reading() as session:
            return [present(reply) for reply in canned.visible_to(session, principal().user_id)]

    @requires("tickets:write")
    @bp.arguments(CannedIn)
    @bp.response(201, CannedOut)
    def post(self, data: dict[str, Any]) -> Any:
        with unit_of_work() as session:
            return present(canned.create_reply(session, editor(), data))


@bp.route("/canned-replies/<int:reply_id>")
class Reply(MethodView):
    @requires("tickets:write")
    @bp.response(200, CannedOut)
    def get(self, reply_id: int) -> Any:
        with reading() as session:
            return present(canned.get_reply(session, reply_id, principal().user_id))

    @requires("tickets:write")
    @bp.arguments(CannedPatch)
    @bp.response(200, CannedOut)
    def patch(self, data: dict[str, Any], reply_id: int) -> Any:
        with unit_of_work() as session:
            return present(canned.update_reply(session, editor(), reply_id, data))

    @requires("tickets:write")
    @bp.response(204)
    def delete(self, reply_id: int) -> Any:
        with unit_of_work() as session:
            canned.delete_reply(session, editor(), reply_id)
        return ""


@bp.route("/canned-replies/<int:reply_id>/render", methods=["POST"])
@requires("tickets:write")
@bp.arguments(RenderIn)
@bp.response(200, RenderOut)
def render(data: dict[str, Any], reply_id: int) -> Any:
    """The reply filled in for a ticket (issues its status link if `{status_link}` needs one)."""
    caller = principal()
    with unit_of_work() as session:
        reply = canned.get_reply(session, reply_id, caller.user_id)
        ticket = tickets.get_ticket(session, data["ticket"])
        return {"body": canned.render(session, reply, ticket, caller.user_id, caller.name),
                "visibility": reply.visibility}

"""/api/v1/custom-fields: the fields an admin defines for a department's tickets.

Everyone signed in reads them (a form needs them); only admins change them. A ticket's
values travel in the ticket API as ``custom_fields: {name: value}``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.context import actor, reading, unit_of_work
from hub.api.schemas.fields import FieldCreateSchema, FieldDeleteArgs, FieldListArgs, FieldPatchSchema, FieldSchema
from hub.auth.web import requires
from hub.tracker import custom_fields

bp = Blueprint("custom_fields", __name__, url_prefix="/api/v1/custom-fields",
               description="Custom fields per department and ticket kind.")


@bp.route("")
class Fields(MethodView):
    @requires("org:read")
    @bp.arguments(FieldListArgs, location="query", unknown=ma.RAISE)
    @bp.response(200, FieldSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Every field in form order; with department or kind, those such a ticket has."""
        with reading() as session:
            return [custom_fields.present(info) for info in
                    custom_fields.list_fields(session, department=args.get("department"), kind=args.get("kind"))]

    @requires("org:write")
    @bp.arguments(FieldCreateSchema)
    @bp.response(201, FieldSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Define a field; a name in use is a 409."""
        with unit_of_work() as session:
            row = custom_fields.create_field(session=session, actor=actor("api"), **data)
            return custom_fields.present(custom_fields.info_of(session, row))


@bp.route("/<name>")
class Field(MethodView):
    @requires("org:read")
    @bp.response(200, FieldSchema)
    def get(self, name: str) -> Any:
        with reading() as session:
            return custom_fields.present(custom_fields.info_of(session, custom_fields.get_field(session, name)))

    @requires("org:write")
    @bp.arguments(FieldPatchSchema)
    @bp.response(200, FieldSchema)
    def patch(self, data: dict[str, Any], name: str) -> Any:
        """Change what is sent. The type changes only while no ticket has a value (409); an
        option tickets still have cannot be removed (422)."""
        with unit_of_work() as session:
            row = custom_fields.get_field(session, name)
            custom_fields.update_field(session=session, field=row, changes=data, actor=actor("api"))
            return custom_fields.present(custom_fields.info_of(session, row))

    @requires("org:write")
    @bp.arguments(FieldDeleteArgs, location="query", unknown=ma.RAISE)
    @bp.response(204)
    def delete(self, args: dict[str, Any], name: str) -> Any:
        """Delete it; refused (409, with ``in_use``) while tickets have values, unless ``with_values``."""
        with unit_of_work() as session:
            custom_fields.delete_field(session=session, field=custom_fields.get_field(session, name),
                                       actor=actor("api"), with_values=args["with_values"])
        return ""

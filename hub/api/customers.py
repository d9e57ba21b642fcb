"""/api/v1/customers: one record per person across channels, their history, merges and privacy.

Agents read and edit customers (``customers:read``, ``customers:write``); exporting and
erasing a person's data is an admin's (``privacy``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.context import actor, reading, unit_of_work
from hub.api.schemas.customers import (
    CustomerClearRiskSchema,
    CustomerDetailSchema,
    CustomerErasedSchema,
    CustomerEraseSchema,
    CustomerEventSchema,
    CustomerIdentityInSchema,
    CustomerIdentitySchema,
    CustomerListArgs,
    CustomerListSchema,
    CustomerMergeSchema,
    CustomerNoteSchema,
    CustomerOrganisationInSchema,
    CustomerOrganisationPatchSchema,
    CustomerOrganisationSchema,
    CustomerPatchSchema,
    CustomerSchema,
    CustomerTicketsArgs,
    CustomerTicketSchema,
)
from hub.auth.web import requires
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import customer_admin as admin
from hub.tracker.customer_history import customer_view, ticket_lines
from hub.tracker.customer_present import (
    CUSTOMER_COLUMNS,
    TICKET_COLUMNS,
    csv_text,
    present_customers,
    present_view,
    ticket_rows,
)
from hub.tracker.customer_risk import clear_flag
from hub.tracker.privacy import erase_customer, export_customer

bp = Blueprint("customers", __name__, url_prefix="/api/v1",
               description="Customers: one record per person across every channel, with history and privacy.")


#: The CSV downloads under their own paths, outside the OpenAPI document (which describes JSON).
csv_bp = FlaskBlueprint("customers_csv", __name__, url_prefix="/api/v1")


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _listed(args: dict[str, Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    with reading() as session:
        found = admin.list_customers(session, q=args.get("q"), organisation_id=args.get("organisation"),
                                     vip=args.get("vip"), after=args.get("after"), limit=args["limit"],
                                     at_risk=args.get("at_risk"))
        return found, present_customers(session, found)


@bp.route("/customers", methods=["GET"])
@requires("customers:read")
@bp.arguments(CustomerListArgs, location="query")
@bp.response(200, CustomerListSchema)
def list_customers(args: dict[str, Any]) -> Any:
    """Customers newest first; ``q`` searches names and identities. /api/v1/customers.csv takes
    the same query and answers a spreadsheet."""
    found, items = _listed(args)
    return {"items": items, "next_cursor": found[-1].id if len(found) == args["limit"] else None}


@bp.route("/customers/<int:customer_id>")
class CustomerItem(MethodView):
    @requires("customers:read")
    @bp.response(200, CustomerDetailSchema)
    def get(self, customer_id: int) -> Any:
        """One customer: identities, every ticket newest first with SLA outcome, satisfaction, open count."""
        with reading() as session:
            return present_view(session, customer_view(session, admin.get_customer(session, customer_id)))

    @requires("customers:write")
    @bp.arguments(CustomerPatchSchema)
    @bp.response(200, CustomerSchema)
    def patch(self, data: dict[str, Any], customer_id: int) -> Any:
        """Set the name, VIP flag, organisation (by name), owner (username) or group (slug), notes."""
        with unit_of_work() as session:
            customer = admin.get_customer(session, customer_id, for_update=True)
            admin.update_customer(session=session, customer=customer, values=data, actor=actor("api"))
            session.flush()
            return present_customers(session, [customer])[0]


@bp.route("/customers/<int:customer_id>/tickets", methods=["GET"])
@requires("customers:read")
@bp.arguments(CustomerTicketsArgs, location="query")
@bp.response(200, CustomerTicketSchema(many=True))
def customer_tickets(args: dict[str, Any], customer_id: int) -> Any:
    """The customer's tickets across channels, newest first, 200 a page (``before``: the last id
    seen); /api/v1/customers/<id>/tickets.csv answers the same as a spreadsheet."""
    return ticket_rows(_tickets(customer_id, args.get("before")))


def _tickets(customer_id: int, before: int | None) -> list[Any]:
    with reading() as session:
        admin.get_customer(session, customer_id)
        return ticket_lines(session, customer_id, before=before)


@bp.route("/customers/<int:customer_id>/identities", methods=["POST"])
@requires("customers:write")
@bp.arguments(CustomerIdentityInSchema)
@bp.response(201, CustomerIdentitySchema)
def add_identity(data: dict[str, Any], customer_id: int) -> Any:
    """Link an address, phone number or account (system:name); one that is someone else's is a 409."""
    with unit_of_work() as session:
        customer = admin.get_customer(session, customer_id, for_update=True)
        identity = admin.add_identity(session=session, customer=customer, kind=data["kind"], value=data["value"],
                                      actor=actor("api"))
        return {"id": identity.id, "kind": identity.kind, "value": identity.value}


@bp.route("/customers/<int:customer_id>/identities/<int:identity_id>", methods=["DELETE"])
@requires("customers:write")
@bp.response(204)
def remove_identity(customer_id: int, identity_id: int) -> None:
    """Unlink an identity; the tickets stay the customer's."""
    with unit_of_work() as session:
        customer = admin.get_customer(session, customer_id, for_update=True)
        admin.remove_identity(session=session, customer=customer, identity_id=identity_id, actor=actor("api"))


@bp.route("/customers/<int:customer_id>/merge", methods=["POST"])
@requires("customers:write")
@bp.arguments(CustomerMergeSchema)
@bp.response(200, CustomerSchema)
def merge(data: dict[str, Any], customer_id: int) -> Any:
    """Merge this customer into ``into``: its identities and tickets move; unmerge undoes it."""
    with unit_of_work() as session:
        source = admin.get_customer(session, customer_id, for_update=True)
        into = admin.get_customer(session, data["into"], for_update=True)
        admin.merge_customers(session=session, source=source, into=into, actor=actor("api"), note=data.get("note"))
        return present_customers(session, [into])[0]


@bp.route("/customers/<int:customer_id>/unmerge", methods=["POST"])
@requires("customers:write")
@bp.arguments(CustomerNoteSchema)
@bp.response(200, CustomerSchema)
def unmerge(data: dict[str, Any], customer_id: int) -> Any:
    """Undo this customer's merge: its identities and tickets come back."""
    with unit_of_work() as session:
        customer = admin.get_customer(session, customer_id, for_update=True)
        admin.unmerge_customer(session=session, customer=customer, actor=actor("api"), note=data.get("note"))
        return present_customers(session, [customer])[0]


@bp.route("/customers/<int:customer_id>/risk/clear", methods=["POST"])
@requires("customers:write")
@bp.arguments(CustomerClearRiskSchema)
@bp.response(200, CustomerSchema)
def clear_risk(data: dict[str, Any], customer_id: int) -> Any:
    """Clear the customer's at-risk flag; the note saying why goes to the history (409: not flagged)."""
    with unit_of_work() as session:
        customer = admin.get_customer(session, customer_id, for_update=True)
        clear_flag(session=session, customer=customer, actor=actor("api"), note=data["note"])
        return present_customers(session, [customer])[0]


@bp.route("/customers/<int:customer_id>/events", methods=["GET"])
@requires("customers:read")
@bp.response(200, CustomerEventSchema(many=True))
def events(customer_id: int) -> Any:
    """The customer's audit, newest first: links, merges, edits, exports."""
    with reading() as session:
        admin.get_customer(session, customer_id)
        return admin.events_of(session, customer_id)


@bp.route("/customers/<int:customer_id>/export", methods=["GET"])
@requires("privacy")
@bp.response(200)
def export(customer_id: int) -> Any:
    """Everything the hub holds about the person as JSON, attachments inline (base64). Audited."""
    with unit_of_work() as session:
        data = export_customer(session=session, customer=admin.get_customer(session, customer_id),
                               actor=actor("api"))
    return data


@bp.route("/customers/<int:customer_id>/erase", methods=["POST"])
@requires("privacy")
@bp.arguments(CustomerEraseSchema)
@bp.response(200, CustomerErasedSchema)
def erase(data: dict[str, Any], customer_id: int) -> Any:
    """Erase the person: tickets anonymised; raw events, files and the record deleted; the audit
    keeps that it happened."""
    with unit_of_work() as session:
        customer = admin.get_customer(session, customer_id, for_update=True)
        counts = erase_customer(session=session, customer=customer, actor=actor("api"), note=data.get("note"))
    return {"customer": customer_id, **counts}


@bp.route("/customer-organisations")
class Organisations(MethodView):
    @requires("customers:read")
    @bp.response(200, CustomerOrganisationSchema(many=True))
    def get(self) -> Any:
        """Every customer organisation (without its people; read one for them)."""
        with reading() as session:
            return [{"id": o.id, "name": o.name, "notes": o.notes, "vip": o.vip}
                    for o in admin.list_organisations(session)]

    @requires("customers:write")
    @bp.arguments(CustomerOrganisationInSchema)
    @bp.response(201, CustomerOrganisationSchema)
    def post(self, data: dict[str, Any]) -> Any:
        with unit_of_work() as session:
            organisation = admin.save_organisation(session=session, values=data)
            return {"id": organisation.id, "name": organisation.name, "notes": organisation.notes,
                    "vip": organisation.vip, "people": []}


@bp.route("/customer-organisations/<int:organisation_id>")
class Organisation(MethodView):
    @requires("customers:read")
    @bp.response(200, CustomerOrganisationSchema)
    def get(self, organisation_id: int) -> Any:
        with reading() as session:
            organisation = admin.get_organisation(session, organisation_id)
            return {"id": organisation.id, "name": organisation.name, "notes": organisation.notes,
                    "vip": organisation.vip, "people": admin.people_of(session, organisation_id)}

    @requires("customers:write")
    @bp.arguments(CustomerOrganisationPatchSchema)
    @bp.response(200, CustomerOrganisationSchema)
    def patch(self, data: dict[str, Any], organisation_id: int) -> Any:
        with unit_of_work() as session:
            organisation = admin.save_organisation(session=session, values=data,
                                                   organisation=admin.get_organisation(session, organisation_id))
            return {"id": organisation.id, "name": organisation.name, "notes": organisation.notes,
                    "vip": organisation.vip, "people": admin.people_of(session, organisation_id)}


def _query(schema: Any, args: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(schema.load(args))
    except ma.ValidationError as exc:
        raise ValidationFailed({f"query.{name}": messages for name, messages in exc.normalized_messages().items()}
                               ) from None


@csv_bp.get("/customers.csv")
@requires("customers:read")
def customers_csv() -> Any:
    """The customer list as CSV; the query is the JSON list's."""
    args = _query(CustomerListArgs(), {**request.args.to_dict(), "limit": request.args.get("limit", "200")})
    return _csv(csv_text(CUSTOMER_COLUMNS, _listed(args)[1]), "customers.csv")


@csv_bp.get("/customers/<int:customer_id>/tickets.csv")
@requires("customers:read")
def customer_tickets_csv(customer_id: int) -> Any:
    """The customer's tickets as CSV."""
    before = _query(CustomerTicketsArgs(), request.args.to_dict()).get("before")
    return _csv(csv_text(TICKET_COLUMNS, ticket_rows(_tickets(customer_id, before))),
                f"customer-{customer_id}-tickets.csv")

"""The customers' pages: a directory of people and one page per person with every ticket,
their satisfaction, open count, last contact and notes; export and erasure for admins."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from hub.api.context import actor, principal, reading, unit_of_work
from hub.sdk.tracker_errors import TrackerError
from hub.tracker import customer_admin as admin
from hub.tracker.customer_history import customer_view, ticket_lines
from hub.tracker.customer_present import CUSTOMER_COLUMNS, TICKET_COLUMNS, csv_text, present_customers, ticket_rows
from hub.tracker.customer_risk import flags_by_customer, open_flag
from hub.tracker.privacy import erase_customer, export_customer
from hub.ui.auth import login_required
from hub.ui.forms import describe_error
from hub.ui.tickets import bp


@bp.get("/customers")
@login_required("customers:read")
def customer_list() -> Any:
    q = request.args.get("q", "").strip()[:200]
    at_risk = request.args.get("at_risk") == "1"
    with reading() as session:
        customers = admin.list_customers(session, q=q or None, limit=100, at_risk=at_risk or None)
        flagged = flags_by_customer(session, [customer.id for customer in customers])
    return render_template("ui/customers/list.html", customers=customers, q=q, at_risk=at_risk, flagged=flagged)


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/customers.csv")
@login_required("customers:read")
def customer_list_csv() -> Any:
    q = request.args.get("q", "").strip()[:200]
    with reading() as session:
        rows = present_customers(session, admin.list_customers(session, q=q or None, limit=200))
    return _csv(csv_text(CUSTOMER_COLUMNS, rows), "customers.csv")


@bp.get("/customers/<int:customer_id>/tickets.csv")
@login_required("customers:read")
def customer_tickets_csv(customer_id: int) -> Any:
    with reading() as session:
        admin.get_customer(session, customer_id)
        lines = ticket_lines(session, customer_id)
    return _csv(csv_text(TICKET_COLUMNS, ticket_rows(lines)), f"customer-{customer_id}-tickets.csv")


#: What a customer's history entry says on the page (the stored action is a name for machines).
HISTORY_LABELS = {
    "created": "Record created", "updated": "Record edited", "merged": "Merged", "unmerged": "Unmerged",
    "identity_added": "Address added", "identity_removed": "Address removed", "exported": "Data exported",
    "erased": "Data erased", "at_risk": "Flagged at risk", "risk_cleared": "Risk flag cleared",
}


def history_label(action: str) -> str:
    return HISTORY_LABELS.get(action) or action.replace("_", " ").capitalize()


@bp.get("/customers/<int:customer_id>")
@login_required("customers:read")
def customer_page(customer_id: int) -> Any:
    with reading() as session:
        view = customer_view(session, admin.get_customer(session, customer_id))
        organisations = [o.name for o in admin.list_organisations(session)]
        history = admin.events_of(session, customer_id, limit=20)
        risk = open_flag(session, customer_id)
    return render_template("ui/customers/page.html", view=view, organisations=organisations, history=history, risk=risk,
                           history_label=history_label, can_write=principal().can("customers:write"),
                           can_erase=principal().can("privacy"))


def _act(customer_id: int, work: Any, done: str) -> Any:
    try:
        with unit_of_work() as session:
            work(session, admin.get_customer(session, customer_id, for_update=True))
    except TrackerError as exc:
        flash(describe_error(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("ui_tickets.customer_page", customer_id=customer_id))


@bp.post("/customers/<int:customer_id>")
@login_required("customers:write")
def customer_save(customer_id: int) -> Any:
    form = request.form
    values = {"display_name": form.get("display_name", ""), "vip": form.get("vip") == "1",
              "organisation": form.get("organisation") or None, "owner": form.get("owner") or None,
              "notes": form.get("notes", "")}
    return _act(customer_id, lambda s, c: admin.update_customer(session=s, customer=c, values=values,
                                                                actor=actor("ui")), "Saved.")


@bp.post("/customers/<int:customer_id>/identities")
@login_required("customers:write")
def customer_add_identity(customer_id: int) -> Any:
    kind, value = request.form.get("kind", ""), request.form.get("value", "")
    return _act(customer_id, lambda s, c: admin.add_identity(session=s, customer=c, kind=kind, value=value,
                                                             actor=actor("ui")), f"Linked {value}.")


@bp.post("/customers/<int:customer_id>/merge")
@login_required("customers:write")
def customer_merge(customer_id: int) -> Any:
    try:
        other = int(request.form.get("into", ""))
    except ValueError:
        flash("Give the number of the customer to merge into.", "error")
        return redirect(url_for("ui_tickets.customer_page", customer_id=customer_id))

    def merge(session: Any, customer: Any) -> None:
        admin.merge_customers(session=session, source=customer, into=admin.get_customer(session, other),
                              actor=actor("ui"), note=request.form.get("note") or None)

    return _act(customer_id, merge, f"Merged into customer {other}.")


@bp.post("/customers/<int:customer_id>/unmerge")
@login_required("customers:write")
def customer_unmerge(customer_id: int) -> Any:
    return _act(customer_id, lambda s, c: admin.unmerge_customer(session=s, customer=c, actor=actor("ui")),
                "Unmerged: the identities and tickets are back.")


@bp.get("/customers/<int:customer_id>/export")
@login_required("privacy")
def customer_export(customer_id: int) -> Any:
    with unit_of_work() as session:
        data = export_customer(session=session, customer=admin.get_customer(session, customer_id), actor=actor("ui"))
    response = Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    return response


@bp.post("/customers/<int:customer_id>/erase")
@login_required("privacy")
def customer_erase(customer_id: int) -> Any:
    if request.form.get("confirm") != "erase":
        flash("Type erase to confirm: an erasure cannot be undone.", "error")
        return redirect(url_for("ui_tickets.customer_page", customer_id=customer_id))
    try:
        with unit_of_work() as session:
            counts = erase_customer(session=session, customer=admin.get_customer(session, customer_id),
                                    actor=actor("ui"), note=request.form.get("note") or None)
    except TrackerError as exc:
        flash(describe_error(exc), "error")
        return redirect(url_for("ui_tickets.customer_page", customer_id=customer_id))
    flash(f"Erased: {counts['tickets']} tickets anonymised, {counts['attachments']} files and "
          f"{counts['raw_events']} raw events deleted.", "success")
    return redirect(url_for("ui_tickets.customer_list"))

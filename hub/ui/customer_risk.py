"""Clearing a customer's at-risk flag from their page: a note saying why is required."""

from __future__ import annotations

from typing import Any

from flask import request

from hub.api.context import actor
from hub.tracker.customer_risk import clear_flag
from hub.ui.auth import login_required
from hub.ui.customers import _act
from hub.ui.tickets import bp


@bp.post("/customers/<int:customer_id>/risk/clear")
@login_required("customers:write")
def customer_risk_clear(customer_id: int) -> Any:
    note = request.form.get("note", "")
    return _act(customer_id, lambda s, c: clear_flag(session=s, customer=c, actor=actor("ui"), note=note),
                "Cleared the at-risk flag; your note is in the customer's history.")

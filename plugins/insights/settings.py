"""The insights plugin's settings: what a ticket of each kind costs, for the cost of complaints."""

from __future__ import annotations

from marshmallow import fields, validate

from hub.sdk import ConfigSchema

NAME = "insights"
#: The kinds a cost is set for, as tickets name them.
COSTED_KINDS = ("incident", "change", "problem")
#: The most one ticket may be said to cost: beyond it a typo, not a price.
MOST = 1_000_000_000


def _cost(kind: str, description: str) -> fields.Float:
    return fields.Float(load_default=0.0, validate=validate.Range(0, MOST), metadata={
        "title": f"Cost per {kind}", "description": description})


class InsightsSettings(ConfigSchema):
    cost_incident = _cost("incident", "What handling one incident (a complaint, a fault) costs on average; "
                          "Insights multiplies it by the period's incidents. 0 leaves it out.")
    cost_change = _cost("change", "What one change costs on average. 0 leaves it out.")
    cost_problem = _cost("problem", "What investigating one problem costs on average. 0 leaves it out.")
    currency = fields.String(load_default="EUR", validate=validate.Length(max=8), metadata={
        "title": "Currency", "description": "Shown beside the costs (EUR, USD, CHF, ...)."})

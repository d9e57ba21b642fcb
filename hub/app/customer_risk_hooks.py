"""The customer-risk rules as a core plugin ("hub.customer-risk"): its settings are the rules'
thresholds, which admins edit on the plugin's settings page, and its hooks run each rule on
the event that can make it true. Core, so it cannot be switched off: an admin turns single
rules off (a threshold of 0) instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields, validate

from hub.hookspecs import hookimpl
from hub.sdk import ConfigSchema

NAME = "hub.customer-risk"
EVENT = "customer_at_risk"


class RiskSettings(ConfigSchema):
    complaints = fields.Integer(load_default=3, validate=validate.Range(0, 1000), metadata={
        "title": "Complaints", "description": "Flag a customer with this many tickets within the days below "
        "(0: off)."})
    complaint_days = fields.Integer(load_default=30, validate=validate.Range(1, 366), metadata={
        "title": "Complaint window (days)", "description": "The window of the rule above."})
    low_score = fields.Integer(load_default=2, validate=validate.Range(0, 4), metadata={
        "title": "Low score", "description": "Flag a customer who rates a ticket this or lower (1-4; 0: off)."})
    reopens = fields.Integer(load_default=2, validate=validate.Range(0, 100), metadata={
        "title": "Reopens", "description": "Flag a customer whose ticket was reopened this many times (0: off)."})
    vip_breach = fields.Boolean(load_default=True, metadata={
        "title": "SLA breach on a VIP", "description": "Flag a VIP customer (or one of a VIP organisation) "
        "whose ticket missed a service level."})
    quiet_days = fields.Integer(load_default=5, validate=validate.Range(0, 365), metadata={
        "title": "No answer (days)", "description": "Flag a customer whose open ticket has had no answer for "
        "this many days (checked hourly; 0: off)."})


def rules(session: Any) -> Any:
    from hub.plugins.admin import effective_settings
    from hub.tracker.customer_risk import RiskRules

    return RiskRules.from_settings(effective_settings(session, NAME))


def _check(session: Any, ref: str, rule: str, target: str = "") -> None:
    from hub.tracker.customer_risk_checks import check_ticket
    from hub.tracker.tickets import get_ticket

    check_ticket(session, get_ticket(session, ref), rule, rules(session), target)


@hookimpl
def declare_settings() -> type[ConfigSchema]:
    return RiskSettings


@hookimpl
def ticket_created(ticket: Any, actor: Any, session: Any) -> None:
    if ticket.kind == "incident":
        _check(session, ticket.ref, "complaints")


@hookimpl
def survey_answered(ticket: Any, score: int, session: Any) -> None:
    _check(session, ticket.ref, "low_score")


@hookimpl
def status_changed(ticket: Any, old: str, new: str, session: Any) -> None:
    if old in ("resolved", "closed") and new not in ("resolved", "closed", "cancelled"):
        _check(session, ticket.ref, "reopened")


@hookimpl(optionalhook=True)
def sla_breached(ticket: Any, target: str, due_at: datetime, session: Any) -> None:
    _check(session, ticket.ref, "vip_breach", target)


@hookimpl(optionalhook=True)
def register_agent_events(session: Any) -> list[dict[str, Any]]:
    return [{"name": EVENT, "label": "A customer I look after is at risk", "email": True}]


@hookimpl
def register_schedules() -> list[Any]:
    from hub.sdk import Schedule

    return [Schedule(name="hub.customer-risk.quiet", job="hub.jobs.customer_risk.check_quiet_customers",
                     interval=3600)]

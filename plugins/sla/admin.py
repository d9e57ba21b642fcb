"""The SLA policies page: list, add, edit, delete and reorder policies with form fields, not JSON.

Pages under /admin/sla, for admins only. A change is checked by the plugin's own schema
(``SlaSettings``) first, so mistakes show beside the inputs, then stored through the same service
as the generic settings page (``hub.sdk.hub_services.update_settings``). Calendars and the paused
states stay on that generic page.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub.sdk.hub_services import departments, groups, missing_references, present_settings, update_settings
from hub.sdk.schema import json_ready
from hub.sdk.settings_list import OrderedSettingsList
from hub.sdk.tracker_errors import ValidationFailed
from hub.sdk.web import field_errors, flat_messages, login_required, reading, unit_of_work
from plugins.sla.engine import NAME
from plugins.sla.settings import SlaSettings

LABELS = {"name": "Name", "priorities": "Priorities", "departments": "Departments", "kinds": "Kinds",
          "response_minutes": "Response target", "resolution_minutes": "Resolution target", "calendar": "Calendar",
          "warn_at": "Warn at", "escalation.mail_to": "Mail these people",
          "escalation.raise_priority": "Raise the priority", "escalation.reassign_group": "Reassign to group",
          "escalation.on_warning": "Also mail on the warning", "escalation": "Escalation"}
KINDS = ("incident", "change", "problem")
PRIORITIES = (1, 2, 3, 4, 5)


def make_blueprint() -> Blueprint:
    """A new blueprint per app (the hub adds the plugin's switch to each)."""
    bp = Blueprint("sla_admin", __name__, template_folder="templates", url_prefix="/admin/sla")
    bp.add_url_rule("/", view_func=policies, methods=["GET"])
    bp.add_url_rule("/policies/new", view_func=policy_new, methods=["GET", "POST"])
    bp.add_url_rule("/policies/<int:number>", view_func=policy_edit, methods=["GET", "POST"])
    bp.add_url_rule("/policies/<int:number>/move", view_func=policy_move, methods=["POST"])
    bp.add_url_rule("/policies/<int:number>/delete", view_func=policy_delete, methods=["POST"])
    return bp


# -- Reading, checking and storing the settings -------------------------------------------------


def _current() -> dict[str, Any]:
    """The stored settings (defaults filled in) as the schema loads them back."""
    with reading() as session:
        return dict(json_ready(present_settings(session, NAME)["settings"]))


def _schema_errors(settings: dict[str, Any]) -> Any:
    """The plugin's schema on the settings: its messages, or None."""
    try:
        SlaSettings().load(settings)
    except ma.ValidationError as exc:
        return exc.messages
    return None


def _save(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Check with the plugin's schema and store; returns the errors when nothing was stored."""
    messages = _schema_errors(settings)
    if messages:
        return flat_messages(messages)
    try:
        with unit_of_work() as session:
            update_settings(session, NAME, settings)
    except ValidationFailed as exc:  # the service's own check, should the two ever disagree
        return field_errors(exc, "settings.")
    return {}


def split_errors(flat: dict[str, list[str]], index: int | None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The errors of the policy at ``index`` by input (``escalation.mail_to``), and the others."""
    own: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for key, texts in flat.items():
        parts = key.split(".")
        if index is not None and parts[:2] == ["policies", str(index)] and len(parts) > 2:
            own.setdefault(".".join(part for part in parts[2:] if not part.isdigit()), []).extend(texts)
        else:
            rest.setdefault(key, []).extend(texts)
    return own, rest


def describe_problems(flat: dict[str, list[str]], policies: list[dict[str, Any]]) -> list[str]:
    """One sentence per problem, naming the policy by its position and name."""
    out = []
    for key, texts in flat.items():
        parts = [part for part in key.split(".") if part]
        if len(parts) >= 2 and parts[0] == "policies" and parts[1].isdigit():
            position = int(parts[1])
            name = policies[position].get("name") if position < len(policies) else ""
            inner = ".".join(part for part in parts[2:] if not part.isdigit())
            where = f"Policy {position + 1} ({name or 'unnamed'})" + (f", {LABELS.get(inner, inner)}" if inner else "")
        else:
            where = {"policies": "Policies", "calendars": "Calendars"}.get(".".join(parts), ".".join(parts) or "SLA")
        out.append(f"{where}: {' '.join(texts)}")
    return out


# -- The policy form ----------------------------------------------------------------------------


def split_list(text: str | None) -> list[str]:
    """Values typed one per line or separated by commas."""
    return [item.strip() for item in re.split(r"[,\n]", text or "") if item.strip()]


def policy_from_form(form: Any) -> dict[str, Any]:
    """The policy an admin posted; numbers stay as typed so the schema's messages apply to them."""
    policy: dict[str, Any] = {
        "name": (form.get("name") or "").strip(),
        "priorities": form.getlist("priorities"),
        "departments": split_list(form.get("departments")),
        "kinds": form.getlist("kinds"),
        "response_minutes": (form.get("response_minutes") or "").strip() or None,
        "resolution_minutes": (form.get("resolution_minutes") or "").strip() or None,
        "calendar": (form.get("calendar") or "always").strip(),
        "escalation": {
            "mail_to": split_list(form.get("escalation.mail_to")),
            "raise_priority": form.get("escalation.raise_priority") == "on",
            "reassign_group": (form.get("escalation.reassign_group") or "").strip() or None,
            "on_warning": form.get("escalation.on_warning") == "on",
        },
    }
    warn_at = (form.get("warn_at") or "").strip()
    if warn_at:
        policy["warn_at"] = warn_at
    return policy


def duration(minutes: Any) -> str:
    """240 -> '240 min (4 h)': targets as people read them."""
    if not isinstance(minutes, int):
        return "none" if minutes in (None, "") else str(minutes)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes >= size and minutes % size == 0:
            return f"{minutes} min ({minutes // size} {unit})"
    return f"{minutes} min"


def _choices() -> dict[str, list[str]]:
    with reading() as session:
        return {"departments": [department.slug for department in departments(session)],
                "groups": [group.slug for group in groups(session)]}


def _list_page(settings: dict[str, Any], *, problems: list[str] | None = None, failed: str = "",
               status: int = 200) -> Any:
    with reading() as session:
        missing = missing_references(session, source=NAME)
    return render_template("sla/policies.html", settings=settings, policies=settings.get("policies") or [],
                           problems=problems or [], failed=failed, duration=duration, missing=missing), status


def _policy_page(settings: dict[str, Any], policy: dict[str, Any], *, number: int | None,
                 expect: str = "", errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    policies = settings.get("policies") or []
    own, rest = split_errors(errors or {}, (number or len(policies) + 1) - 1)
    calendars = ["always", *(calendar["name"] for calendar in settings.get("calendars") or [])]
    return render_template("sla/policy.html", policy=policy, number=number, expect=expect, errors=own,
                           problems=describe_problems(rest, policies), labels=LABELS, kinds=KINDS,
                           priorities=PRIORITIES, calendars=calendars, **_choices()), status


POLICIES = OrderedSettingsList(key="policies", noun="policy", title="SLA policy", endpoint="sla_admin.policies",
    current=_current, save=_save, list_page=_list_page, describe=describe_problems)


# -- Views --------------------------------------------------------------------------------------


@login_required("admin")
def policies() -> Any:
    return _list_page(_current())


def _edit(number: int | None) -> Any:
    settings = _current()
    index = len(settings["policies"]) if number is None else POLICIES.position(settings, number)
    if request.method == "GET":
        policy = {} if number is None else settings["policies"][index]
        return _policy_page(settings, policy, number=number, expect=policy.get("name", ""))
    if number is not None and POLICIES.stale(settings, index):
        return POLICIES.changed_meanwhile()
    policy = policy_from_form(request.form)
    changed = {**settings, "policies": list(settings["policies"])}
    if number is None:
        changed["policies"].append(policy)
    else:
        changed["policies"][index] = policy
    if policy["name"]:
        errors = _save(changed)
    else:  # kinder than the schema's "Length must be between 1 and 100."
        errors = {f"policies.{index}.name": ["Give the policy a name: it is shown on tickets and in reports."]}
        for key, texts in flat_messages(_schema_errors(changed) or {}).items():
            errors.setdefault(key, texts)
    if errors:
        return _policy_page(settings, policy, number=number, expect=request.form.get("expect", ""), errors=errors,
                            status=422)
    flash(f"{'Added' if number is None else 'Saved'} the policy {policy['name']}.", "success")
    return redirect(url_for("sla_admin.policies") + f"#policy-{index + 1}")


@login_required("admin")
def policy_new() -> Any:
    return _edit(None)


@login_required("admin")
def policy_edit(number: int) -> Any:
    return _edit(number)


@login_required("admin")
def policy_move(number: int) -> Any:
    return POLICIES.move(number)


@login_required("admin")
def policy_delete(number: int) -> Any:
    return POLICIES.delete(number)

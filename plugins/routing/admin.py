"""The routing rules page: list, add, edit, delete and reorder rules with form fields, not JSON.

Pages under /admin/routing, for admins only. A change is checked by the plugin's own schema
(``RoutingSettings``) first, so mistakes show beside the inputs, then stored through the same
service as the generic settings page (``hub.sdk.hub_services.update_settings``).
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub.sdk.hub_services import departments, groups, missing_references, present_settings, update_settings
from hub.sdk.settings_list import OrderedSettingsList
from hub.sdk.tracker_errors import ValidationFailed
from hub.sdk.web import field_errors, flat_messages, login_required, reading, unit_of_work
from plugins.routing import NAME
from plugins.routing.rules import RoutingSettings

LABELS = {"name": "Name", "when.departments": "Department is one of", "when.categories": "Category is one of",
          "when.sources": "Came through", "when.cis": "Configuration item is one of", "when.kinds": "Kind",
          "when.keywords": "Mentions any of", "when.fields": "Event fields", "set.group": "Assignment group",
          "set.assignee": "Assignee", "set.priority": "Priority", "set.department": "Department",
          "set.tags": "Tags", "continue": "Go on to the next rules", "when": "Conditions", "set": "Changes",
          "default_group": "Default group"}
LISTS = ("departments", "categories", "sources", "cis", "keywords")
TEXTS = ("group", "assignee", "department")
KINDS = ("incident", "change", "problem")
PRIORITIES = (1, 2, 3, 4, 5)


def make_blueprint() -> Blueprint:
    """A new blueprint per app (the hub adds the plugin's switch to each)."""
    bp = Blueprint("routing_admin", __name__, template_folder="templates", url_prefix="/admin/routing")
    bp.add_url_rule("/", view_func=rules, methods=["GET"])
    bp.add_url_rule("/rules/new", view_func=rule_new, methods=["GET", "POST"])
    bp.add_url_rule("/rules/<int:number>", view_func=rule_edit, methods=["GET", "POST"])
    bp.add_url_rule("/rules/<int:number>/move", view_func=rule_move, methods=["POST"])
    bp.add_url_rule("/rules/<int:number>/delete", view_func=rule_delete, methods=["POST"])
    bp.add_url_rule("/default-group", view_func=default_group, methods=["POST"])
    return bp


# -- Reading, checking and storing the settings -------------------------------------------------


def _current() -> dict[str, Any]:
    """The stored rules as the schema takes them in (``fields`` and ``continue``, not ``fields_``)."""
    with reading() as session:
        return dict(RoutingSettings().dump(present_settings(session, NAME)["settings"]))


def _check(settings: dict[str, Any]) -> dict[str, list[str]]:
    """The plugin's schema, and one rule the schema leaves out: names are unique (they tag tickets)."""
    try:
        RoutingSettings().load(settings)
    except ma.ValidationError as exc:
        return flat_messages(exc.messages)
    names = [rule.get("name") for rule in settings.get("rules") or []]
    return {f"rules.{position}.name": [f"Another rule is called {name} already; the ticket's routed:{name} "
                                       "tag must say which one fired."]
            for position, name in enumerate(names) if names.index(name) != position}


def _save(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Check and store; returns the errors when nothing was stored."""
    errors = _check(settings)
    if errors:
        return errors
    try:
        with unit_of_work() as session:
            update_settings(session, NAME, settings)
    except ValidationFailed as exc:  # the service's own check, should the two ever disagree
        return field_errors(exc, "settings.")
    return {}


def split_errors(flat: dict[str, list[str]], index: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The errors of the rule at ``index`` by input (``when.keywords``), and the others."""
    own: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for key, texts in flat.items():
        parts = key.split(".")
        if parts[:2] == ["rules", str(index)] and len(parts) > 2:
            own.setdefault(".".join(part for part in parts[2:] if not part.isdigit()), []).extend(texts)
        else:
            rest.setdefault(key, []).extend(texts)
    return own, rest


def describe_problems(flat: dict[str, list[str]], items: list[dict[str, Any]]) -> list[str]:
    """One sentence per problem, naming the rule by its position and name."""
    out = []
    for key, texts in flat.items():
        parts = [part for part in key.split(".") if part]
        if len(parts) >= 2 and parts[0] == "rules" and parts[1].isdigit():
            position = int(parts[1])
            name = items[position].get("name") if position < len(items) else ""
            inner = ".".join(part for part in parts[2:] if not part.isdigit())
            where = f"Rule {position + 1} ({name or 'unnamed'})" + (f", {LABELS.get(inner, inner)}" if inner else "")
        else:
            where = "Rules" if parts[:1] == ["rules"] else LABELS.get(".".join(parts), ".".join(parts) or "Routing")
        out.append(f"{where}: {' '.join(texts)}")
    return out


# -- The rule form ------------------------------------------------------------------------------


def split_list(text: str | None) -> list[str]:
    """Values typed one per line or separated by commas."""
    return [item.strip() for item in re.split(r"[,\n]", text or "") if item.strip()]


def event_fields(text: str | None) -> tuple[dict[str, str], list[str]]:
    """``path = value`` lines as a dict, and a message for each line that is not like that."""
    found: dict[str, str] = {}
    errors = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        path, sep, value = line.partition("=")
        if not sep or not path.strip():
            errors.append(f"Line {number}: write path = value, e.g. labels.severity = critical.")
        else:
            found[path.strip()] = value.strip()
    return found, errors


def rule_from_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rule an admin posted (in the schema's input shape), and the lines that could not be read."""
    fields, field_problems = event_fields(form.get("when.fields"))
    when: dict[str, Any] = {key: split_list(form.get(f"when.{key}")) for key in LISTS}
    when.update(kinds=form.getlist("when.kinds"), fields=fields)
    changes: dict[str, Any] = {key: (form.get(f"set.{key}") or "").strip() or None for key in TEXTS}
    changes.update(priority=(form.get("set.priority") or "").strip() or None, tags=split_list(form.get("set.tags")))
    rule = {"name": (form.get("name") or "").strip(), "when": when, "set": changes,
            "continue": form.get("continue") == "on"}
    problems = {"when.fields": field_problems} if field_problems else {}
    if not rule["name"]:
        problems["name"] = ["Give the rule a name: tickets it routes are tagged with it."]
    return rule, problems


def _choices() -> dict[str, list[str]]:
    with reading() as session:
        return {"departments": [department.slug for department in departments(session)],
                "groups": [group.slug for group in groups(session)]}


def _list_page(settings: dict[str, Any], *, problems: list[str] | None = None, failed: str = "",
               status: int = 200, typed_group: str | None = None) -> Any:
    with reading() as session:
        missing = missing_references(session, source=NAME)
    return render_template("routing/rules.html", rules=settings.get("rules") or [], problems=problems or [],
                           failed=failed, labels=LABELS, missing=missing, **_choices(),
                           default_group=settings.get("default_group") if typed_group is None else typed_group), \
        status


def _rule_page(settings: dict[str, Any], rule: dict[str, Any], *, number: int | None, expect: str = "",
               errors: dict[str, list[str]] | None = None, typed_fields: str | None = None, status: int = 200) -> Any:
    items = settings.get("rules") or []
    own, rest = split_errors(errors or {}, (number or len(items) + 1) - 1)
    fields_text = typed_fields if typed_fields is not None else "\n".join(
        f"{path} = {value}" for path, value in ((rule.get("when") or {}).get("fields") or {}).items())
    return render_template("routing/rule.html", rule=rule, when=rule.get("when") or {}, changes=rule.get("set") or {},
                           fields_text=fields_text, number=number, expect=expect, errors=own,
                           problems=describe_problems(rest, items), labels=LABELS, kinds=KINDS,
                           priorities=PRIORITIES, lists=LISTS, **_choices()), status


RULES = OrderedSettingsList(key="rules", noun="rule", title="routing rule", endpoint="routing_admin.rules",
    current=_current, save=_save, list_page=_list_page, describe=describe_problems)


# -- Views --------------------------------------------------------------------------------------


@login_required("admin")
def rules() -> Any:
    return _list_page(_current())


def _edit(number: int | None) -> Any:
    settings = _current()
    items = settings.setdefault("rules", [])
    index = len(items) if number is None else RULES.position(settings, number)
    if request.method == "GET":
        rule = {} if number is None else items[index]
        return _rule_page(settings, rule, number=number, expect=rule.get("name", ""))
    if number is not None and RULES.stale(settings, index):
        return RULES.changed_meanwhile()
    rule, unreadable = rule_from_form(request.form)
    changed = {**settings, "rules": list(items)}
    if number is None:
        changed["rules"].append(rule)
    else:
        changed["rules"][index] = rule
    errors = {f"rules.{index}.{key}": texts for key, texts in unreadable.items()}
    for key, texts in _check(changed).items():
        errors.setdefault(key, texts)
    if not errors:
        errors = _save(changed)
    if errors:
        return _rule_page(settings, rule, number=number, expect=request.form.get("expect", ""), errors=errors,
                          typed_fields=request.form.get("when.fields", ""), status=422)
    flash(f"{'Added' if number is None else 'Saved'} the rule {rule['name']}.", "success")
    return redirect(url_for("routing_admin.rules") + f"#rule-{index + 1}")


@login_required("admin")
def rule_new() -> Any:
    return _edit(None)


@login_required("admin")
def rule_edit(number: int) -> Any:
    return _edit(number)


@login_required("admin")
def rule_move(number: int) -> Any:
    return RULES.move(number)


@login_required("admin")
def rule_delete(number: int) -> Any:
    return RULES.delete(number)


@login_required("admin")
def default_group() -> Any:
    """Where tickets go when the group their rule names no longer exists."""
    settings = _current()
    typed = (request.form.get("default_group") or "").strip()
    errors = _save({**settings, "default_group": typed or None})
    if errors:
        return _list_page(settings, problems=describe_problems(errors, settings.get("rules") or []), status=422,
                          failed="The default group was not saved.", typed_group=typed)
    flash(f"Tickets whose rule names a group that no longer exists go to {typed}." if typed else
          "Tickets whose rule names a group that no longer exists get no group.", "success")
    return redirect(url_for("routing_admin.rules") + "#default-group")

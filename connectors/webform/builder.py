"""The web form builder: admins add, edit, remove and reorder a form's fields, with a preview.

Pages under /admin/forms, for admins only. Every change is checked by the form's own schema
(``WebformConfig``) first, so mistakes show beside the inputs, then written through the same
service as the connector instance page (``hub.sdk.hub_services.update_instance``).
"""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for

from connectors.webform.builder_forms import (
    FIELD_LABELS,
    FORM_LABELS,
    STARTER_FIELD,
    TARGET_TITLES,
    TYPE_TITLES,
    describe_problems,
    spec_from_form,
    split_errors,
)
from connectors.webform.config import FIELD_TYPES, TARGETS, WebformConfig
from hub.sdk.hub_services import (
    create_instance,
    list_instances,
    missing_references,
    present_instance,
    update_instance,
)
from hub.sdk.tracker_errors import NotFound, TrackerError, ValidationFailed
from hub.sdk.web import describe_error, field_errors, flat_messages, login_required, reading, unit_of_work

CONNECTOR = "webform"
HEADING = ("title", "intro", "kind")


def make_builder_blueprint() -> Blueprint:
    """A new blueprint per app (the hub adds the plugin's switch to each)."""
    bp = Blueprint("webform_admin", __name__, template_folder="templates", url_prefix="/admin/forms")
    bp.add_url_rule("/", view_func=forms, methods=["GET"])
    bp.add_url_rule("/new", view_func=form_new, methods=["POST"])
    bp.add_url_rule("/<slug>", view_func=builder, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/fields/new", view_func=field_new, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/fields/<name>", view_func=field_edit, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/fields/<name>/move", view_func=field_move, methods=["POST"])
    bp.add_url_rule("/<slug>/fields/<name>/delete", view_func=field_delete, methods=["POST"])
    return bp


def _load(slug: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instance as admins see it, and a copy of its config to change."""
    with reading() as session:
        shown = present_instance(session, slug)
    if shown["connector"] != CONNECTOR:
        raise NotFound(f"{slug} is not a web form (it is a {shown['connector']} instance).")
    return shown, copy.deepcopy(shown["config"])


def _check(config: dict[str, Any]) -> dict[str, list[str]]:
    """The form's schema on the whole definition: errors by dotted path, or none."""
    try:
        WebformConfig().load(config)
    except ma.ValidationError as exc:
        return flat_messages(exc.messages)
    return {}


def _save(slug: str, config: dict[str, Any]) -> dict[str, list[str]]:
    """Check and store the definition; returns the errors when it was not stored."""
    errors = _check(config)
    if errors:
        return errors
    try:
        with unit_of_work() as session:
            update_instance(session, slug, {"config": config})
    except ValidationFailed as exc:  # the service's own check, should the two ever disagree
        return field_errors(exc, "config.")
    return {}


def _index(config: dict[str, Any], slug: str, name: str) -> int:
    for position, spec in enumerate(config.get("fields") or []):
        if spec.get("name") == name:
            return position
    raise NotFound(f"The form {slug} has no field {name!r}; it may have been renamed or removed meanwhile.")


def _builder_page(shown: dict[str, Any], config: dict[str, Any], *, heading: dict[str, Any] | None = None,
                  errors: dict[str, list[str]] | None = None, failed: str = "", status: int = 200) -> Any:
    """The builder; ``failed`` says which change was refused when ``errors`` explain why."""
    errors = errors or {}
    heading_errors = {key: errors[key] for key in HEADING if key in errors}
    with reading() as session:
        missing = missing_references(session, source=shown["slug"])
    return render_template(
        "webform/builder.html", instance=shown, form=config, heading=heading or config, missing=missing,
        heading_errors=heading_errors, failed=failed, problems=describe_problems(errors, config.get("fields") or []),
        type_titles=TYPE_TITLES, target_titles=TARGET_TITLES, labels=FORM_LABELS), status


def _field_page(shown: dict[str, Any], draft: dict[str, Any], *, index: int, original: str | None,
                errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    own, rest = split_errors(errors or {}, index)
    preview = {**draft, "fields": [spec for spec in draft["fields"] if spec.get("label")]}
    return render_template(
        "webform/builder_field.html", instance=shown, form=draft, preview=preview, spec=draft["fields"][index],
        original=original, position=index + 1, errors=own, problems=describe_problems(rest, draft["fields"]),
        types=FIELD_TYPES, targets=TARGETS, type_titles=TYPE_TITLES, target_titles=TARGET_TITLES,
        labels=FIELD_LABELS), status


def _form_rows() -> list[dict[str, Any]]:
    with reading() as session:
        return [{"slug": instance.slug, "name": instance.name, "enabled": instance.enabled,
                 "title": instance.config.get("title", ""), "fields": len(instance.config.get("fields") or [])}
                for instance in list_instances(session, connector=CONNECTOR)]


@login_required("admin")
def forms() -> Any:
    return render_template("webform/builder_forms.html", forms=_form_rows(), values={}, errors={})


@login_required("admin")
def form_new() -> Any:
    slug, title = (request.form.get("slug") or "").strip(), (request.form.get("title") or "").strip()
    enabled = request.form.get("enabled") == "on"
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Give the form a title: it is the heading people see."]
    if not errors:
        try:
            with unit_of_work() as session:
                create_instance(session, connector=CONNECTOR, slug=slug, name=title, enabled=enabled,
                                config={"title": title, "fields": [dict(STARTER_FIELD)]})
            flash(f"Added the form {slug} with one field to start from; add the others below.", "success")
            return redirect(url_for("webform_admin.builder", slug=slug))
        except ValidationFailed as exc:
            errors = field_errors(exc, "config.")
        except TrackerError as exc:  # e.g. the slug is taken
            errors = {"slug": [describe_error(exc)]}
    values = {"slug": slug, "title": title, "enabled": enabled}
    return render_template("webform/builder_forms.html", forms=_form_rows(), values=values, errors=errors), 422


@login_required("admin")
def builder(slug: str) -> Any:
    shown, config = _load(slug)
    if request.method == "GET":
        return _builder_page(shown, config)
    heading = {"title": (request.form.get("title") or "").strip(), "intro": (request.form.get("intro") or "").strip(),
               "kind": request.form.get("kind") or "incident"}
    errors = _save(slug, {**config, **heading})
    if not errors:
        flash("Saved the form's heading.", "success")
        return redirect(url_for("webform_admin.builder", slug=slug))
    return _builder_page(shown, config, heading=heading, errors=errors, failed="The heading was not saved.",
                         status=422)


def _edit_field(slug: str, name: str | None) -> Any:
    """Show, preview or save one field (a new one when ``name`` is None)."""
    shown, config = _load(slug)
    fields = config.setdefault("fields", [])
    index = len(fields) if name is None else _index(config, slug, name)
    if request.method == "GET":
        draft = copy.deepcopy(config)
        if name is None:
            draft["fields"].append({"name": "", "label": "", "type": "text", "required": False, "help": "",
                                    "max_length": None, "options": [], "maps_to": "custom"})
        return _field_page(shown, draft, index=index, original=name)
    spec, errors = spec_from_form(request.form)
    draft = copy.deepcopy(config)
    if name is None:
        draft["fields"].append(spec)
    else:
        draft["fields"][index] = spec
    for key, texts in _check(draft).items():
        if key.removeprefix(f"fields.{index}.") not in errors:  # a kinder message was given already
            errors.setdefault(key, []).extend(texts)
    errors = {(f"fields.{index}.{key}" if key in FIELD_LABELS else key): texts for key, texts in errors.items()}
    if request.form.get("action") == "preview":
        return _field_page(shown, draft, index=index, original=name, errors=errors, status=422 if errors else 200)
    if not errors:
        errors = _save(slug, draft)
    if errors:
        return _field_page(shown, draft, index=index, original=name, errors=errors, status=422)
    # A label that is a question ends the sentence itself: "Added the field Which machine?"
    stop = "" if spec["label"].rstrip()[-1:] in ".?!" else "."
    flash(f"{'Added' if name is None else 'Saved'} the field {spec['label']}{stop}", "success")
    return redirect(url_for("webform_admin.builder", slug=slug) + "#fields")


@login_required("admin")
def field_new(slug: str) -> Any:
    return _edit_field(slug, None)


@login_required("admin")
def field_edit(slug: str, name: str) -> Any:
    return _edit_field(slug, name)


@login_required("admin")
def field_move(slug: str, name: str) -> Any:
    shown, config = _load(slug)
    index = _index(config, slug, name)
    fields = config["fields"]
    target = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
        errors = _save(slug, config)
        if errors:
            return _builder_page(shown, config, errors=errors, failed=f"{name} was not moved.", status=422)
        flash(f"Moved {fields[target]['label']} to position {target + 1}.", "success")
    return redirect(url_for("webform_admin.builder", slug=slug) + f"#row-{name}")


@login_required("admin")
def field_delete(slug: str, name: str) -> Any:
    shown, config = _load(slug)
    removed = config["fields"].pop(_index(config, slug, name))
    errors = _save(slug, config)
    if errors:
        _, current = _load(slug)
        return _builder_page(shown, current, errors=errors, status=422,
                             failed=f"The field {removed['label']} was not removed: the form would not be valid.")
    flash(f"Removed the field {removed['label']}.", "success")
    return redirect(url_for("webform_admin.builder", slug=slug) + "#fields")

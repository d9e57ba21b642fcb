"""Admin pages for connector instances: forms generated from the connector's schema, test, sync, runs."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from redis.exceptions import RedisError
from sqlalchemy import select

from hub.api.context import reading, runtime, unit_of_work
from hub.jobs.status import recent_runs, sync_now
from hub.models import Department
from hub.plugins.instances import (
    check_instance,
    connector_class,
    create_instance,
    get_instance,
    list_instances,
    present_instance,
    update_instance,
)
from hub.sdk.schema import describe
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.sdk.values import PublicCredential
from hub.ui.admin import bp
from hub.ui.auth import login_required
from hub.ui.forms import config_fields, config_from_form, describe_error, field_errors, flashing_errors, parse_int

log = logging.getLogger(__name__)

#: Fields of the instance itself (not of the connector's config) and their form names.
OWN_FIELDS = ("slug", "name", "department", "poll_interval", "poll_cron")


def _connector_types() -> list[dict[str, Any]]:
    hub = runtime()
    out = []
    for slug in sorted(hub.plugins.connectors):
        cls = hub.plugins.connectors[slug]
        out.append({"slug": slug, "title": cls.title, "description": cls.description, "version": cls.version,
                    "capabilities": cls.capabilities(), "plugin": hub.plugins.plugin_of_connector(slug)})
    return out


@bp.get("/instances")
@login_required("admin")
def instances() -> Any:
    with reading() as session:
        rows = [present_instance(session, instance) for instance in list_instances(session)]
    return render_template("ui/admin/instances.html", instances=rows, connectors=_connector_types())


def _own_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": (form.get("name") or "").strip() or None,
                              "department": (form.get("department") or "").strip() or None,
                              "poll_cron": (form.get("poll_cron") or "").strip() or None,
                              "enabled": form.get("enabled") == "on"}
    interval = (form.get("poll_interval") or "").strip()
    values["poll_interval"] = parse_int(interval, -1) if interval else None
    return values


def _by_setting(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Config errors by the setting the form shows: one deeper in a list of rules
    (``config.field_map.2.values_in``) is shown on its setting, saying where it is."""
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if not key.startswith("config."):
            continue
        setting, _, inner = key[7:].partition(".")
        out.setdefault(setting, []).extend(f"{inner}: {text}" if inner else text for text in messages)
    return out


def _render_form(*, cls: Any, instance: dict[str, Any] | None, errors: dict[str, list[str]], problems: list[str],
                 stored: set[str], submitted: dict[str, str] | None, status: int = 200) -> Any:
    with reading() as session:
        departments = list(session.execute(select(Department.slug, Department.name).order_by(Department.name)))
    config = instance["config"] if instance else {}
    fields = config_fields(describe(cls.config_schema), config, _by_setting(errors), stored, submitted)
    own_errors = {k: v for k, v in errors.items() if not k.startswith("config.")}
    own = submitted if submitted is not None else (instance or {})
    return render_template("ui/admin/instance_form.html", connector=cls, instance=instance, fields=fields,
                           own=own, own_errors=own_errors, problems=problems, departments=departments,
                           polls="poll" in cls.capabilities(),
                           # A connector that only sends (SMTP) opens no tickets: no department to route them to.
                           receives=bool({"webhook", "poll", "listen"} & set(cls.capabilities()))), status


def _credentials(cls: Any, config: dict[str, Any]) -> list[PublicCredential]:
    """What the remote's admin must trust, as the connector says; a connector bug shows nothing
    rather than breaking the page."""
    try:
        return list(cls.public_credentials(config))
    except Exception:
        log.exception("%s.public_credentials failed", cls.__name__)
        return []


@bp.route("/instances/new", methods=["GET", "POST"])
@login_required("admin")
def instance_new() -> Any:
    slug = request.values.get("connector") or ""
    cls = connector_class(runtime(), slug)
    if request.method == "GET":
        form, status = _render_form(cls=cls, instance=None, errors={}, problems=[], stored=set(), submitted=None)
        return render_template("ui/admin/instance_new.html", connector=cls, form=form), status
    infos = describe(cls.config_schema)
    config, json_errors = config_from_form(infos, request.form)
    errors = {f"config.{name}": messages for name, messages in json_errors.items()}
    problems: list[str] = []
    if not errors:
        try:
            with unit_of_work() as session:
                instance = create_instance(session=session, connector=slug,
                                           slug=(request.form.get("slug") or "").strip(),
                                           config={k: v for k, v in config.items() if v is not None},
                                           **_own_values(request.form))
                created = instance.slug
            flash(f"Added {created}. Test the connection, then enable it when ready.", "success")
            return redirect(url_for("ui_admin.instance_page", slug=created))
        except ValidationFailed as exc:
            errors = field_errors(exc)
            problems.append(exc.detail)
        except TrackerError as exc:
            problems.append(describe_error(exc))
    form, status = _render_form(cls=cls, instance=None, errors=errors, stored=set(), submitted=request.form.to_dict(),
                                problems=problems or ["Check the fields marked."], status=422)
    return render_template("ui/admin/instance_new.html", connector=cls, form=form), status


@bp.route("/instances/<slug>", methods=["GET", "POST"])
@login_required("admin")
def instance_page(slug: str) -> Any:
    with reading() as session:
        instance = get_instance(session, slug)
        shown = present_instance(session, instance)
        runs = recent_runs(session, instance.id, 20)
    cls = connector_class(runtime(), shown["connector"])
    stored = {name for name, value in shown["config"].items() if value is not None and name in
              {info.name for info in describe(cls.config_schema) if info.secret}}
    credentials = _credentials(cls, shown["config"])
    if request.method == "GET":
        return render_template("ui/admin/instance.html", instance=shown, runs=runs, credentials=credentials,
                               form=_render_form(cls=cls, instance=shown, errors={}, problems=[], stored=stored,
                                                 submitted=None)[0])
    infos = describe(cls.config_schema)
    config, json_errors = config_from_form(infos, request.form)
    errors = {f"config.{name}": messages for name, messages in json_errors.items()}
    problems: list[str] = []
    if not errors:
        try:
            with unit_of_work() as session:
                update_instance(session=session, instance=get_instance(session, slug),
                                changes={"config": config, **_own_values(request.form)})
            flash(f"Saved {slug}.", "success")
            return redirect(url_for("ui_admin.instance_page", slug=slug))
        except ValidationFailed as exc:
            errors = field_errors(exc)
            problems.append(exc.detail)
        except TrackerError as exc:
            problems.append(describe_error(exc))
    form = _render_form(cls=cls, instance=shown, errors=errors, problems=problems or ["Check the fields marked."],
                        stored=stored, submitted=request.form.to_dict())[0]
    return render_template("ui/admin/instance.html", instance=shown, runs=runs, credentials=credentials,
                           form=form), 422


@bp.get("/instances/<slug>/credentials/<name>.<fmt>")
@login_required("admin")
def instance_credential(slug: str, name: str, fmt: str) -> Any:
    """Download a certificate the instance presents (PEM or DER), for the remote's admin."""
    with reading() as session:
        shown = present_instance(session, get_instance(session, slug))
    cls = connector_class(runtime(), shown["connector"])
    found = next((item for item in _credentials(cls, shown["config"]) if item.name == name), None)
    if found is None or fmt not in ("pem", "der"):
        abort(404)
    body: str | bytes = found.pem if fmt == "pem" else found.der
    kind = "application/x-pem-file" if fmt == "pem" else "application/pkix-cert"
    return Response(body, mimetype=kind,
                    headers={"Content-Disposition": f'attachment; filename="{slug}-{name}.{fmt}"'})


@bp.post("/instances/<slug>/test")
@login_required("admin")
def instance_test(slug: str) -> Any:
    with reading() as session:
        ok, detail = check_instance(session, get_instance(session, slug))
    flash(f"Connection test {'passed' if ok else 'failed'}: {detail}", "success" if ok else "error")
    return redirect(url_for("ui_admin.instance_page", slug=slug))


@bp.post("/instances/<slug>/sync")
@login_required("admin")
def instance_sync(slug: str) -> Any:
    with reading() as session:
        instance = get_instance(session, slug)
        instance_id = instance.id
        polls = "poll" in connector_class(runtime(), instance.connector).capabilities()
    if not polls:
        flash(f"{slug} does not poll: it receives or listens, so there is nothing to sync now.", "error")
    else:
        try:
            job = sync_now(runtime(), instance_id)
            flash(f"Queued a poll of {slug} (job {job}); its run appears below when done.", "success")
        except RedisError as exc:
            flash(f"Could not queue the poll: the job queue (Redis) is not reachable ({exc}).", "error")
    return redirect(url_for("ui_admin.instance_page", slug=slug))


@bp.post("/instances/<slug>/enabled")
@login_required("admin")
def instance_switch(slug: str) -> Any:
    enabled = request.form.get("enabled") == "1"
    done = None
    with flashing_errors(), unit_of_work() as session:
        update_instance(session=session, instance=get_instance(session, slug), changes={"enabled": enabled})
        done = f"{slug} is {'enabled' if enabled else 'disabled'}."
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.instance_page", slug=slug))

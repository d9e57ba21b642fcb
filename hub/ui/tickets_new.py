"""Making tickets from the pages: "New incident", "Log a call", "New change", change drafts and
"New problem".

Every form goes through the API's own input schemas and the same service the API calls
(``pipeline.open_ticket``), so a ticket made here is validated, enriched, vetoed and audited
exactly as one made through ``POST /api/v1/incidents``. Files go in the same transaction: a
refused file leaves no half-made ticket behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from hub.api.context import actor, principal, reading, unit_of_work
from hub.api.presenters import ticket_values
from hub.api.schemas.tickets import ChangeCreateSchema, ChangePatchSchema, IncidentCreateSchema, ProblemCreateSchema
from hub.ingest.pipeline import open_ticket
from hub.models import AuditEvent, Category, ConfigurationItem, Department, Group, Ticket
from hub.sdk.tracker_errors import PreconditionFailed, TrackerError, ValidationFailed
from hub.tracker import attachments, tickets
from hub.tracker.custom_fields import definitions, fields_for
from hub.tracker.org import id_for, name_for
from hub.tracker.priority import LEVELS
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, parse_int
from hub.ui.tickets import agents, bp

#: Inputs the create forms may send (anything else is ignored, never an error).
FIELDS = (
    "title", "description", "impact", "urgency", "priority", "department", "category", "ci", "group", "assignee",
    "requester_name", "requester_email", "requester_phone", "tags", "type", "risk", "planned_start", "planned_end",
    "incident_key", "workaround",
)
#: Named fields a draft's form may empty again (left out, they would keep their old value).
CLEARABLE = ("priority", "department", "category", "ci", "group", "assignee", "planned_start", "planned_end")
PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")
#: The browser's datetime-local value: a wall-clock time without an offset (the form says UTC).
LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
MAX_FILES = 10
CREATE_SCHEMAS: dict[str, type[ma.Schema]] = {"incident": IncidentCreateSchema, "change": ChangeCreateSchema,
                                              "problem": ProblemCreateSchema}


@dataclass
class TicketForm:
    """A create form as the page shows it: what was typed, and what is wrong with it."""

    kind: str
    mode: str
    """``incident``, ``call``, ``change``, ``draft`` (completing a saved draft) or ``problem``."""
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    ref: str | None = None
    version: int | None = None

    def error_list(self) -> list[tuple[str, str]]:
        """(field, message) pairs for the summary at the top, in the order of the form."""
        order = {name: index for index, name in enumerate(("", *FIELDS, "file"))}
        return [(name, message) for name in sorted(self.errors, key=lambda n: order.get(n, 99))
                for message in self.errors[name]]


def _typed(form: Any) -> dict[str, str]:
    typed = {name: (form.get(name) or "").strip() for name in FIELDS}
    typed["description"] = (form.get("description") or "").rstrip()
    # The department's custom fields, one input each (``cf.<name>``); which apply is decided
    # with the department chosen (custom_typed).
    typed.update({name: str(form.get(name) or "").strip() for name in form if name.startswith("cf.")
                  and len(name) <= 43})
    return typed


def custom_typed(session: Session, kind: str, typed: dict[str, str], *, clearing: bool = False) -> dict[str, Any]:
    """The ``cf.<name>`` inputs of the fields a ticket in the chosen department has: the form
    shows every department's fields (a script hides the others), only these are sent."""
    department = typed.get("department") or None
    department_id = id_for(session, "department", department) if department else None
    out: dict[str, Any] = {}
    for item in fields_for(session, kind, department_id):
        text = typed.get(f"cf.{item.info.name}", "")
        if text or clearing:
            out[item.info.name] = text or None
    return out


def _moment(text: str) -> str:
    """A datetime-local value read as UTC; anything else goes to the schema as typed (and is refused there)."""
    if LOCAL_MOMENT.match(text):
        return text + ("" if text.count(":") == 2 else ":00") + "+00:00"
    return text


def api_body(kind: str, typed: dict[str, str], *, clearing: bool = False,
             custom: dict[str, Any] | None = None) -> dict[str, Any]:
    """The typed values as the API's JSON body: empty inputs are left out so defaults apply
    (or, with ``clearing``, the named fields are emptied)."""
    data: dict[str, Any] = {}
    for name in ("title", "description", "impact", "urgency", "department", "category", "ci", "group", "assignee"):
        if typed.get(name):
            data[name] = typed[name]
    if typed.get("priority"):
        data["priority"] = typed["priority"]
    requester = {key: typed[f"requester_{key}"] for key in ("name", "email") if typed.get(f"requester_{key}")}
    if requester:
        data["requester"] = requester
    if typed.get("tags"):
        data["tags"] = [tag.strip() for tag in typed["tags"].split(",") if tag.strip()]
    if typed.get("requester_phone"):
        data["custom_fields"] = {"requester_phone": typed["requester_phone"]}
    if custom:
        data["custom_fields"] = {**data.get("custom_fields", {}), **custom}
    data.update(_kind_fields(kind, typed))
    if kind == "problem":
        data.pop("requester", None)  # a problem is the agents' own: it has no requester
    if clearing:
        for name in CLEARABLE:
            data.setdefault(name, None)
        data.setdefault("description", "")
    return data


def _kind_fields(kind: str, typed: dict[str, str]) -> dict[str, Any]:
    """The typed fields only this kind has (a change's type and window, a problem's key)."""
    data: dict[str, Any] = {}
    texts = {"change": ("type", "risk"), "problem": ("incident_key", "workaround")}.get(kind, ())
    for name in texts:
        if typed.get(name):
            data[name] = typed[name]
    if kind == "change":
        for name in ("planned_start", "planned_end"):
            if typed.get(name):
                data[name] = _moment(typed[name])
    return data


def _form_errors(messages: Any) -> dict[str, list[str]]:
    """Schema or service errors keyed by the form's input names (``requester.email`` -> ``requester_email``)."""
    out: dict[str, list[str]] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{name}_{key}" if name == "requester" else name, inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                add(name, inner)
        else:
            # The schema speaks to programs; a person at the front desk reads this instead.
            text = "Enter a title: one line saying what happened." if (
                name == "title" and str(value) == "Missing data for required field.") else str(value)
            text = text.replace("planned_start", "the planned start")
            out.setdefault(name, []).append(text)

    for key, value in (messages.items() if isinstance(messages, dict) else [("", messages)]):
        name = {"change_type": "type", "requester_name": "requester_name", "custom_fields": "requester_phone",
                "_schema": ""}.get(str(key), str(key))
        if name.startswith("custom_fields."):
            name = "cf." + name.removeprefix("custom_fields.")
        add(name, value)
    return {name if name in (*FIELDS, "file") or name.startswith("cf.") else "": texts for name, texts in out.items()}


def _check_extra(form: TicketForm, uploads: list[FileStorage]) -> None:
    """What the API's schema does not cover: the phone number and how many files."""
    phone = form.typed.get("requester_phone", "")
    if phone and not PHONE.match(phone):
        form.errors.setdefault("requester_phone", []).append(
            "Digits, spaces and + ( ) - . / only, 3 to 40 characters (for example +49 30 1234 567).")
    if len(uploads) > MAX_FILES:
        form.errors.setdefault("file", []).append(f"At most {MAX_FILES} files at once.")


def _uploads() -> list[FileStorage]:
    return [upload for upload in request.files.getlist("files") if upload and upload.filename]


def _attach(session: Session, ticket: Ticket, uploads: list[FileStorage], visibility: str) -> None:
    for upload in uploads:
        attachments.store_attachment(session, ticket=ticket, filename=upload.filename,
                                     content_type=upload.mimetype or "application/octet-stream",
                                     data=upload.read(), visibility=visibility, actor=actor("ui"))


def _choices(session: Session) -> dict[str, Any]:
    """The options of the selects and suggestion lists (small tables, capped)."""
    return {
        "departments": list(session.execute(select(Department.slug, Department.name).order_by(Department.name))),
        "groups": list(session.execute(select(Group.slug, Group.name).order_by(Group.name))),
        # A category belongs to a department (or to none): the label says which.
        "categories": sorted({(slug, f"{name} ({department})" if department else name) for slug, name, department
                              in session.execute(select(Category.slug, Category.name, Department.name)
                                                 .outerjoin(Department, Category.department_id == Department.id)
                                                 .limit(500))}, key=lambda pair: pair[1].lower()),
        "cis": list(session.execute(select(ConfigurationItem.key, ConfigurationItem.name)
                                    .order_by(ConfigurationItem.key).limit(500))),
        "agents": agents(session), "level_options": [(level, level) for level in LEVELS],
        "type_options": [(kind, kind) for kind in tickets.CHANGE_TYPES],
        "risk_options": [(risk, risk) for risk in tickets.RISKS],
    }


def _custom_choices(session: Session, kind: str) -> list[dict[str, Any]]:
    """Every custom field a ticket of this kind may have, with the department it belongs to
    (the page shows those of the department chosen)."""
    return [{"info": item.info, "key": f"cf.{item.info.name}", "department": item.info.department or ""}
            for item in definitions(session) if item.info.kind in (None, kind)]


def _render(form: TicketForm, status: int = 200) -> Any:
    with reading() as session:
        choices = _choices(session)
        choices["custom"] = _custom_choices(session, form.kind)
        choices["custom_labels"] = {item["key"]: item["info"].label for item in choices["custom"]}
    # A browser never sends chosen files twice: say so when a refused form had some.
    files_dropped = bool(form.errors) and request.method == "POST" and bool(_uploads())
    return render_template("ui/tickets/new.html", form=form, max_files=MAX_FILES, files_dropped=files_dropped,
                           **choices), status


def _create(kind: str, mode: str, *, source: str) -> Any:
    """Read, validate and make the ticket; the form again with its errors when anything is wrong."""
    form = TicketForm(kind=kind, mode=mode, typed=_typed(request.form))
    uploads = _uploads()
    _check_extra(form, uploads)
    schema = CREATE_SCHEMAS[kind]()
    with reading() as session:
        custom = custom_typed(session, kind, form.typed)
    try:
        data = schema.load(api_body(kind, form.typed, custom=custom))
    except ma.ValidationError as exc:
        for name, texts in _form_errors(exc.messages).items():
            form.errors.setdefault(name, []).extend(texts)
    if form.errors:
        return _render(form, 422)
    submit = kind == "change" and request.form.get("action") == "submit"
    visibility = "internal" if request.form.get("files_internal") else "public"
    try:
        with unit_of_work() as session:
            ticket = open_ticket(session=session, kind=kind, values=ticket_values(data), actor=actor("ui"),
                                 source=source)
            _attach(session, ticket, uploads, visibility)
            if submit:
                tickets.transition_ticket(session=session, ticket=ticket, to="submitted", actor=actor("ui"))
            ref, status = ticket.ref, ticket.status
    except ValidationFailed as exc:
        form.errors = _form_errors(exc.errors) or {"": [describe_error(exc)]}
        return _render(form, 422)
    except TrackerError as exc:
        form.errors = {"": [describe_error(exc)]}
        return _render(form, exc.status if 400 <= exc.status < 500 else 422)
    files = f" with {len(uploads)} file{'s' if len(uploads) != 1 else ''}" if uploads else ""
    if kind == "change" and status == "draft":
        flash(f"Saved {ref} as a draft{files}; complete it from My drafts when you are ready.", "success")
    else:
        flash(f"Created {ref}{files}.", "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=ref), code=303)


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required("tickets:write")
def new_incident() -> Any:
    """A full incident form: everything an agent may set when opening one."""
    if request.method == "GET":
        return _render(TicketForm(kind="incident", mode="incident", typed=_typed(request.args)))
    return _create("incident", "incident", source="ui")


@bp.route("/tickets/log-call", methods=["GET", "POST"])
@login_required("tickets:write")
def log_call() -> Any:
    """The front desk's quick form: who called, about what, and what they said (source ``phone``)."""
    if request.method == "GET":
        return _render(TicketForm(kind="incident", mode="call", typed=_typed(request.args)))
    return _create("incident", "call", source="phone")


@bp.route("/tickets/problems/new", methods=["GET", "POST"])
@login_required("tickets:write")
def new_problem() -> Any:
    """A problem opened by hand (one opened from incidents comes from a list or Insights)."""
    if request.method == "GET":
        return _render(TicketForm(kind="problem", mode="problem", typed=_typed(request.args)))
    return _create("problem", "problem", source="ui")


@bp.route("/tickets/changes/new", methods=["GET", "POST"])
@login_required("tickets:write")
def new_change() -> Any:
    """A change: saved as a draft to complete later, or submitted for assessment at once."""
    if request.method == "GET":
        return _render(TicketForm(kind="change", mode="change", typed=_typed(request.args)))
    return _create("change", "change", source="ui")


def _typed_from(session: Session, ticket: Ticket) -> dict[str, str]:
    """A saved draft's values as the form's inputs."""
    def moment(value: Any) -> str:
        return value.strftime("%Y-%m-%dT%H:%M") if value else ""

    return {
        "title": ticket.title, "description": ticket.description or "", "impact": ticket.impact,
        "urgency": ticket.urgency, "priority": "", "type": ticket.change_type or "", "risk": ticket.risk or "",
        "department": name_for(session, "department", ticket.department_id) or "",
        "category": name_for(session, "category", ticket.category_id) or "",
        "ci": name_for(session, "ci", ticket.ci_id) or "", "group": name_for(session, "group", ticket.group_id) or "",
        "assignee": name_for(session, "user", ticket.assignee_id) or "", "tags": ", ".join(ticket.tags or []),
        "requester_name": ticket.requester_name or "", "requester_email": ticket.requester_email or "",
        "planned_start": moment(ticket.planned_start), "planned_end": moment(ticket.planned_end),
        **{f"cf.{name}": value if isinstance(value, str) else str(value)
           for name, value in (ticket.custom_fields or {}).items() if value is not None},
    }


@bp.route("/tickets/changes/<ref>/draft", methods=["GET", "POST"])
@login_required("tickets:write")
def edit_draft(ref: str) -> Any:
    """Complete a saved draft: save it again, or submit it. Only a change still in draft."""
    if request.method == "GET":
        with reading() as session:
            ticket = tickets.get_ticket(session, ref, kind="change")
            if ticket.status != "draft":
                flash(f"{ticket.ref} is {ticket.status}, no longer a draft.", "error")
                return redirect(url_for("ui_tickets.ticket_page", ref=ticket.ref), code=303)
            form = TicketForm(kind="change", mode="draft", typed=_typed_from(session, ticket), ref=ticket.ref,
                              version=ticket.version)
        return _render(form)
    form = TicketForm(kind="change", mode="draft", typed=_typed(request.form), ref=ref.upper(),
                      version=parse_int(request.form.get("version")))
    uploads = _uploads()
    _check_extra(form, uploads)
    with reading() as session:
        custom = custom_typed(session, "change", form.typed, clearing=True)
    try:
        data = ChangePatchSchema().load(api_body("change", form.typed, clearing=True, custom=custom))
    except ma.ValidationError as exc:
        form.errors.update(_form_errors(exc.messages))
    if not form.typed.get("title"):
        form.errors.setdefault("title", []).append("A title is required.")
    if form.errors:
        return _render(form, 422)
    submit = request.form.get("action") == "submit"
    try:
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
            if ticket.status != "draft":
                raise ValidationFailed({"": [f"{ticket.ref} is {ticket.status}, no longer a draft."]})
            tickets.update_ticket(session=session, ticket=ticket, values=ticket_values(data), actor=actor("ui"),
                                  expected_version=form.version)
            _attach(session, ticket, uploads, "internal" if request.form.get("files_internal") else "public")
            if submit:
                tickets.transition_ticket(session=session, ticket=ticket, to="submitted", actor=actor("ui"))
            ref = ticket.ref
    except PreconditionFailed:
        form.errors = {"": ["Someone changed this draft after you opened it, so nothing was saved. Open it again "
                            "to see their change, then make yours."]}
        return _render(form, 409)
    except ValidationFailed as exc:
        form.errors = _form_errors(exc.errors) or {"": [describe_error(exc)]}
        return _render(form, 422)
    except TrackerError as exc:
        form.errors = {"": [describe_error(exc)]}
        return _render(form, exc.status if 400 <= exc.status < 500 else 422)
    flash(f"Submitted {ref} for assessment." if submit else f"Saved the draft {ref}.", "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=ref) if submit else url_for("ui_tickets.my_drafts"),
                    code=303)


@bp.get("/tickets/changes/drafts")
@login_required("tickets:write")
def my_drafts() -> Any:
    """The changes the signed-in user saved as drafts and has not submitted yet, newest first."""
    user = principal()
    with reading() as session:
        created_by_me = select(AuditEvent.ticket_id).where(
            AuditEvent.action == "created", AuditEvent.actor_type == "user", AuditEvent.actor_id == str(user.user_id))
        rows = list(session.scalars(select(Ticket).where(
            Ticket.kind == "change", Ticket.status == "draft", Ticket.id.in_(created_by_me))
            .order_by(Ticket.updated_at.desc()).limit(200)))
        drafts = [{"ref": t.ref, "title": t.title, "type": t.change_type, "updated_at": t.updated_at,
                   "planned_start": t.planned_start} for t in rows]
    return render_template("ui/tickets/drafts.html", drafts=drafts)

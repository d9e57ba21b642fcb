"""The public form page /f/<slug> and its JSON twin /api/v1/forms/<slug>.

Both check a submission the same way (connectors.webform.submit), store it raw first
through the pipeline, and answer with the ticket's reference and the private status link.
Both speak the requester's language (hub.sdk.i18n): the page the one it was shown in, the
JSON endpoint the body's ``language`` or the browser's; the ticket records it.
A filled spam trap is thanked and dropped; each address may submit a limited number of
times an hour (the form's ``submissions_per_hour``, counted by the hub's rate limiter).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, jsonify, make_response, render_template, request

from connectors.webform.custom_fields import split_answers, with_custom_fields
from connectors.webform.submit import Checked, Upload, check, is_spam
from connectors.webform.wording import worded
from hub.sdk import RawEvent, hub_services
from hub.sdk import tracker as services
from hub.sdk.i18n import current_language, for_requesters, gettext, in_language, offered_language
from hub.sdk.tracker_errors import Conflict, NotFound
from hub.sdk.values import InstanceInfo
from hub.sdk.web import client_address, csrf_exempt, problem, public, rate_limited, reading, retry_after, runtime


def make_blueprint() -> Blueprint:
    """A new blueprint per app (the hub adds its own before-request checks to each)."""
    bp = Blueprint("webform", __name__, template_folder="templates")
    bp.add_url_rule("/f/<slug>", view_func=form_page, methods=["GET", "POST"])
    bp.add_url_rule("/api/v1/forms/<slug>", view_func=form_json, methods=["POST", "OPTIONS"])
    return bp


def _webform(session: Any, slug: str) -> InstanceInfo | None:
    """The web form instance called ``slug``, or None (no instance, or another connector's)."""
    try:
        instance = hub_services.get_instance(session, slug)
    except NotFound:
        return None
    return instance if instance.connector == "webform" else None


def _form(session: Any, slug: str) -> tuple[InstanceInfo, dict[str, Any]]:
    instance = _webform(session, slug)
    hub = runtime()
    plugin = hub.plugins.plugin_of_connector("webform")
    if instance is None or not instance.enabled or (plugin and not hub.plugins.is_enabled(plugin)):
        abort(404, gettext("There is no such form, or it is closed."))
    return instance, with_custom_fields(session, instance, dict(instance.config))


def _limit_config() -> dict[str, Any]:
    """The form's config for its rate limit, read once per request (empty for no such form)."""
    if "webform_limit_config" not in g:
        slug = (request.view_args or {}).get("slug", "")
        with reading() as session:
            instance = _webform(session, slug)
            g.webform_limit_config = dict(instance.config) if instance is not None else {}
    return g.webform_limit_config


def _per_hour() -> str:
    return f"{_limit_config().get('submissions_per_hour', 10)} per hour"


def _address_on_form() -> str:
    return f"{(request.view_args or {}).get('slug', '')}@{client_address()}"


def _page_refused(_limit: Any) -> Response:
    values = request.form.to_dict()
    submission = values.pop("submission", "") or uuid.uuid4().hex
    slug = (request.view_args or {}).get("slug")
    return make_response(render_template("webform/form.html", form=worded(_limit_config(), current_language()),
                                         slug=slug, values=values, errors={}, submission=submission, limited=True),
                         429)


def _json_refused(limit: Any) -> Response:
    return _cors(problem(429, "Too many requests", gettext("Too many submissions from this address; try later."),
                         kind="rate-limited", headers={"Retry-After": retry_after(limit)}), _limit_config())


#: Each address may submit a form a number of times an hour (the form's setting), the page
#: and the JSON endpoint counted together.
def _per_address(on_breach: Any) -> Any:
    return rate_limited(_per_hour, key=_address_on_form, scope="webform-submissions", on_breach=on_breach)


def _file(name: str) -> Upload | None:
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    return Upload(filename=storage.filename, content_type=storage.mimetype or "", data=storage.read())


def _file_ref(data: Any) -> Upload | None:
    if data is None:
        return None
    return Upload(filename=str(data.get("filename", "")), content_type=str(data.get("content_type", "")),
                  data=data.get("bytes", b""))


def _submit(session: Any, instance: InstanceInfo, config: dict[str, Any], checked: Checked, submission: str,
            language: str) -> dict[str, Any]:
    """Store and apply; returns the reference and status link (or the reason it was not filed).

    The submission id comes from the client: the status link is handed out again only for
    the very same content (a double click, a retry). The same id with other content is a
    conflict, never the first ticket's link.
    """
    own, custom = split_answers(config, checked.values)
    try:
        result = hub_services.ingest(session, instance, RawEvent(
            idempotency_key=f"submission:{submission}",
            payload={"values": own, "files": checked.files, "language": language, **(
                {"custom_fields": custom} if custom else {})},
            meta={"remote_addr": request.remote_addr, "user_agent": request.headers.get("User-Agent", "")[:300]}),
            refuse_changed=True)
    except Conflict:
        return {"ticket": None, "status_url": None, "conflict": True,
                "reason": gettext("This submission id was already used for a submission with other content; "
                                  "nothing was filed. Send it with a new submission id (or none) to file it.")}
    if result.ticket_ref is None:
        return {"ticket": None, "status_url": None, "reason": result.reason}
    return {"ticket": result.ticket_ref, "status_url": services.status_url(session, result.ticket_ref),
            "duplicate": result.duplicate}


@for_requesters
@public
@_per_address(_page_refused)
def form_page(slug: str) -> Any:
    hub = runtime()
    with hub.db.transaction() as session:
        instance, config = _form(session, slug)
        shown = worded(config, current_language())  # its own words in the requester's language, if given
        if request.method == "GET":
            return render_template("webform/form.html", form=shown, slug=slug, values={}, errors={},
                                   submission=uuid.uuid4().hex)
        values = request.form.to_dict()
        submission = values.pop("submission", "") or uuid.uuid4().hex
        if is_spam(values):
            return render_template("webform/thanks.html", form=shown, ticket=None, status_url=None)
        uploads = {spec["name"]: _file(spec["name"]) for spec in config["fields"] if spec["type"] == "file"}
        checked = check(config, values, uploads)
        if checked.errors:
            return render_template("webform/form.html", form=shown, slug=slug, values=values,
                                   errors=checked.errors, submission=submission), 422
        outcome = _submit(session, instance, config, checked, submission[:64], current_language())
        if outcome.get("conflict"):
            # The page was sent before with other answers (back, edit, send): say so, and
            # give the form a new id so that sending it again files it.
            return render_template("webform/form.html", form=shown, slug=slug, values=values, errors={},
                                   submission=uuid.uuid4().hex, conflict=True), 409
        # The page links within the site it was served from, whatever HUB_BASE_URL says.
        link = urlsplit(outcome["status_url"]).path if outcome["status_url"] else None
        return render_template("webform/thanks.html", form=shown, ticket=outcome["ticket"], status_url=link)


def _cors(response: Response, config: dict[str, Any]) -> Response:
    origin = request.headers.get("Origin")
    if origin and origin in config["allowed_origins"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@for_requesters
@public
@csrf_exempt
@_per_address(_json_refused)
def form_json(slug: str) -> Any:
    """Submit from a site's own page: the same fields and checks, JSON in and out, in the body's
    ``language`` (when the hub offers it) or the browser's."""
    body = request.get_json(silent=True)
    language = offered_language(body.get("language") if isinstance(body, dict) else None) or current_language()
    with in_language(language):
        return _form_json(slug, body, language)


def _form_json(slug: str, body: Any, language: str) -> Any:
    hub = runtime()
    with hub.db.transaction() as session:
        instance, config = _form(session, slug)
        origin = request.headers.get("Origin")
        if origin and origin not in config["allowed_origins"]:
            return problem(403, "Forbidden", gettext("Pages at %(origin)s may not post to this form.", origin=origin),
                           kind="origin-not-allowed")
        if request.method == "OPTIONS":
            return _cors(make_response("", 204), config)
        if not isinstance(body, dict) or not isinstance(body.get("values", {}), dict):
            return _cors(problem(400, "Bad request", gettext('Send JSON like {"values": {"field": "value"}}.'),
                                 kind="webform-unreadable"), config)
        values = dict(body.get("values") or {})
        if is_spam(values):
            return _cors(make_response(jsonify(accepted=True), 202), config)
        files = body.get("files") or {}
        uploads = {spec["name"]: _decoded(files.get(spec["name"])) for spec in config["fields"]
                   if spec["type"] == "file"}
        checked = check(config, values, uploads)
        if checked.errors:
            return _cors(problem(422, "Validation failed", gettext("Some fields are not valid."),
                                 kind="validation-failed",
                                 errors={name: [message] for name, message in checked.errors.items()}), config)
        submission = str(body.get("submission") or uuid.uuid4().hex)[:64]
        outcome = _submit(session, instance, config, checked, submission, language)
        if outcome.get("conflict"):
            return _cors(problem(409, "Conflict", outcome["reason"], kind="submission-conflict"), config)
        status = 200 if outcome.get("duplicate") else 201 if outcome["ticket"] else 202
        return _cors(make_response(jsonify(outcome), status), config)


def _decoded(item: Any) -> Upload | None:
    """A file in JSON: {"filename", "content_type", "data": base64}."""
    import base64
    import binascii

    if not isinstance(item, dict):
        return None
    try:
        data = base64.b64decode(str(item.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    return _file_ref({**item, "bytes": data})

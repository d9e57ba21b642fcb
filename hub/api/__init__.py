"""The REST API under /api/v1 with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

import copy
import http
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from apispec import APISpec
from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from webargs.flaskparser import is_json_request
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from hub import __version__
from hub.api import (
    admin,
    canned,
    change_governance,
    change_tasks,
    customers,
    docs,
    fields,
    health,
    hooks,
    metrics,
    org,
    people,
    tickets,
)
from hub.api.problems import register_problem_handlers
from hub.auth.web import public
from hub.sdk.safe_json import NestedTooDeep, parse_json
from hub.sdk.storable import TEXT_PROBLEM, first_unstorable, unstorable
from hub.sdk.tracker_errors import ValidationFailed

API_SETTINGS = {
    "API_TITLE": "itsm-hub",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "One tracker for complaints, faults and changes from every channel. "
                 "Every error is application/problem+json (RFC 9457)."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    },
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem; some carry more members (errors, allowed, current_version)."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem."})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String(allow_none=True)
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "Validation errors: field -> messages."})


class _DocsSharingSchemas(dict[str, Any]):
    """A blueprint's stored view docs whose deep copy shares the marshmallow schemas in them.

    flask-smorest deep-copies a blueprint's docs each time it is registered (so one blueprint
    can serve several apps) and deep-copying a schema instance copies every one of its fields:
    that was two thirds of building an app, paid by every test and every process start. The
    copy exists to protect the dicts the registration pops keys from; schemas are only read
    (the OpenAPI document is the same either way: tests/hub/api/test_openapi_build.py).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        for schema in _schemas_in(self):
            memo[id(schema)] = schema
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}


def _schemas_in(value: Any) -> Iterator[ma.Schema]:
    if isinstance(value, ma.Schema):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _schemas_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _schemas_in(item)


class _SchemaSharingSpec(APISpec):
    """apispec's APISpec, whose ``path`` deep-copies the operations it is given without copying
    the marshmallow schemas in them (see _DocsSharingSchemas): it copies them to protect the
    dicts it edits, and reads the schemas only."""

    def path(self, path: str | None = None, *, operations: dict[str, Any] | None = None,
             **kwargs: Any) -> APISpec:
        return super().path(path, operations=_DocsSharingSchemas(operations or {}), **kwargs)


class HubApi(Api):
    """flask-smorest's Api, documenting every error as application/problem+json."""

    _undocumented: list[tuple[Any, str, Any]]

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented = []
        super()._init_spec(*args, **kwargs)
        self._spec.__class__ = _SchemaSharingSpec  # flask-smorest builds a plain APISpec; only path() differs

    @property
    def spec(self) -> APISpec:
        """The OpenAPI spec, with every registered blueprint's views documented in it.

        flask-smorest documents a blueprint's views as it registers them; here that waits for
        the first read of the spec (the OpenAPI document, the docs pages, a test), since most
        apps built never serve it: a process builds apps for commands and workers, and every
        test builds one. The document is the same (tests/hub/api/test_openapi_build.py)."""
        pending, self._undocumented = self._undocumented, []
        for blp, name, parameters in pending:
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:
        self._spec = value

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's register_blueprint, with the documenting left to the first read of
        ``spec``."""
        docs = getattr(blp, "_docs", None)
        if type(docs) is dict:  # flask-smorest's own store; anything else is left as it is
            blp._docs = _DocsSharingSchemas(docs)
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    ERROR_SCHEMA = ProblemSchema
    PROBLEM_CONTENT_TYPE = "application/problem+json"

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, self.PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, self.PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_api(app: Flask) -> Api:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = HubApi(app)
    for view_name in ("api-docs.openapi_json",):
        if view_name in app.view_functions:
            app.view_functions[view_name] = public(app.view_functions[view_name])
    api.register_blueprint(tickets.make_blueprint("incident"))
    api.register_blueprint(tickets.make_blueprint("change"))
    api.register_blueprint(change_governance.bp)
    api.register_blueprint(change_tasks.bp)
    api.register_blueprint(tickets.make_blueprint("problem"))
    api.register_blueprint(org.bp)
    api.register_blueprint(fields.bp)
    api.register_blueprint(admin.bp)
    api.register_blueprint(canned.bp)
    api.register_blueprint(customers.bp)
    app.register_blueprint(customers.csv_bp)
    app.register_blueprint(docs.bp)
    api.register_blueprint(people.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(metrics.bp)
    register_problem_handlers(app)
    app.before_request(refuse_unstorable_text)
    app.extensions["hub.api"] = api
    return api


#: Longer query strings answer 414 problem+json. The web server's own limit on the request
#: line (config/gunicorn.conf.py: 8190 bytes) sits above it, so that API clients get a
#: problem they can read instead of the web server's HTML page.
MAX_QUERY_BYTES = 4096


def refuse_unstorable_text() -> None:
    """Refuse API input the hub cannot read or store, before any view runs (and before routing
    decides on a 404): an over-long query (414), JSON nested too deep (400), and text (NUL,
    unpaired surrogates) or numbers (NaN, Infinity, huge integers) the database cannot store
    (422, naming the field).

    Webhooks are exempt: their connectors read the body, and what a source sends is kept,
    cleaned (hub.sdk.storable).
    """
    if not request.path.startswith("/api/"):
        return
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"The query string is {len(request.query_string)} bytes; at most "
                                 f"{MAX_QUERY_BYTES} are read.")
    if request.path.startswith("/api/v1/hooks/"):
        return
    errors: dict[str, list[str]] = {}
    for name, value in request.args.items(multi=True):
        if first_unstorable(value) or first_unstorable(name):
            errors[f"query.{name}"] = [MESSAGE]
    found = unstorable(_json_body())
    if found:
        errors.setdefault(found[0], []).append(found[1])
    if errors:
        raise ValidationFailed(errors)


def _json_body() -> Any:
    """The request's JSON body read within hub.sdk.safe_json's limits; None when there is none,
    or when it is not JSON at all (the view's parser then answers 400 as usual)."""
    if not is_json_request(request):
        return None
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return parse_json(data.decode("utf-8"))
    except NestedTooDeep as exc:
        raise BadRequest(f"The JSON body is {exc}; nothing was read.") from None
    except ValueError:
        return None


MESSAGE = TEXT_PROBLEM

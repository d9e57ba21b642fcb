"""The HTTP surface of the Jira double: REST v3 and the JSM comment endpoint.

See ``tests.fakes.jira`` for what is implemented and where it is documented.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request

from tests.fakes import jql
from tests.fakes.base import install_gate, json_body, json_response, new_flask_app
from tests.fakes.jira import (
    INTERNAL_PROPERTY,
    PRIORITIES,
    STATUSES,
    TRANSITIONS,
    Account,
    JiraFake,
    adf,
    adf_text,
    error,
    is_adf,
    jira_time,
)

EDITABLE = ("summary", "description", "priority", "labels", "components")
RENDERABLE = (
    "summary",
    "components",
    "description",
    "priority",
    "labels",
    "status",
    "issuetype",
    "project",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "reporter",
    "creator",
    "assignee",
    "comment",
    "attachment",
)
SEARCH_BODY_KEYS = frozenset(
    {
        "jql",
        "nextPageToken",
        "maxResults",
        "fields",
        "expand",
        "properties",
        "fieldsByKeys",
        "reconcileIssues",
        "failFast",
    }
)
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
NOT_FOUND = "Issue does not exist or you do not have permission to see it."
NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
XSRF_FAILED = "XSRF check failed"
NO_CHECK = frozenset({"no-check", "nocheck"})
"""``no-check`` is the documented value; older Jira docs and clients send ``nocheck``."""
TOO_LARGE = "The attachment exceeds the maximum attachment size ({} bytes)."
NO_FILE = "No file was attached in a part named 'file'."
ATTACHMENT_NOT_FOUND = "The attachment with id '{}' does not exist."


def build_app(fake: JiraFake) -> Flask:
    app = new_flask_app("jira-fake")
    install_gate(app, fake)
    views = _Views(fake)

    @app.before_request
    def _require_json() -> Response | None:
        if request.path.endswith("/attachments"):
            return None  # multipart/form-data, checked by the view
        if request.method in ("POST", "PUT") and request.get_data(cache=True) and not request.is_json:
            return error(415, ["Unsupported Media Type"])
        return None

    rules: list[tuple[str, str, Any]] = [
        ("/rest/api/3/myself", "GET", views.myself),
        ("/rest/api/3/field", "GET", views.fields),
        ("/rest/api/3/issue", "POST", views.create_issue),
        ("/rest/api/3/issue/<key>", "GET", views.get_issue),
        ("/rest/api/3/issue/<key>", "PUT", views.edit_issue),
        ("/rest/api/3/issue/<key>/transitions", "GET", views.get_transitions),
        ("/rest/api/3/issue/<key>/transitions", "POST", views.do_transition),
        ("/rest/api/3/issue/<key>/comment", "GET", views.get_comments),
        ("/rest/api/3/issue/<key>/comment", "POST", views.add_comment),
        ("/rest/api/3/issue/<key>/attachments", "POST", views.add_attachments),
        ("/rest/api/3/attachment/content/<attachment_id>", "GET", views.attachment_content),
        ("/media/file/<media_id>/binary", "GET", views.media_file),
        ("/rest/api/3/search/jql", "GET", views.search),
        ("/rest/api/3/search/jql", "POST", views.search),
        ("/rest/api/2/search", "GET", views.removed),
        ("/rest/api/2/search", "POST", views.removed),
        ("/rest/api/3/search", "GET", views.removed),
        ("/rest/api/3/search", "POST", views.removed),
        ("/rest/servicedeskapi/request/<key>/comment", "GET", views.jsm_comments),
        ("/rest/servicedeskapi/request/<key>/comment", "POST", views.jsm_add_comment),
    ]
    for path, method, view in rules:
        app.add_url_rule(path, endpoint=f"{method} {path}", view_func=view, methods=[method])
    return app


class _Views:
    def __init__(self, fake: JiraFake) -> None:
        self.fake = fake

    # -- helpers ------------------------------------------------------------------------

    @property
    def account(self) -> Account:
        return self.fake.accounts[str(g.fake_user)]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.account.timezone)

    def base(self) -> str:
        return request.host_url.rstrip("/")

    def user(self, email: str) -> dict[str, Any]:
        account = self.fake.accounts.get(email)
        if account is None:
            return {"accountId": email, "displayName": email, "active": False}
        return {
            "self": f"{self.base()}/rest/api/3/user?accountId={account.account_id}",
            "accountId": account.account_id,
            "emailAddress": account.email,
            "displayName": account.display_name,
            "active": True,
            "timeZone": account.timezone,
            "accountType": "atlassian",
        }

    def render_issue(
        self, issue: Mapping[str, Any], wanted: set[str] | None, *, id_only: bool = False
    ) -> dict[str, Any]:
        if id_only:
            return {"id": issue["id"]}
        base = self.base()
        project = self.fake.projects[issue["project"]]
        status_id, category = STATUSES[issue["status"]]
        values: dict[str, Any] = {
            "summary": issue["summary"],
            "description": issue["description"],
            "priority": {
                "self": f"{base}/rest/api/3/priority/{PRIORITIES[issue['priority']]}",
                "name": issue["priority"],
                "id": PRIORITIES[issue["priority"]],
            },
            "labels": list(issue["labels"]),
            "components": [{"self": f"{base}/rest/api/3/component/{project.components.get(name, '0')}",
                            "id": project.components.get(name, "0"), "name": name} for name in issue["components"]],
            "status": {
                "self": f"{base}/rest/api/3/status/{status_id}",
                "description": "",
                "name": issue["status"],
                "id": status_id,
                "statusCategory": dict(category),
            },
            "issuetype": {
                "self": f"{base}/rest/api/3/issuetype/{project.issue_types[issue['issuetype']]}",
                "id": project.issue_types[issue["issuetype"]],
                "name": issue["issuetype"],
                "subtask": False,
            },
            "project": {
                "self": f"{base}/rest/api/3/project/{project.id}",
                "id": project.id,
                "key": project.key,
                "name": project.name,
                "projectTypeKey": "service_desk" if project.service_desk else "software",
            },
            "created": jira_time(issue["created"], self.tz),
            "updated": jira_time(issue["updated"], self.tz),
            "resolution": {"id": "10000", "name": issue["resolution"]} if issue["resolution"] else None,
            "resolutiondate": jira_time(issue["resolutiondate"], self.tz) if issue["resolutiondate"] else None,
            "reporter": self.user(issue["reporter"]),
            "creator": self.user(issue["reporter"]),
            "assignee": None,
            "comment": self.comment_page(issue, 0, 5000),
            "attachment": [self.render_attachment(a) for a in issue["attachments"]],
        }
        for ident, custom in self.fake.custom_fields.items():
            values[ident] = self.render_custom(custom, issue["custom"].get(ident))
        renderable = (*RENDERABLE, *self.fake.custom_fields)
        names = renderable if wanted is None else [n for n in renderable if n in wanted]
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "self": f"{base}/rest/api/3/issue/{issue['id']}",
            "key": issue["key"],
            "fields": {name: values[name] for name in names},
        }

    def render_custom(self, custom: Any, value: Any) -> Any:
        if value is None:
            return None
        if custom.type == "datetime":
            return jira_time(datetime.fromisoformat(value), self.tz)
        if custom.type == "option":
            return {"self": f"{self.base()}/rest/api/3/customFieldOption/{custom.options.index(value) + 10200}",
                    "value": value, "id": str(custom.options.index(value) + 10200)}
        return value

    def render_comment(
        self, issue: Mapping[str, Any], comment: Mapping[str, Any], properties: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": f"{self.base()}/rest/api/3/issue/{issue['id']}/comment/{comment['id']}",
            "id": comment["id"],
            "author": self.user(comment["author"]),
            "body": comment["body"],
            "updateAuthor": self.user(comment["author"]),
            "created": jira_time(comment["created"], self.tz),
            "updated": jira_time(comment["updated"], self.tz),
        }
        kept = [dict(p) for p in comment.get("properties") or []]
        if self.fake.projects[issue["project"]].service_desk:
            out["jsdPublic"] = not comment["internal"]
            if properties:
                out["properties"] = [{"key": INTERNAL_PROPERTY, "value": {"internal": comment["internal"]}}, *kept]
        elif properties:
            out["properties"] = kept
        return out

    def render_attachment(self, attachment: Mapping[str, Any]) -> dict[str, Any]:
        base = self.base()
        out: dict[str, Any] = {
            "self": f"{base}/rest/api/3/attachment/{attachment['id']}",
            "id": attachment["id"],
            "filename": attachment["filename"],
            "author": self.user(attachment["author"]),
            "created": jira_time(attachment["created"], self.tz),
            "size": attachment["size"],
            "mimeType": attachment["mime_type"],
            "content": f"{base}/rest/api/3/attachment/content/{attachment['id']}",
        }
        if str(attachment["mime_type"]).startswith("image/"):
            out["thumbnail"] = f"{base}/rest/api/3/attachment/thumbnail/{attachment['id']}"
        return out

    def comment_page(
        self, issue: Mapping[str, Any], start: int, limit: int, order: str = "created", properties: bool = False
    ) -> dict[str, Any]:
        comments = list(issue["comments"])
        if order.startswith("-"):
            comments.reverse()
        page = comments[start : start + limit]
        return {
            "comments": [self.render_comment(issue, c, properties) for c in page],
            "self": f"{self.base()}/rest/api/3/issue/{issue['id']}/comment",
            "maxResults": limit,
            "total": len(comments),
            "startAt": start,
        }

    def body(self) -> tuple[dict[str, Any] | None, Response | None]:
        body, problem = json_body()
        if problem or not isinstance(body, dict):
            return None, error(400, [INVALID_PAYLOAD])
        return body, None

    def validate_fields(
        self, fields: Mapping[str, Any], project_types: Mapping[str, str] | None, errors: dict[str, str],
        project_key: str | None = None,
    ) -> dict[str, Any]:
        """Check editable fields; returns them in stored form, putting problems in ``errors``."""
        clean: dict[str, Any] = {}
        for name, value in fields.items():
            if name in ("project", "issuetype") and project_types is not None:
                continue
            if self.validate_extra(name, value, project_key, clean, errors):
                continue
            if name not in EDITABLE:
                errors[name] = NOT_SETTABLE.format(name)
            elif name == "summary":
                if not isinstance(value, str) or not value.strip():
                    errors[name] = "You must specify a summary of the issue."
                elif len(value) > 255:
                    errors[name] = "Summary must be less than 255 characters."
                else:
                    clean[name] = value
            elif name == "description":
                if value is not None and not is_adf(value):
                    errors[name] = NOT_ADF
                else:
                    clean[name] = value
            elif name == "priority":
                priority = _named(value, PRIORITIES)
                if priority is None:
                    errors[name] = "The priority selected is invalid."
                else:
                    clean[name] = priority
            elif name == "labels":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    errors[name] = "Labels must be a list of strings."
                elif bad := [v for v in value if not v or " " in v]:
                    errors[name] = f"The label '{bad[0]}' contains spaces which is invalid."
                else:
                    clean[name] = value
        return clean

    def validate_extra(self, name: str, value: Any, project_key: str | None, clean: dict[str, Any],
                       errors: dict[str, str]) -> bool:
        """Components and custom fields; whether ``name`` was one."""
        if name in self.fake.custom_fields:
            self.validate_custom(self.fake.custom_fields[name], value, clean, errors)
        elif name == "components":
            self.validate_components(value, project_key, clean, errors)
        else:
            return False
        return True

    def validate_components(self, value: Any, project_key: str | None, clean: dict[str, Any],
                            errors: dict[str, str]) -> None:
        project = self.fake.projects.get(str(project_key or ""))
        known = project.components if project else {}
        by_id = {ident: name for name, ident in known.items()}
        names = []
        for item in value if isinstance(value, list) else [None]:
            name = (item.get("name") if "name" in item else by_id.get(str(item.get("id")))) \
                if isinstance(item, dict) else None
            if not isinstance(name, str) or name not in known:
                shown = item.get("name", item.get("id")) if isinstance(item, dict) else item
                errors["components"] = f"Component name '{shown}' is not valid"
                return
            names.append(name)
        clean["components"] = names

    def validate_custom(self, custom: Any, value: Any, clean: dict[str, Any], errors: dict[str, str]) -> None:
        stored = clean.setdefault("custom", {})
        if value is None:
            stored[custom.id] = None
        elif custom.type == "datetime":
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                errors[custom.id] = f"Operation value must be a date-time ({custom.name})"
                return
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            stored[custom.id] = moment.isoformat()
        elif custom.type == "option":
            chosen = value.get("value") if isinstance(value, dict) else None
            if chosen not in custom.options:
                errors[custom.id] = f"Option value '{chosen}' is not valid"
                return
            stored[custom.id] = chosen
        elif isinstance(value, str):
            stored[custom.id] = value
        else:
            errors[custom.id] = f"Operation value must be a string ({custom.name})"

    def issue_or_404(self, key: str) -> tuple[dict[str, Any] | None, Response | None]:
        issue = self.fake.find(key)
        if issue is None:
            return None, error(404, [NOT_FOUND])
        return issue, None

    # -- views --------------------------------------------------------------------------

    def fields(self) -> Response:
        """``GET /rest/api/3/field``: every field with its ``schema`` (REST v3 "Issue fields")."""
        system = [("summary", "Summary", {"type": "string", "system": "summary"}),
                  ("description", "Description", {"type": "string", "system": "description"}),
                  ("priority", "Priority", {"type": "priority", "system": "priority"}),
                  ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
                  ("components", "Components", {"type": "array", "items": "component", "system": "components"}),
                  ("status", "Status", {"type": "status", "system": "status"})]
        out = [{"id": ident, "key": ident, "name": name, "custom": False, "schema": schema}
               for ident, name, schema in system]
        for custom in self.fake.custom_fields.values():
            out.append({"id": custom.id, "key": custom.id, "name": custom.name, "custom": True,
                        "schema": {"type": custom.type, "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:"
                                   f"{ {'datetime': 'datetime', 'option': 'select'}.get(custom.type, 'textfield') }",
                                   "customId": int(custom.id.rsplit("_", 1)[1])}})
        return json_response(out)

    def myself(self) -> Response:
        return json_response(self.user(self.account.email))

    def removed(self) -> Response:
        return error(410, [REMOVED_SEARCH])

    def create_issue(self) -> Response:
        body, problem = self.body()
        if problem:
            return problem
        assert body is not None
        fields = body.get("fields")
        if not isinstance(fields, dict):
            return error(400, [INVALID_PAYLOAD])
        errors: dict[str, str] = {}
        with self.fake.lock:
            project = _project(self.fake, fields.get("project"))
            if project is None:
                errors["project"] = "Specify a valid project ID or key"
            issuetype = _named(fields.get("issuetype"), project.issue_types) if project else None
            if project is not None and issuetype is None:
                errors["issuetype"] = "Specify an issue type"
            if "summary" not in fields:
                errors["summary"] = "You must specify a summary of the issue."
            clean = self.validate_fields(fields, project.issue_types if project else {}, errors,
                                         project.key if project else None)
            if errors:
                return error(400, [], errors)
            assert project is not None
            assert issuetype is not None
            issue = self.fake._insert(
                project.key,
                clean["summary"],
                clean.get("description"),
                issuetype,
                clean.get("priority", "Medium"),
                clean.get("labels", []),
                self.account.email,
            )
            self.fake._change(issue, {k: v for k, v in clean.items() if k in ("components", "custom")})
        return json_response(
            {"id": issue["id"], "key": issue["key"], "self": f"{self.base()}/rest/api/3/issue/{issue['id']}"}, 201
        )

    def get_issue(self, key: str) -> Response:
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            return json_response(self.render_issue(issue, _wanted_fields(request.args.getlist("fields"))))

    def edit_issue(self, key: str) -> Response:
        body, problem = self.body()
        if problem:
            return problem
        assert body is not None
        errors: dict[str, str] = {}
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            changes = self.validate_fields(body.get("fields") or {}, None, errors, issue["project"])
            comments: list[dict[str, Any]] = []
            for name, operations in (body.get("update") or {}).items():
                self.apply_verbs(issue, name, operations, changes, comments, errors)
            if errors:
                return error(400, [], errors)
            changed = self.fake._change(issue, changes)
            for comment in comments:
                self.fake._comment(issue, comment, False, self.account.email)
            if changed:
                self.fake._touch(issue)
        return Response(status=204)

    def apply_verbs(
        self,
        issue: Mapping[str, Any],
        name: str,
        operations: Any,
        changes: dict[str, Any],
        comments: list[dict[str, Any]],
        errors: dict[str, str],
    ) -> None:
        if not isinstance(operations, list):
            errors[name] = INVALID_PAYLOAD
            return
        for operation in operations:
            verb, value = next(iter(operation.items())) if isinstance(operation, dict) and operation else ("", None)
            if name == "comment" and verb == "add":
                body = value.get("body") if isinstance(value, dict) else None
                if isinstance(body, dict) and is_adf(body):
                    comments.append(body)
                else:
                    errors["comment"] = NOT_ADF
            elif name == "labels" and verb in ("add", "remove", "set"):
                labels = set(changes.get("labels", issue["labels"]))
                if verb == "set":
                    labels = set(value or [])
                elif verb == "add":
                    labels.add(value)
                else:
                    labels.discard(value)
                checked = self.validate_fields({"labels": sorted(labels)}, None, errors)
                changes.update(checked)
            elif name in EDITABLE and verb == "set":
                changes.update(self.validate_fields({name: value}, None, errors))
            else:
                errors[name] = NOT_SETTABLE.format(name)

    def get_transitions(self, key: str) -> Response:
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            return json_response({"expand": "transitions", "transitions": self.transitions_for(issue)})

    def transitions_for(self, issue: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = []
        for transition_id, (name, target) in TRANSITIONS.items():
            if target == issue["status"]:
                continue
            status_id, category = STATUSES[target]
            out.append(
                {
                    "id": transition_id,
                    "name": name,
                    "to": {
                        "self": f"{self.base()}/rest/api/3/status/{status_id}",
                        "name": target,
                        "id": status_id,
                        "statusCategory": dict(category),
                    },
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        return out

    def do_transition(self, key: str) -> Response:
        body, problem = self.body()
        if problem:
            return problem
        assert body is not None
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            transition = body.get("transition")
            transition_id = str(transition.get("id", "")) if isinstance(transition, dict) else ""
            if not transition_id:
                return error(400, ["Missing 'transition' identifier"])
            available = {t["id"]: t["to"]["name"] for t in self.transitions_for(issue)}
            if transition_id not in available:
                return error(400, [f"Transition id '{transition_id}' is not valid for this issue."])
            errors: dict[str, str] = {}
            comments: list[dict[str, Any]] = []
            for name, operations in (body.get("update") or {}).items():
                if name != "comment":
                    errors[name] = NOT_SETTABLE.format(name)
                else:
                    self.apply_verbs(issue, name, operations, {}, comments, errors)
            if errors:
                return error(400, [], errors)
            self.fake._set_status(issue, available[transition_id])
            for comment in comments:
                self.fake._comment(issue, comment, False, self.account.email)
        return Response(status=204)

    def get_comments(self, key: str) -> Response:
        start = _int(request.args.get("startAt"), 0)
        limit = _int(request.args.get("maxResults"), 5000)
        order = request.args.get("orderBy", "created")
        properties = "properties" in request.args.get("expand", "")
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            return json_response(self.comment_page(issue, start, limit, order, properties))

    def add_comment(self, key: str) -> Response:
        body, problem = self.body()
        if problem:
            return problem
        assert body is not None
        if not is_adf(body.get("body")):
            return error(400, [], {"comment": NOT_ADF})
        internal = False
        kept = []
        for prop in body.get("properties") or []:
            if isinstance(prop, dict) and prop.get("key") == INTERNAL_PROPERTY:
                value = prop.get("value")
                internal = bool(value.get("internal")) if isinstance(value, dict) else False
            elif isinstance(prop, dict) and prop.get("key"):
                kept.append({"key": str(prop["key"]), "value": prop.get("value")})
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            comment = self.fake._comment(issue, body["body"], internal, self.account.email, kept)
            return json_response(self.render_comment(issue, comment, properties=True), 201)

    # -- attachments --------------------------------------------------------------------

    def add_attachments(self, key: str) -> Response:
        if request.headers.get("X-Atlassian-Token", "").strip().lower() not in NO_CHECK:
            return Response(XSRF_FAILED, status=403, mimetype="text/plain")
        if request.mimetype != "multipart/form-data":
            return error(415, ["Unsupported Media Type"])
        uploads = [(part.filename or "", part.mimetype, part.read()) for part in request.files.getlist("file")]
        with self.fake.lock:
            issue, problem = self.issue_or_404(key)
            if problem:
                return problem
            assert issue is not None
            if not uploads:
                return error(400, [NO_FILE])
            limit = self.fake.attachment_limit
            if any(len(data) > limit for _, _, data in uploads):
                return error(413, [TOO_LARGE.format(limit)])
            made = [
                self.fake._attach(issue, name or "attachment", data, _mime_type(name, kind), self.account.email)
                for name, kind, data in uploads
            ]
            self.fake._touch(issue)
            return json_response([self.render_attachment(a) for a in made])

    def attachment_content(self, attachment_id: str) -> Response:
        attachment = self.fake.find_attachment(attachment_id=attachment_id)
        if attachment is None:
            return error(404, [ATTACHMENT_NOT_FOUND.format(attachment_id)])
        if request.args.get("redirect", "true").lower() == "false":
            return self.file_response(attachment)
        response = Response(status=303)
        response.headers["Location"] = f"{self.base()}/media/file/{attachment['media_id']}/binary?dl=true"
        return response

    def media_file(self, media_id: str) -> Response:
        attachment = self.fake.find_attachment(media_id=media_id)
        if attachment is None:
            return error(404, ["File not found"])
        return self.file_response(attachment)

    def file_response(self, attachment: Mapping[str, Any]) -> Response:
        response = Response(attachment["data"], status=200, mimetype=attachment["mime_type"])
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment['filename'])}"
        return response

    # -- JSM API ------------------------------------------------------------------------

    def jsm_error(self, status: int, message: str) -> Response:
        return json_response({"errorMessage": message, "i18nErrorMessage": {"i18nKey": "", "parameters": []}}, status)

    def jsm_request(self, key: str) -> tuple[dict[str, Any] | None, Response | None]:
        issue = self.fake.find(key)
        if issue is None or not self.fake.projects[issue["project"]].service_desk:
            return None, self.jsm_error(404, "The request could not be found.")
        return issue, None

    def render_jsm_comment(self, comment: Mapping[str, Any]) -> dict[str, Any]:
        created = comment["created"].astimezone(self.tz)
        return {
            "id": comment["id"],
            "body": adf_text(comment["body"]),
            "public": not comment["internal"],
            "author": self.user(comment["author"]),
            "created": {
                "iso8601": created.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "jira": jira_time(comment["created"], self.tz),
                "friendly": created.strftime("%d/%b/%y %I:%M %p"),
                "epochMillis": int(comment["created"].timestamp() * 1000),
            },
        }

    def jsm_comments(self, key: str) -> Response:
        want_public = request.args.get("public", "true").lower() != "false"
        want_internal = request.args.get("internal", "true").lower() != "false"
        start = _int(request.args.get("start"), 0)
        limit = _int(request.args.get("limit"), 50)
        with self.fake.lock:
            issue, problem = self.jsm_request(key)
            if problem:
                return problem
            assert issue is not None
            chosen = [c for c in issue["comments"] if (want_internal if c["internal"] else want_public)]
            page = chosen[start : start + limit]
            return json_response(
                {
                    "size": len(page),
                    "start": start,
                    "limit": limit,
                    "isLastPage": start + limit >= len(chosen),
                    "values": [self.render_jsm_comment(c) for c in page],
                }
            )

    def jsm_add_comment(self, key: str) -> Response:
        body, problem = self.body()
        if problem:
            return problem
        assert body is not None
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            return self.jsm_error(400, "The comment body can not be empty.")
        with self.fake.lock:
            issue, problem = self.jsm_request(key)
            if problem:
                return problem
            assert issue is not None
            comment = self.fake._comment(issue, adf(text), not bool(body.get("public", True)), self.account.email)
            return json_response(self.render_jsm_comment(comment), 201)

    # -- search -------------------------------------------------------------------------

    def search(self) -> Response:
        if request.method == "POST":
            body, problem = self.body()
            if problem:
                return problem
            assert body is not None
            if set(body) - SEARCH_BODY_KEYS:
                return error(400, [INVALID_PAYLOAD])
            text, token = body.get("jql"), body.get("nextPageToken")
            raw_max, fields = body.get("maxResults", 50), body.get("fields")
            reconcile = [str(i) for i in body.get("reconcileIssues") or []]
        else:
            args = request.args
            text, token = args.get("jql"), args.get("nextPageToken")
            raw_max = args.get("maxResults", "50")
            fields = [f for value in args.getlist("fields") for f in value.split(",") if f] or None
            reconcile = [i for value in args.getlist("reconcileIssues") for i in value.split(",") if i]
        fields = fields or None  # an empty list asks for the default: ids only
        try:
            max_results = int(raw_max)
        except (TypeError, ValueError):
            return error(400, [INVALID_PAYLOAD])
        if not 1 <= max_results <= 5000:
            return error(400, ["The max results parameter has to be between 1 and 5,000."])
        text = text or ""
        offset = _decode_token(token, text) if token else 0
        if offset is None:
            return error(400, ["The provided next page token is invalid or expired."])
        if len(reconcile) > 50:
            return error(400, ["Up to 50 issue ids can be reconciled."])
        with self.fake.lock:
            try:
                query = jql.parse(text, self.fake.search_context(self.account))
            except jql.JqlError as exc:
                return error(400, [str(exc)])
            if query.where is None:
                return error(400, [jql.UNBOUNDED])
            where = query.where
            matched = query.sort([i for i in self.fake.searchable(reconcile) if where(i)])
            wanted = _wanted_fields(fields) if fields else None
            only_ids = fields is None or (wanted is not None and wanted <= {"id", "key"})
            size = max_results if only_ids else min(max_results, self.fake.search_page_cap)
            page = matched[offset : offset + size]
            issues = [self.render_issue(i, wanted, id_only=fields is None) for i in page]
        payload: dict[str, Any] = {"issues": issues}
        if offset + size < len(matched):
            payload["nextPageToken"] = _encode_token(offset + size, text)
        payload["isLast"] = "nextPageToken" not in payload
        return json_response(payload)


def _project(fake: JiraFake, value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    if "key" in value:
        return fake.projects.get(str(value["key"]).upper())
    return next((p for p in fake.projects.values() if p.id == str(value.get("id"))), None)


def _named(value: Any, choices: Mapping[str, str]) -> str | None:
    """A ``{"name": ...}`` or ``{"id": ...}`` reference resolved against ``choices`` (name -> id)."""
    if not isinstance(value, dict):
        return None
    if "name" in value:
        return str(value["name"]) if value["name"] in choices else None
    return next((name for name, ident in choices.items() if ident == str(value.get("id"))), None)


def _mime_type(filename: str, sent: str | None) -> str:
    """The part's own type, else one guessed from the name (Jira detects the type too)."""
    if sent and sent != "application/octet-stream":
        return sent
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _wanted_fields(values: list[str] | None) -> set[str] | None:
    names = [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    if not names:
        return None
    wanted: set[str] = set()
    for name in names:
        if name in ("*all", "*navigable"):
            wanted |= set(RENDERABLE)
    wanted |= {n for n in names if not n.startswith(("-", "*"))}
    wanted -= {n[1:] for n in names if n.startswith("-")}
    return wanted


def _int(raw: str | None, default: int) -> int:
    try:
        return max(0, int(raw)) if raw is not None else default
    except ValueError:
        return default


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_token(offset: int, text: str) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(text)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, text: str) -> int | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        if data["q"] != _fingerprint(text):
            return None
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        return None


__all__ = ["adf", "build_app"]

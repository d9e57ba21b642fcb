"""Every route x every role: who may pass the door, and that nobody else does.

The app is built with every installed plugin and connector, so routes they add are in the
matrix too. A route that no rule below classifies fails the test: a new route must be given
an access rule here before it ships. API routes are called with bearer tokens, pages with
signed-in sessions (and a valid CSRF token, so a refusal is the role check, not CSRF).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from hub import create_app
from tests.conftest import make_token

ROLES = ("anonymous", "requester", "connector", "agent", "admin")
PAGE_ROLES = ("anonymous", "requester", "agent", "admin")  # connector is a token-only role
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = frozenset({"connector", "agent", "admin"})
AGENTS = frozenset({"agent", "admin"})
ADMIN = frozenset({"admin"})
OWN_CHECK = frozenset({"*"})
"""Open to all at the door; the view answers by its own rules (a login form refuses bad
credentials with 401), so only "no server error" is checked."""
API_PATHS = re.compile(r"^/(api/|healthz$|readyz$|metrics$)")

# (path pattern, methods or "*", who may pass). First match wins.
API_POLICY: list[tuple[str, str, frozenset[str]]] = [
    (r"^/api/v1/(openapi\.json|docs|docs/assets/<name>)$", "GET", EVERYONE),
    (r"^/(healthz|readyz)$", "GET", EVERYONE),
    (r"^/metrics$", "GET", ADMIN),  # unless HUB_METRICS_PUBLIC is set
    (r"^/api/v1/hooks/", "*", EVERYONE),  # the connector checks its own signature or token (sent here)
    (r"^/api/v1/forms?/", "*", EVERYONE),  # public web forms (JSON), spam-guarded by the connector
    (r"^/api/v1/admin/", "*", ADMIN),
    (r"^/api/v1/me$", "*", SIGNED_IN),  # one's own profile (a token made for no user gets a 409)
    (r"^/api/v1/insights", "GET", AGENTS | {"admin"}),
    (r"^/api/v1/(incidents|changes)$", "GET POST", SIGNED_IN),  # a requester sees and raises their own
    # Problems are the agents' own: a requester's list is empty, and opening one is for staff.
    (r"^/api/v1/problems$", "GET", SIGNED_IN),
    (r"^/api/v1/problems$", "POST", STAFF),
    (r"^/api/v1/incidents/<ref>/known-errors$", "GET", STAFF),
    # A major incident's children are other requesters' tickets: staff read them; promoting, demoting,
    # attaching and detaching are tickets:write.
    (r"^/api/v1/incidents/<ref>/(major|children|children/<child>)$", "*", STAFF),
    (r"^/api/v1/(incidents|changes|problems)/<ref>/audit$", "GET", STAFF),
    (r"^/api/v1/changes/(calendar|<ref>/collisions|<ref>/approval-status)$", "GET", STAFF),
    (r"^/api/v1/(incidents|changes|problems)/<ref>(/comments|/attachments|/attachments/<int:attachment_id>"
     r"|/approvals)?$", "GET", SIGNED_IN),
    # A change's tasks name agents: staff read them (tickets:read), and add and update them (tickets:write).
    (r"^/api/v1/changes/<ref>/tasks(/<int:task_id>)?$", "*", STAFF),
    (r"^/api/v1/change-tasks$", "GET", STAFF),  # an agent's own tasks across changes
    (r"^/api/v1/(incidents|changes|problems)/(bulk|<ref>/merge)$", "POST", STAFF),  # tickets:write
    (r"^/api/v1/(incidents|changes|problems)/", "*", STAFF),
    (r"^/api/v1/change-templates$", "GET", STAFF),  # the standard-change catalogue: tickets:write
    (r"^/api/v1/customers/<int:customer_id>/(export|erase)$", "*", ADMIN),  # privacy
    (r"^/api/v1/customer(s|-organisations)", "*", AGENTS),  # people's data: not a connector's
    (r"^/api/v1/canned-replies", "*", STAFF),  # tickets:write; a token without a user sees shared ones only
    (r"^/api/v1/(departments|groups|categories|configuration-items)$", "GET", SIGNED_IN),
    # One item is read like the lists; an item's history lists every ticket on it: staff only.
    (r"^/api/v1/configuration-items/<int:item_id>/history$", "GET", STAFF),
    (r"^/api/v1/((departments|groups)/<slug>|categories/<int:category_id>|configuration-items/<int:item_id>)$",
     "GET", SIGNED_IN),
    (r"^/api/v1/(departments|groups|categories|configuration-items)", "*", ADMIN),
    (r"^/api/v1/custom-fields(/<name>)?$", "GET", SIGNED_IN),  # forms need the definitions
    (r"^/api/v1/custom-fields", "*", ADMIN),
]
PAGE_POLICY: list[tuple[str, str, frozenset[str]]] = [
    (r"^/log(in|out)$", "*", OWN_CHECK),
    (r"^/static/", "GET", EVERYONE),
    (r"^/s/", "*", EVERYONE),  # the requester's status page: the token is the credential
    (r"^/approve/", "*", EVERYONE),  # a change's one-click approval link: the signed token is the credential
    (r"^/rate/", "*", EVERYONE),  # one-click rating links from the resolution mail: the signed token is the credential
    (r"^/f/", "*", EVERYONE),  # public web forms
    (r"^/(ui/whoami)?$", "GET", SIGNED_IN),
    (r"^/profile$", "*", SIGNED_IN),
    (r"^/admin", "*", ADMIN),
    (r"^/tickets/<ref>/status-links/", "*", ADMIN),
    (r"^/tickets/(bulk|<ref>/merge)$", "POST", AGENTS),  # the lists' bulk bar and the ticket page's merge
    # The ticket page's major incident card: promote, demote, attach, detach.
    (r"^/tickets/<ref>/(major|major/demote|children|children/<child>/detach)$", "POST", AGENTS),
    (r"^/customers/<int:customer_id>/(export|erase)$", "*", ADMIN),
    (r"^/(tickets|my|views|insights|canned-replies|notifications|customers)", "*", AGENTS),
    (r"^/changes/tasks$", "GET", AGENTS),  # My change tasks
]

FEED_SECRET = "feed-token-xxxxxxxxxx"
DUMMY = {"int": "1", "default": "x"}
NAMED = {"ref": None, "slug": "feed", "name": "webhook", "filename": "hub.css", "token": "not-a-token"}


def allowed_roles(rule: Rule, method: str) -> frozenset[str] | None:
    policy = API_POLICY if API_PATHS.match(rule.rule) else PAGE_POLICY
    for pattern, methods, roles in policy:
        if re.search(pattern, rule.rule) and (methods == "*" or method in methods.split()):
            return roles
    return None


def url_for_rule(rule: Rule, ref: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if name == "ref":
            return ref
        if name in NAMED:
            return NAMED[name] or "x"
        return DUMMY["int"] if converter == "int" else DUMMY["default"]

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


def calls(app: Flask) -> Iterator[tuple[Rule, str]]:
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    # Deletions and signing out last, so what the other calls use still exists.
    for destructive in (False, True):
        for rule in rules:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if (method == "DELETE" or rule.rule == "/logout") == destructive:
                    yield rule, method


@pytest.fixture
def full_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app_config["LOAD_ENTRYPOINTS"] = True
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def test_every_route_has_an_access_rule(full_app: Flask) -> None:
    unclassified = [f"{method} {rule.rule}" for rule, method in calls(full_app) if allowed_roles(rule, method) is None]
    assert not unclassified, f"give these routes a rule in tests/security/test_authorization_matrix.py: {unclassified}"


def _seed(app: Flask) -> str:
    admin = make_token(app, "admin", "seed-admin")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin}"}
    created = client.post("/api/v1/admin/instances", headers=headers, json={
        "connector": "webhook", "slug": "feed", "enabled": True,
        "config": {"auth": "token", "secret": FEED_SECRET}})
    assert created.status_code == 201, created.json
    ticket = client.post("/api/v1/incidents", headers=headers, json={"title": "Door 4 does not close"})
    assert ticket.status_code == 201, ticket.json
    return str(ticket.json["ref"])


def _page_client(app: Flask, role: str) -> Any:
    client = app.test_client()
    if role == "anonymous":
        with client.session_transaction() as flask_session:
            flask_session["_csrf"] = "matrix-csrf"
        return client
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as db_session:
        user = create_user(session=db_session, username=f"page-{role}", role=role, email=f"{role}@hub.test")
        db_session.flush()
        user_id, epoch = user.id, user.session_epoch
    with client.session_transaction() as flask_session:
        flask_session["user"] = {"user_id": user_id, "role": role, "name": f"page-{role}", "email": None,
                                 "display": role, "epoch": epoch}
        flask_session["_csrf"] = "matrix-csrf"
    return client


def _server_error(response: Any) -> bool:
    """A 5xx, except a webhook's 503 for a plugin switched off (the admin's walk through the
    routes may have disabled it before the webhook is posted to)."""
    if response.status_code == 503 and response.is_json:
        return not str((response.json or {}).get("type", "")).endswith("plugin-not-enabled")
    return response.status_code >= 500


def _refused(response: Any, *, page: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return page and response.status_code in (302, 303) and "/login" in location


@pytest.mark.parametrize("role", ROLES)
def test_matrix(full_app: Flask, role: str) -> None:
    ref = _seed(full_app)
    api_client = full_app.test_client()
    token = None if role == "anonymous" else make_token(full_app, role, f"api-{role}")
    page_client = _page_client(full_app, role) if role in PAGE_ROLES else None
    wrong: list[str] = []
    for rule, method in calls(full_app):
        roles = allowed_roles(rule, method)
        if roles is None:
            continue  # reported by test_every_route_has_an_access_rule
        url = url_for_rule(rule, ref)
        page = not API_PATHS.match(rule.rule)
        if page:
            if page_client is None:
                continue
            data = {"csrf_token": "matrix-csrf"} if method != "GET" else None
            response = page_client.open(url, method=method, data=data)
        else:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if rule.rule.startswith("/api/v1/hooks/"):
                headers = {"X-Hub-Token": FEED_SECRET}  # webhooks read a bearer as their own token
            response = api_client.open(url, method=method, headers=headers,
                                       json={} if method in ("POST", "PUT", "PATCH") else None)
        response.close()
        if _server_error(response):
            wrong.append(f"{role} {method} {url}: {response.status_code} (a server error)")
        elif roles is OWN_CHECK:
            continue
        if _server_error(response):
            wrong.append(f"{role} {method} {url}: {response.status_code} (a server error)")
        elif role in roles and _refused(response, page=page):
            wrong.append(f"{role} {method} {url}: refused ({response.status_code}) but should pass")
        elif role not in roles and not _refused(response, page=page):
            wrong.append(f"{role} {method} {url}: answered {response.status_code} but must be refused")
    assert not wrong, "\n".join(wrong)

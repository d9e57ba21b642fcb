"""hub.sdk.hub_services: each service through the SDK, answering with SDK values, never ORM rows.

Runs on SQLite, and on PostgreSQL when HUB_TEST_DATABASE_URL is set (like the whole suite).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask

from hub.models import Department, Group
from hub.sdk import Connector, DepartmentInfo, GroupInfo, IngestResult, InstanceInfo, RawEvent, hub_services
from hub.sdk.schema import SECRET_MASK
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed

SECRET = "feed-token-" + "x" * 10


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("webform", "connectors.webform"),
                             ("routing", "plugins.routing")]
    app_config["BASE_URL"] = "https://hub.example.org/desk"
    return app_config


@pytest.fixture
def feeds(app: Flask) -> None:
    """Two webhook instances and a web form, made through the SDK."""
    with app.extensions["hub"].db.transaction() as session:
        for slug in ("feed-b", "feed-a"):
            hub_services.create_instance(session, connector="webhook", slug=slug, enabled=True,
                                         config={"auth": "token", "secret": SECRET})
        hub_services.create_instance(session, connector="webform", slug="contact", name="Contact",
                                     config={"title": "Contact us", "fields": [
                                         {"name": "message", "label": "Message", "type": "textarea",
                                          "maps_to": "description"}]})


def plain(value: Any) -> bool:
    """Built of SDK values and plain data only: no ORM row anywhere inside."""
    if dataclasses.is_dataclass(value):
        return type(value).__module__.startswith("hub.sdk.") and all(
            plain(getattr(value, item.name)) for item in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(isinstance(key, str) and plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(plain(item) for item in value)
    return not hasattr(value, "_sa_instance_state")


# -- connector instances ----------------------------------------------------------------------


def test_list_instances_gives_every_instance_by_slug_or_one_connectors(runtime: Any, feeds: None) -> None:
    with runtime.db.reading() as session:
        every = hub_services.list_instances(session)
        webhooks = hub_services.list_instances(session, connector="webhook")
        none = hub_services.list_instances(session, connector="email")
    assert [instance.slug for instance in every] == ["contact", "feed-a", "feed-b"]
    assert [instance.slug for instance in webhooks] == ["feed-a", "feed-b"]
    assert none == []
    assert all(isinstance(instance, InstanceInfo) for instance in every) and plain(every)
    assert "secret" not in webhooks[0].config and webhooks[0].config["auth"] == "token"


def test_get_instance_gives_a_value_without_secrets_or_raises_not_found(runtime: Any, feeds: None) -> None:
    with runtime.db.reading() as session:
        contact = hub_services.get_instance(session, "contact")
        with pytest.raises(NotFound, match="nope"):
            hub_services.get_instance(session, "nope")
    assert isinstance(contact, InstanceInfo) and plain(contact)
    assert (contact.slug, contact.name, contact.connector, contact.enabled) == ("contact", "Contact", "webform", False)
    assert contact.config["title"] == "Contact us"


def test_create_instance_checks_the_config_and_the_slug(runtime: Any, feeds: None) -> None:
    with runtime.db.transaction() as session:
        made = hub_services.create_instance(session, connector="webhook", slug="feed-c", name="Feed C",
                                            config={"auth": "token", "secret": SECRET}, poll_interval=None)
    assert isinstance(made, InstanceInfo) and made.name == "Feed C" and not made.enabled
    assert "secret" not in made.config
    with runtime.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        hub_services.create_instance(session, connector="webhook", slug="feed-d", config={"auth": "token"})
    assert "config.secret" in refused.value.errors
    with runtime.db.transaction() as session, pytest.raises(Conflict, match="feed-a"):
        hub_services.create_instance(session, connector="webhook", slug="feed-a",
                                     config={"auth": "token", "secret": SECRET})
    with runtime.db.transaction() as session, pytest.raises(NotFound, match="installed"):
        hub_services.create_instance(session, connector="nothing-installed", slug="feed-e")


def test_update_instance_changes_fields_and_keeps_a_masked_secret(runtime: Any, feeds: None) -> None:
    with runtime.db.transaction() as session:
        changed = hub_services.update_instance(session, "feed-a", {
            "name": "Feed A", "enabled": False, "config": {"auth": "token", "secret": SECRET_MASK, "kind": "change"}})
    assert isinstance(changed, InstanceInfo)
    assert (changed.name, changed.enabled, changed.config["kind"]) == ("Feed A", False, "change")
    with runtime.db.transaction() as session:
        connector = hub_services.build_connector(session, "feed-a")
        connector.close()
    assert connector.config["secret"] == SECRET  # the masked value kept the stored secret
    with runtime.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        hub_services.update_instance(session, "feed-a", {"poll_interval": 60})
    assert "poll_interval" in refused.value.errors  # a webhook does not poll
    with runtime.db.transaction() as session, pytest.raises(NotFound):
        hub_services.update_instance(session, "nope", {"name": "x"})


def test_present_instance_masks_secrets(runtime: Any, feeds: None) -> None:
    with runtime.db.reading() as session:
        shown = hub_services.present_instance(session, "feed-a")
        with pytest.raises(NotFound):
            hub_services.present_instance(session, "nope")
    assert shown["config"]["secret"] == SECRET_MASK and SECRET not in str(shown)
    assert (shown["slug"], shown["connector"], shown["webhook_url"]) == ("feed-a", "webhook", "/api/v1/hooks/feed-a")
    assert plain(shown)


def test_build_connector_gives_the_connector_with_its_secrets(runtime: Any, feeds: None) -> None:
    with runtime.db.reading() as session:
        connector = hub_services.build_connector(session, "feed-b")
        with pytest.raises(NotFound):
            hub_services.build_connector(session, "nope")
    try:
        assert isinstance(connector, Connector) and connector.slug == "webhook"
        assert connector.config["secret"] == SECRET and connector.instance.slug == "feed-b"
    finally:
        connector.close()


# -- ingest -----------------------------------------------------------------------------------


def test_ingest_files_a_ticket_and_returns_the_stored_outcome_on_a_repeat(
        runtime: Any, feeds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    cls = runtime.plugins.connectors["webhook"]
    monkeypatch.setattr(cls, "close", lambda self: closed.append(self.instance.slug))
    event = RawEvent(idempotency_key="evt-1", payload={"title": "Boiler pressure low"})
    with runtime.db.transaction() as session:
        feed = hub_services.get_instance(session, "feed-a")
        first = hub_services.ingest(session, feed, event)
    with runtime.db.transaction() as session:
        again = hub_services.ingest(session, hub_services.get_instance(session, "feed-a"), event)
    assert isinstance(first, IngestResult) and plain(first)
    assert (first.status, first.action, first.duplicate) == ("applied", "created", False)
    assert first.ticket_ref and again.ticket_ref == first.ticket_ref and again.duplicate
    assert again.event_id == first.event_id
    assert closed == ["feed-a", "feed-a"]  # the connector each call built is closed again


def test_ingest_refuses_a_reused_key_with_other_content_when_asked(runtime: Any, feeds: None) -> None:
    with runtime.db.transaction() as session:
        feed = hub_services.get_instance(session, "feed-a")
        hub_services.ingest(session, feed, RawEvent(idempotency_key="form-1", payload={"title": "One"}),
                            refuse_changed=True)
    with runtime.db.transaction() as session, pytest.raises(Conflict):
        hub_services.ingest(session, feed, RawEvent(idempotency_key="form-1", payload={"title": "Two"}),
                            refuse_changed=True)


def test_ingest_for_an_instance_removed_meanwhile_says_so(runtime: Any, feeds: None) -> None:
    with runtime.db.reading() as session:
        gone = dataclasses.replace(hub_services.get_instance(session, "feed-a"), id=10**9, slug="gone")
    with runtime.db.transaction() as session, pytest.raises(NotFound, match="gone"):
        hub_services.ingest(session, gone, RawEvent(idempotency_key="evt-2", payload={"title": "x"}))


# -- plugin settings --------------------------------------------------------------------------


def test_update_settings_checks_stores_and_presents_a_plugins_settings(runtime: Any) -> None:
    rules = {"rules": [{"name": "boiler", "when": {"keywords": ["boiler"]}, "set": {"priority": 2}}]}
    with runtime.db.reading() as session:
        before = hub_services.present_settings(session, "routing")
    assert before["plugin"] == "routing" and before["settings"] == {"rules": [], "default_group": None}
    assert [field["name"] for field in before["fields_"]] == ["rules", "default_group"]
    with runtime.db.transaction() as session:
        after = hub_services.update_settings(session, "routing", rules)
    assert after["settings"]["rules"][0]["name"] == "boiler" and plain(after)
    with runtime.db.reading() as session:
        assert hub_services.present_settings(session, "routing")["settings"] == after["settings"]
    with runtime.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        hub_services.update_settings(session, "routing", {"rules": [{"name": "Not A Slug", "set": {}}]})
    assert any(key.startswith("settings.rules") for key in refused.value.errors)
    with runtime.db.reading() as session, pytest.raises(NotFound):
        hub_services.present_settings(session, "no-such-plugin")


def test_names_of_organisation_items_are_checked_and_notes_reach_the_audit(runtime: Any) -> None:
    from hub.models import Category, ConfigurationItem, Group
    from hub.sdk.actors import Actor
    from hub.tracker.audit import history
    from hub.tracker.tickets import create_ticket

    with runtime.db.transaction() as session:
        session.add_all([Department(slug="spa", name="Spa"), Group(slug="ops", name="Ops"),
                         Category(slug="noise", name="Noise"),
                         ConfigurationItem(key="lift-1", name="Lift", kind="asset")])
    with runtime.db.transaction() as session:
        assert hub_services.missing_names(session, {
            "department": ["spa", "kitchen"], "group": ["ops", "", "nights", "nights"], "category": ["noise", "din"],
            "ci": ["lift-1", "lift-2"], "user": ["nobody"]}) == {
            "department": ["kitchen"], "group": ["nights"], "category": ["din"], "ci": ["lift-2"], "user": ["nobody"]}
        with pytest.raises(ValueError, match="unknown kind"):
            hub_services.missing_names(session, {"room": ["12"]})
        with pytest.raises(ValidationFailed) as refused:
            hub_services.update_settings(session, "routing", {"rules": [{"name": "n", "set": {"group": "nights"}}]})
        assert refused.value.errors == {"settings.rules.0.set.group": ["No group 'nights'."]}
        ticket = create_ticket(session=session, kind="incident", values={"title": "Lift"}, actor=Actor.system(),
                               notes=["One.", "Two."])
        hub_services.note_on_ticket(session, ticket.ref, "Not reassigned.", Actor.plugin("sla"))
        trail = [(row.action, row.note) for row in history(session, ticket.id)]
    assert trail == [("created", "One. Two."), ("noted", "Not reassigned.")]


# -- the organisation and mail ----------------------------------------------------------------


def test_departments_and_groups_are_values_by_slug(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        quality = Department(slug="quality", name="Quality", email="quality@example.org")
        session.add_all([Department(slug="facilities", name="Facilities"), quality])
        session.flush()
        session.add_all([Group(slug="line-techs", name="Line technicians", department_id=quality.id),
                         Group(slug="front-desk", name="Front desk", email="desk@example.org")])
    with runtime.db.reading() as session:
        departments = hub_services.departments(session)
        groups = hub_services.groups(session)
    assert [(item.slug, item.name, item.email) for item in departments] == [
        ("facilities", "Facilities", None), ("quality", "Quality", "quality@example.org")]
    assert [(item.slug, item.name, item.email, item.department) for item in groups] == [
        ("front-desk", "Front desk", "desk@example.org", None), ("line-techs", "Line technicians", None, "quality")]
    assert all(isinstance(item, DepartmentInfo) for item in departments) and plain(departments)
    assert all(isinstance(item, GroupInfo) for item in groups) and plain(groups)


def test_mail_message_id_is_at_the_hubs_domain_stable_and_keyed(runtime: Any, app_config: dict[str, Any]) -> None:
    from hub.sdk.mail import make_message_id

    with runtime.db.reading() as session:
        first = hub_services.mail_message_id(session, "ack:1")
        again = hub_services.mail_message_id(session, "ack:1")
        other = hub_services.mail_message_id(session, "ack:2")
    assert first == again != other
    assert first.endswith("@hub.example.org>")
    # Keyed with the hub's secret: not what anyone can compute from the key alone.
    assert first == make_message_id("ack:1", "hub.example.org", app_config["SECRET_KEY"])
    assert first != make_message_id("ack:1", "hub.example.org")


@pytest.mark.parametrize("base_url", ["", "not a url", "https://bad_host!/"])
def test_mail_message_id_without_a_usable_base_url_uses_a_reserved_domain(
        app_config: dict[str, Any], base_url: str) -> None:
    from hub import create_app

    app_config["BASE_URL"] = base_url
    app = create_app(app_config)
    try:
        with app.extensions["hub"].db.reading() as session:
            assert hub_services.mail_message_id(session, "ack:1").endswith("@itsm-hub.invalid>")
    finally:
        app.extensions["hub"].db.dispose()


def test_a_session_no_hub_app_opened_is_refused_with_a_reason() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    with Session(create_engine("sqlite://")) as session, pytest.raises(RuntimeError, match="not opened by a hub"):
        hub_services.departments(session)


def test_every_service_is_declared_documented_and_implemented() -> None:
    import inspect

    from hub.app import hub_services as core

    functions = {name for name in hub_services.__all__ if inspect.isfunction(getattr(hub_services, name))}
    declared = {name for name in vars(hub_services.HubServices) if not name.startswith("_")}
    assert functions == declared == set(core.__all__)
    undocumented = [name for name in functions if not (getattr(hub_services, name).__doc__ or "").strip()]
    assert not undocumented

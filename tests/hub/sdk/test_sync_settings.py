"""The settings the ITSM connectors share come from hub.sdk.sync_settings, with one meaning each."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest
from marshmallow import fields as mf

from connectors.jira.config import JiraConfig
from connectors.rt.config import RTConfig
from connectors.servicenow.config import ServiceNowConfig
from hub.sdk import secret
from hub.sdk.sync_settings import (
    LoginOrTokenSettings,
    SyncSettings,
    base_url_setting,
    create_remote_setting,
    field_map_setting,
    import_since_setting,
    overlap_setting,
    page_size_setting,
    timeout_setting,
)

SHARED = {"create_remote": mf.Boolean, "import_since": mf.DateTime, "overlap_seconds": mf.Integer,
          "timeout_seconds": mf.Integer, "page_size": mf.Integer, "field_map": mf.List}
ITSM = [ServiceNowConfig, RTConfig, JiraConfig]


@pytest.mark.parametrize("schema", ITSM, ids=lambda schema: schema.__name__)
def test_every_itsm_connector_has_the_shared_settings(schema: type[ma.Schema]) -> None:
    assert issubclass(schema, SyncSettings)
    fields = schema().fields
    for name, kind in SHARED.items():
        assert isinstance(fields[name], kind), name
        assert fields[name].metadata["title"] and fields[name].metadata["description"], name
    assert fields["timeout_seconds"].load_default == 30
    assert fields["create_remote"].load_default is False


@pytest.mark.parametrize(("schema", "stored"), [
    (ServiceNowConfig, {"instance_url": "https://acme.service-now.com", "username": "hub", "password": "pw",
                        "tables": ["incident", "change_request"], "overlap_seconds": 0, "page_size": 1000,
                        "import_since": "2026-11-01T00:00:00+00:00", "create_remote": True}),
    (RTConfig, {"url": "http://rt.local", "token": "1-2-3", "rt_user": "hub", "overlap_seconds": 1,
                "page_size": 100, "timezone": "Europe/Berlin"}),
    (JiraConfig, {"site_url": "https://acme.atlassian.net", "email": "hub@acme.test", "api_token": "t",
                  "project": "ITSM", "overlap_seconds": 86400, "page_size": 5000}),
], ids=["servicenow", "rt", "jira"])
def test_stored_configs_keep_loading(schema: type[ma.Schema], stored: dict[str, Any]) -> None:
    loaded = schema().load(stored)
    for name in ("overlap_seconds", "page_size", "create_remote"):
        if name in stored:
            assert loaded[name] == stored[name]
    assert loaded["field_map"] == []
    assert loaded["timeout_seconds"] == 30


@pytest.mark.parametrize(("schema", "config", "field"), [
    (ServiceNowConfig, {"instance_url": "https://x.test", "page_size": 1001}, "page_size"),
    (RTConfig, {"url": "https://x.test", "token": "t", "rt_user": "hub", "page_size": 101}, "page_size"),
    (RTConfig, {"url": "https://x.test", "token": "t", "rt_user": "hub", "overlap_seconds": 0}, "overlap_seconds"),
    (JiraConfig, {"site_url": "https://x.test", "email": "a@b.test", "api_token": "t", "project": "P",
                  "overlap_seconds": 59}, "overlap_seconds"),
], ids=["servicenow-page", "rt-page", "rt-overlap", "jira-overlap"])
def test_each_connector_keeps_its_own_range(schema: type[ma.Schema], config: dict[str, Any], field: str) -> None:
    with pytest.raises(ma.ValidationError) as caught:
        schema().load(config)
    assert field in caught.value.messages


def test_login_or_token_names_its_field_and_message() -> None:
    with pytest.raises(ma.ValidationError) as caught:
        ServiceNowConfig().load({"instance_url": "https://x.test", "username": "hub"})
    assert caught.value.messages == {"username": ["Give a user name and password, or an OAuth access token."]}
    with pytest.raises(ma.ValidationError) as caught:
        RTConfig().load({"url": "https://x.test"})
    assert caught.value.messages == {"token": ["Give an auth token, or a user name and password."]}


def test_rt_asks_for_its_user_only_once_a_token_is_given() -> None:
    with pytest.raises(ma.ValidationError) as caught:
        RTConfig().load({"url": "https://x.test", "token": "t"})
    assert caught.value.messages == {"rt_user": ["Name the RT user the token belongs to."]}
    assert RTConfig().load({"url": "https://x.test", "username": "u", "password": "p"})["username"] == "u"


class AcmeSettings(LoginOrTokenSettings):
    """A third party's sync connector, built from the shared pieces with their default words."""

    url = base_url_setting("Acme URL", "The web root.")
    username = mf.String(load_default="", metadata={"title": "User name", "description": "An Acme user."})
    password = secret(load_default="", title="Password", description="Its password.")
    token = secret(load_default="", title="Token", description="Instead of a password.")
    create_remote = create_remote_setting()
    import_since = import_since_setting()
    overlap_seconds = overlap_setting("Re-read before the cursor.")
    timeout_seconds = timeout_setting()
    page_size = page_size_setting()
    field_map = field_map_setting()


def test_a_third_party_schema_gets_the_defaults() -> None:
    loaded = AcmeSettings().load({"url": "http://acme.local", "token": "t"})
    assert (loaded["overlap_seconds"], loaded["page_size"], loaded["timeout_seconds"]) == (120, 100, 30)
    assert loaded["sync_attachments"] is True and loaded["requester_conversation"] == "auto"
    assert list(AcmeSettings().fields)[4:6] == ["url", "username"]  # declared order, after the inherited ones
    with pytest.raises(ma.ValidationError) as caught:
        AcmeSettings().load({"url": "http://acme.local"})
    assert caught.value.messages == {"username": ["Give a user name and password, or a token."]}

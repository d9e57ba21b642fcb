"""Building the OpenAPI document: the same for every app, without copying the schemas."""

from __future__ import annotations

import copy
import json
from typing import Any

import marshmallow as ma
from flask import Flask

from hub import create_app
from hub.api import _DocsSharingSchemas


class Probe(ma.Schema):
    name = ma.fields.String()


def test_a_deep_copy_of_view_docs_shares_schemas_and_copies_the_dicts() -> None:
    schema = Probe()
    docs = _DocsSharingSchemas({"get": {"response": {"schema": schema, "codes": [200]}, "tags": ["x"]}})
    copied = copy.deepcopy(docs)
    assert copied["get"]["response"]["schema"] is schema  # read-only, shared
    assert copied["get"] is not docs["get"] and copied["get"]["tags"] is not docs["get"]["tags"]
    copied["get"].pop("tags")  # flask-smorest pops from the copy: the source keeps its keys
    assert "tags" in docs["get"]


def spec_of(app: Flask) -> str:
    return json.dumps(app.extensions["hub.api"].spec.to_dict(), sort_keys=True)


def test_every_app_built_in_one_process_documents_the_same_api(app_config: dict[str, Any], app: Flask) -> None:
    first = spec_of(app)
    second = create_app(dict(app_config))
    try:
        assert spec_of(second) == first
    finally:
        second.extensions["hub"].db.dispose()
    assert '"/api/v1/incidents"' in first and '"Problem"' in first


def test_documenting_at_the_first_read_gives_the_document_documenting_at_registration_gives(
        app_config: dict[str, Any], app: Flask, monkeypatch: Any) -> None:
    from hub.api import HubApi

    lazy = spec_of(app)
    register = HubApi.register_blueprint

    def register_and_read(self: HubApi, blp: Any, **options: Any) -> None:
        register(self, blp, **options)
        assert not self._undocumented or self.spec  # reading the spec documents what is pending

    monkeypatch.setattr(HubApi, "register_blueprint", register_and_read)
    eager = create_app(dict(app_config))
    try:
        assert spec_of(eager) == lazy
    finally:
        eager.extensions["hub"].db.dispose()


def test_nothing_is_documented_until_the_spec_is_read(app: Flask) -> None:
    api = app.extensions["hub.api"]
    assert len(api._undocumented) > 10
    assert api._spec.to_dict()["paths"] == {}
    assert "/api/v1/incidents" in api.spec.to_dict()["paths"] and api._undocumented == []

"""register_org_references and org_item_renamed: names of organisation items kept by plugins."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.sdk.references import OrgReference


class Rota:
    """A plugin keeping a group's name in a table of its own."""

    name = "rota"

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    @hookimpl
    def register_org_references(self, session: Any) -> list[OrgReference]:
        self.recorder("register_org_references", in_transaction=session.in_transaction())
        return [OrgReference("group", "desk", "", "the weekend rota")]

    @hookimpl
    def org_item_renamed(self, item_type: str, old: str, new: str, session: Any) -> None:
        self.recorder("org_item_renamed", item_type=item_type, old=old, new=new)


def test_hook_register_org_references(with_plugins: Any, request: Any, recorder: Any) -> None:
    with_plugins(Rota(recorder))
    api = request.getfixturevalue("api")
    for slug in ("desk", "spare"):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": slug}).status_code == 201
    refused = api.delete("/api/v1/groups/desk")
    assert refused.status_code == 409 and refused.json["in_use"] == {"settings": 1}
    assert "named by the weekend rota" in refused.json["detail"]
    assert recorder.of("register_org_references")[0] == {"in_transaction": True}
    assert api.delete("/api/v1/groups/spare").status_code == 204  # named by nobody


def test_hook_org_item_renamed(with_plugins: Any, request: Any, recorder: Any) -> None:
    with_plugins(Rota(recorder))
    api = request.getfixturevalue("api")
    for slug in ("desk", "office"):
        api.post("/api/v1/groups", json={"slug": slug, "name": slug})
    assert api.patch("/api/v1/groups/desk", json={"slug": "front-desk"}).status_code == 200
    assert api.patch("/api/v1/groups/front-desk", json={"name": "Front desk"}).status_code == 200  # no new slug
    assert api.post("/api/v1/groups/front-desk/merge", json={"into": "office"}).status_code == 200
    for slug in ("kitchen", "spa"):
        api.post("/api/v1/departments", json={"slug": slug, "name": slug})
    noise = api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise", "department": "kitchen"}).json
    api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise", "department": "spa"})
    api.patch(f"/api/v1/categories/{noise['id']}", json={"slug": "clatter"})  # spa's is still "noise": not told
    assert recorder.of("org_item_renamed") == [
        {"item_type": "group", "old": "desk", "new": "front-desk"},
        {"item_type": "group", "old": "front-desk", "new": "office"}]

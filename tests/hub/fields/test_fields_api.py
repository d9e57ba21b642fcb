"""/api/v1/custom-fields and a ticket's custom_fields in the ticket API: typed, checked, per field."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_token


def test_fields_are_defined_listed_per_department_and_kind_and_changed(examples: Any) -> None:
    api = examples
    every = api.get("/api/v1/custom-fields").json
    assert [field["name"] for field in every][:2] == ["cabin_number", "vip"]
    guest = api.get("/api/v1/custom-fields?department=guest-services&kind=change").json
    assert [field["name"] for field in guest] == ["vip"]  # the cabin is asked on incidents only
    vip = api.get("/api/v1/custom-fields/vip").json
    assert vip == {"name": "vip", "label": "VIP", "type": "choice", "options": ["no", "silver", "gold"],
                   "required": False, "help": "", "department": "guest-services", "kind": None, "position": 0}
    changed = api.patch("/api/v1/custom-fields/vip", json={"options": ["no", "silver", "gold", "platinum"],
                                                           "help": "Ask reception."})
    assert changed.status_code == 200 and changed.json["options"][-1] == "platinum"
    assert api.get("/api/v1/custom-fields/nothing").status_code == 404
    assert api.get("/api/v1/custom-fields?department=nowhere").status_code == 422


def test_bad_definitions_are_refused_per_attribute(examples: Any) -> None:
    api = examples
    clash = api.post("/api/v1/custom-fields", json={"name": "lot", "label": "Lot again", "type": "text"})
    assert clash.status_code == 409 and clash.headers["Content-Type"].startswith("application/problem+json")
    bad = api.post("/api/v1/custom-fields", json={"name": "size", "label": "Size", "type": "choice",
                                                  "department": "nowhere"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"options", "department"}
    reserved = api.post("/api/v1/custom-fields", json={"name": "title", "label": "T", "type": "text"})
    assert reserved.status_code == 422 and "ticket field" in reserved.json["errors"]["name"][0]
    shape = api.post("/api/v1/custom-fields", json={"name": "Bad Name", "label": "x", "type": "colour"})
    assert shape.status_code == 422 and set(shape.json["errors"]) == {"name", "type"}
    options = api.patch("/api/v1/custom-fields/lot", json={"options": ["a"]})
    assert options.status_code == 422 and options.json["errors"]["options"] == ["Only choice fields have options."]


def test_ticket_values_are_typed_checked_and_read_back(examples: Any) -> None:
    api = examples
    missing = api.post("/api/v1/incidents", json={"title": "Cabin too warm", "department": "guest-services"})
    assert missing.status_code == 422
    assert missing.json["errors"] == {"custom_fields.cabin_number": ["Required."]}
    made = api.post("/api/v1/incidents", json={"title": "Cabin too warm", "department": "guest-services",
                                               "custom_fields": {"cabin_number": " 7104 ", "vip": "gold",
                                                                 "source_note": "kept as it is"}})
    assert made.status_code == 201, made.json
    assert made.json["custom_fields"] == {"cabin_number": "7104", "vip": "gold", "source_note": "kept as it is"}
    bad = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality", "custom_fields": {
        "batch": "twelve", "defect_code": "D9", "found_on": "31.11.2026", "line": "plant-b/none", "lot": 7,
        "cabin_number": "1"}})
    assert bad.status_code == 422
    assert bad.json["errors"] == {
        "custom_fields.batch": ["A number, like 42 or 3.5."],
        "custom_fields.defect_code": ["Must be one of: D1, D2, D7."],
        "custom_fields.found_on": ["A date like 2026-11-23."],
        "custom_fields.line": ["No configuration item 'plant-b/none'."],
        "custom_fields.lot": ["Send text here."],
        "custom_fields.cabin_number": ["Not a field of this incident's department."],
    }
    good = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality", "custom_fields": {
        "batch": "12", "defect_code": "D7", "found_on": "2026-11-23", "line": "plant-a/line-3", "lot": "L-77"}})
    assert good.status_code == 201, good.json
    assert good.json["custom_fields"] == {"batch": 12, "defect_code": "D7", "found_on": "2026-11-23",
                                          "line": "plant-a/line-3", "lot": "L-77"}


def test_a_patch_merges_clears_with_null_and_keeps_the_rest(examples: Any) -> None:
    api = examples
    ref = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality", "custom_fields": {
        "lot": "L-1", "batch": 3}}).json["ref"]
    patched = api.patch(f"/api/v1/incidents/{ref}", json={"custom_fields": {"batch": 4.5, "lot": None}})
    assert patched.status_code == 200 and patched.json["custom_fields"] == {"batch": 4.5}
    refused = api.patch(f"/api/v1/incidents/{ref}", json={"custom_fields": {"batch": True}})
    assert refused.status_code == 422 and refused.json["errors"] == {"custom_fields.batch": ["A number."]}
    trail = api.get(f"/api/v1/incidents/{ref}/audit").json
    assert trail[-1]["changes"] == {"custom_fields.batch": [3, 4.5], "custom_fields.lot": ["L-1", None]}
    # Moving the ticket to guest services: the cabin is asked when it is changed, not on the move.
    moved = api.patch(f"/api/v1/incidents/{ref}", json={"department": "guest-services",
                                                        "custom_fields": {"vip": "no"}})
    assert moved.status_code == 200 and moved.json["custom_fields"] == {"batch": 4.5, "vip": "no"}
    cleared = api.patch(f"/api/v1/incidents/{ref}", json={"custom_fields": {"cabin_number": ""}})
    assert cleared.status_code == 422 and cleared.json["errors"] == {"custom_fields.cabin_number": ["Required."]}


def test_requesters_read_the_fields_but_only_admins_define_them(app: Any, examples: Any) -> None:
    from tests.conftest import ApiClient

    requester = ApiClient(app.test_client(), make_token(app, "requester", email="guest@example.org"))
    assert requester.get("/api/v1/custom-fields").status_code == 200
    assert requester.post("/api/v1/custom-fields", json={"name": "x", "label": "X", "type": "text"}).status_code == 403


def test_deleting_a_field_in_use_is_refused_unless_its_values_go_too(examples: Any) -> None:
    api = examples
    ref = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality",
                                              "custom_fields": {"defect_code": "D1"}}).json["ref"]
    removed = api.patch("/api/v1/custom-fields/defect_code", json={"options": ["D2", "D7"]})
    assert removed.status_code == 422 and "'D1'" in removed.json["errors"]["options"][0]
    retype = api.patch("/api/v1/custom-fields/defect_code", json={"type": "text", "options": []})
    assert retype.status_code == 409
    refused = api.delete("/api/v1/custom-fields/defect_code")
    assert refused.status_code == 409 and refused.json["in_use"] == {"tickets": 1}
    assert api.delete("/api/v1/custom-fields/defect_code?with_values=true").status_code == 204
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {"defect_code": "D1"}
    assert api.get("/api/v1/custom-fields/defect_code").status_code == 404


def test_lists_filter_on_values_by_index(examples: Any) -> None:
    api = examples
    made = {}
    for lot, batch, day in (("L-1", 5, "2026-11-01"), ("L-2", 12, "2026-11-15"), ("L-2", 20, "2026-12-01")):
        made[(lot, batch)] = api.post("/api/v1/incidents", json={
            "title": f"Scratches {lot}/{batch}", "department": "quality",
            "custom_fields": {"lot": lot, "batch": batch, "found_on": day}}).json["ref"]

    def refs(query: str) -> set[str]:
        response = api.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 200, response.json
        return {item["ref"] for item in response.json["items"]}

    assert refs("custom=lot:L-2") == {made[("L-2", 12)], made[("L-2", 20)]}
    assert refs("custom=lot:L-2&custom=batch:20") == {made[("L-2", 20)]}
    assert refs("custom=batch:..12") == {made[("L-1", 5)], made[("L-2", 12)]}
    assert refs("custom=found_on:2026-11-10..2026-11-30") == {made[("L-2", 12)]}
    assert refs("custom=batch:many") == set() and refs("custom=nothing:1") == set()
    bad = api.get("/api/v1/incidents?custom=lot")
    assert bad.status_code == 422 and "name:value" in bad.json["errors"]["custom"][0]


def test_a_renamed_item_is_followed_and_a_department_merge_keeps_its_fields(examples: Any) -> None:
    api = examples
    ref = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality",
                                              "custom_fields": {"line": "plant-a/line-3"}}).json["ref"]
    item = next(row for row in api.get("/api/v1/configuration-items").json if row["key"] == "plant-a/line-3")
    assert api.patch(f"/api/v1/configuration-items/{item['id']}", json={"key": "plant-a/l3"}).status_code == 200
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {"line": "plant-a/l3"}
    assert [row["ref"] for row in api.get("/api/v1/incidents?custom=line:plant-a/l3").json["items"]] == [ref]
    assert api.post("/api/v1/departments", json={"slug": "qa", "name": "QA"}).status_code == 201
    assert api.post("/api/v1/departments", json={"slug": "spare", "name": "Spare"}).status_code == 201
    assert api.post("/api/v1/custom-fields", json={"name": "shift", "label": "Shift", "type": "text",
                                                   "department": "spare"}).status_code == 201
    refused = api.delete("/api/v1/departments/spare")
    assert refused.status_code == 409 and refused.json["in_use"] == {"fields": 1}
    merged = api.post("/api/v1/departments/quality/merge", json={"into": "qa"})
    assert merged.status_code == 200 and merged.json["moved"]["fields"] == 5
    assert api.get("/api/v1/custom-fields/lot").json["department"] == "qa"
    assert api.get(f"/api/v1/incidents/{ref}").json["department"] == "qa"


def test_a_filter_reads_the_value_index_on_either_database(app: Any, examples: Any) -> None:
    from sqlalchemy import select, text

    from hub.models import Ticket
    from hub.tracker.queries import TicketFilter, apply_filter

    examples.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality",
                                             "custom_fields": {"lot": "L-1", "batch": 3}})
    with app.extensions["hub"].db.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        for name, wanted, index in (("lot", "L-1", "ix_ticket_field_values_text"),
                                    ("batch", "1..5", "ix_ticket_field_values_number")):
            query = apply_filter(session, select(Ticket.id), TicketFilter(kind="incident", custom=[(name, wanted)]))
            sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
            if postgres:
                session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the planner show
                plan = str(session.execute(text("EXPLAIN " + sql)).all())
            else:
                plan = str(session.execute(text("EXPLAIN QUERY PLAN " + sql)).all())
            assert index in plan, plan

"""Custom fields on the pages: the admin defines them, agents fill them in on the create form and
the ticket page, and lists show them as columns and filter on them (saved views keep both)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.hub.fields.conftest import define_examples


def test_admins_define_fields_with_readable_errors(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    admin.post("/admin/org/departments", {"slug": "quality", "name": "Quality"})
    assert as_role("agent").get("/admin/org/fields").status_code == 403
    bad = admin.post("/admin/org/fields", {"name": "Defect Code", "label": "", "type": "choice", "options": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "There is a problem" in html and "A choice field needs at least one option." in html
    assert re.search(r'id="f-label"[^>]*aria-invalid="true"', html)
    done = admin.post("/admin/org/fields", {"name": "defect_code", "label": "Defect code", "type": "choice",
                                            "options": "D1\nD2\nD7", "department": "quality", "kind": "incident",
                                            "required": "on", "help": "From the defect catalogue."}, follow=True)
    assert "Added custom field defect_code." in done.get_data(as_text=True)
    listed = admin.text("/admin/org/fields")
    assert 'id="field-defect_code"' in listed and "D1, D2, D7" in listed and "required" in listed
    saved = admin.post("/admin/org/fields/defect_code", {"label": "Defect", "type": "choice",
                                                         "options": "D1, D2, D7, D9", "department": "quality",
                                                         "kind": "incident", "help": "", "position": "3"},
                       follow=True)
    assert "Saved defect_code." in saved.get_data(as_text=True)
    assert "Custom field" in admin.text("/admin/org/")  # the log names it
    gone = admin.post("/admin/org/fields/defect_code/delete", {}, follow=True)
    assert "Deleted the custom field defect_code." in gone.get_data(as_text=True)


def test_agents_fill_in_the_departments_fields_when_they_create_and_edit(app: Flask, api: Any, as_role: Any) -> None:
    define_examples(api)
    agent = as_role("agent")
    form = agent.text("/tickets/new")
    assert 'name="cf.cabin_number"' in form and 'data-department="guest-services"' in form
    assert 'name="cf.batch"' in form and 'type="number"' in form
    refused = agent.post("/tickets/new", {"title": "Cabin too warm", "department": "guest-services",
                                          "cf.vip": "diamond", "cf.lot": "ignored: another department's"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'href="#cf.cabin_number"' in html and "Required." in html and "Must be one of: no, silver, gold." in html
    made = agent.post("/tickets/new", {"title": "Cabin too warm", "department": "guest-services",
                                       "cf.cabin_number": "7104", "cf.vip": "gold", "cf.lot": "L-1"})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    ref = made.headers["Location"].rsplit("/", 1)[-1]
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {"cabin_number": "7104", "vip": "gold"}
    page = agent.text(f"/tickets/{ref}")
    assert "<dt>Cabin number</dt><dd>7104</dd>" in page and 'name="cf.vip"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    edit = {"version": version}
    for name in re.findall(r'name="orig\.([^"]+)"', page):
        value = re.search(rf'name="orig\.{re.escape(name)}" value="([^"]*)"', page).group(1)
        edit[name] = edit[f"orig.{name}"] = value
    bad = agent.post(f"/tickets/{ref}/edit", {**edit, "cf.cabin_number": ""})
    assert bad.status_code == 422 and 'id="edit-cf.cabin_number-error"' in bad.get_data(as_text=True)
    saved = agent.post(f"/tickets/{ref}/edit", {**edit, "cf.cabin_number": "7106", "cf.vip": ""}, follow=True)
    assert "Saved " + ref + ": Cabin number, VIP." in saved.get_data(as_text=True)
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {"cabin_number": "7106"}


def test_lists_filter_show_columns_and_views_keep_them(app: Flask, api: Any, as_role: Any) -> None:
    define_examples(api)
    for lot, code in (("L-1", "D1"), ("L-2", "D7"), ("L-2", "D2")):
        api.post("/api/v1/incidents", json={"title": f"Scratches {lot} {code}", "department": "quality",
                                            "custom_fields": {"lot": lot, "defect_code": code}})
    agent = as_role("agent")
    html = agent.text("/tickets?cf.lot=L-2&col=lot&col=defect_code")
    assert "Scratches L-2 D7" in html and "Scratches L-2 D2" in html and "Scratches L-1" not in html
    assert '<th scope="col" class="c-custom">Defect code</th>' in html and ">D7</td>" in html
    assert agent.text("/tickets?cf.batch=lots").count('data-row') == 0
    unknown = agent.text("/tickets?cf.colour=red")
    assert "No custom field &#39;colour&#39;" in unknown
    query = re.search(r'name="query" value="([^"]*)"', html).group(1)
    assert "cf.lot=L-2" in query and "col=lot" in query
    agent.post("/tickets/views", {"name": "Lot L-2", "query": query.replace("&amp;", "&")})
    listed = agent.text("/tickets")
    view = re.search(r'href="(/tickets\?[^"]*)"[^>]*>Lot L-2<', listed).group(1).replace("&amp;", "&")
    again = agent.text(view)
    assert "Scratches L-2 D7" in again and "Scratches L-1" not in again and "c-custom" in again


def test_the_csv_export_has_a_column_per_field_and_no_formulas(app: Flask, api: Any, as_role: Any) -> None:
    import csv
    import io

    define_examples(api)
    for lot in ("L-1", "=HYPERLINK(\"http://evil.example\")"):
        api.post("/api/v1/incidents", json={"title": f"Scratches {lot}", "department": "quality",
                                            "custom_fields": {"lot": lot, "batch": 7, "defect_code": "D2"}})
    api.post("/api/v1/incidents", json={"title": "Cabin", "department": "guest-services",
                                        "custom_fields": {"cabin_number": "7104"}})
    agent = as_role("agent")
    assert 'href="/tickets/export.csv?department=quality"' in agent.text("/tickets?department=quality")
    response = agent.client.get("/tickets/export.csv?department=quality")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["custom:lot"] for row in rows] == ["'=HYPERLINK(\"http://evil.example\")", "L-1"]
    assert {row["custom:batch"] for row in rows} == {"7"} and "custom:cabin_number" not in rows[0]
    every = list(csv.DictReader(io.StringIO(agent.client.get("/tickets/export.csv?cf.lot=L-1").get_data(
        as_text=True))))
    assert len(every) == 1 and every[0]["custom:cabin_number"] == "" and every[0]["custom:defect_code"] == "D2"

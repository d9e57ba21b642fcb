"""The organisation's admin pages: departments, groups with members, categories, the item tree
and an item's history, through forms with CSRF, as an admin would use them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import add_user, open_ticket

PAGES = ("/admin/org/", "/admin/org/departments", "/admin/org/groups", "/admin/org/categories", "/admin/org/items")


def ids_in(html: str, prefix: str) -> list[str]:
    return re.findall(rf'id="{prefix}-([^"]+)"', html)


@pytest.mark.parametrize("url", PAGES)
def test_org_pages_are_for_admins_only(app: Flask, as_role: Any, url: str) -> None:
    assert as_role("admin").get(url).status_code == 200
    assert as_role("agent").get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302


def test_the_menu_shows_organisation_to_admins_only(as_role: Any) -> None:
    assert 'href="/admin/org/"' in as_role("admin").text("/tickets")
    assert 'href="/admin/org/"' not in as_role("agent").text("/tickets")


def test_posts_refuse_agents_and_missing_csrf(as_role: Any) -> None:
    agent, admin = as_role("agent"), as_role("admin")
    for url in ("/admin/org/departments", "/admin/org/groups", "/admin/org/categories", "/admin/org/items"):
        assert agent.post(url, {"slug": "x", "name": "X"}).status_code == 403, url
        assert admin.post(url, {"slug": "x", "name": "X"}, csrf=False).status_code == 400, url


def test_a_department_is_added_with_readable_field_errors_then_renamed(as_role: Any) -> None:
    admin = as_role("admin")
    bad = admin.post("/admin/org/departments", {"slug": "Customer Service!", "name": "", "email": "nope"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "There is a problem" in html and 'id="f-slug" name="slug"' in html
    assert re.search(r'id="f-slug"[^>]*aria-invalid="true"', html) and re.search(r'id="f-name"[^>]*aria-invalid', html)
    assert "Lower-case letters, digits and dashes" in html and "Not a valid email address." in html
    assert 'value="Customer Service!"' in html  # what was typed stays
    done = admin.post("/admin/org/departments", {"slug": "care", "name": "Customer care"}, follow=True)
    assert "Added department care." in done.get_data(as_text=True)
    assert ids_in(admin.text("/admin/org/departments"), "department") == ["care"]
    renamed = admin.post("/admin/org/departments/care", {"slug": "service", "name": "Customer service"}, follow=True)
    assert "Saved service." in renamed.get_data(as_text=True)
    assert admin.get("/admin/org/departments/care").status_code == 404
    assert "Customer service" in admin.text("/admin/org/departments/service")
    taken = admin.post("/admin/org/departments", {"slug": "service", "name": "Again"})
    assert taken.status_code == 422 and "exists already" in taken.get_data(as_text=True)


def test_deleting_a_department_in_use_tells_why_and_offers_a_merge(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    for slug in ("care", "service"):
        admin.post("/admin/org/departments", {"slug": slug, "name": slug.title()})
    ref = open_ticket(app, department="care")
    page = admin.text("/admin/org/departments/care")
    assert "In use:" in page and "1 open ticket" in page and 'value="service"' in page
    assert "Delete care" not in page  # no delete button while in use
    refused = admin.post("/admin/org/departments/care/delete", {"action": "delete"}, follow=True)
    assert "Department &#39;care&#39; is in use: 1 open ticket." in refused.get_data(as_text=True)
    unchosen = admin.post("/admin/org/departments/care/delete", {"action": "merge", "into": ""}, follow=True)
    assert "Choose the department to merge care into." in unchosen.get_data(as_text=True)
    merged = admin.post("/admin/org/departments/care/delete", {"action": "merge", "into": "service"}, follow=True)
    assert "Merged care into service (1 ticket moved)." in merged.get_data(as_text=True)
    assert "service" in admin.text(f"/tickets/{ref}")
    gone = admin.post("/admin/org/departments/service/delete", {"action": "merge", "into": "nowhere"}, follow=True)
    assert "No department &#39;nowhere&#39;." in gone.get_data(as_text=True)


def test_a_group_gets_agents_added_and_removed(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    add_user(app, "maria", "agent")
    add_user(app, "omar", "agent")
    add_user(app, "rita", "requester")
    created = admin.post("/admin/org/groups", {"slug": "line-3", "name": "Line 3 maintenance"})
    assert created.status_code == 302 and created.headers["Location"].endswith("/admin/org/groups/line-3#members")
    page = admin.text("/admin/org/groups/line-3")
    assert "No members yet" in page and 'value="maria"' in page and 'value="rita"' not in page
    for username in ("maria", "omar"):
        done = admin.post("/admin/org/groups/line-3/members", {"username": username}, follow=True)
        assert f"Added {username} to Line 3 maintenance." in done.get_data(as_text=True)
    page = admin.text("/admin/org/groups/line-3")
    assert "Members (2)" in page and 'aria-label="Remove maria from Line 3 maintenance"' in page
    refused = admin.post("/admin/org/groups/line-3/members", {"username": "rita"}, follow=True)
    assert "rita is a requester; only agents and admins join groups." in refused.get_data(as_text=True)
    removed = admin.post("/admin/org/groups/line-3/members/maria/remove", follow=True)
    assert "Removed maria from Line 3 maintenance." in removed.get_data(as_text=True)
    assert "Members (1)" in admin.text("/admin/org/groups/line-3")
    assert "2" not in admin.text("/admin/org/groups").split('id="group-line-3"')[1].split("</tr>")[0].split(
        "</td>")[2]  # the list counts one member now
    assert admin.post("/admin/org/groups/line-3/delete", {"action": "delete"}).status_code == 302
    assert admin.get("/admin/org/groups/line-3").status_code == 404


def test_categories_are_added_edited_and_merged(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    admin.post("/admin/org/departments", {"slug": "care", "name": "Care"})
    for slug in ("noise", "loud"):
        assert admin.post("/admin/org/categories", {"slug": slug, "name": slug.title(), "department": "care"}
                          ).status_code == 302
    twice = admin.post("/admin/org/categories", {"slug": "noise", "name": "Noise", "department": "care"})
    assert twice.status_code == 422 and "exists already in department" in twice.get_data(as_text=True)
    loud, noise = ids_in(admin.text("/admin/org/categories"), "category")  # listed by name
    open_ticket(app, department="care", category="loud")
    merged = admin.post(f"/admin/org/categories/{loud}/delete", {"action": "merge", "into": noise}, follow=True)
    assert "Merged loud into noise (1 ticket moved)." in merged.get_data(as_text=True)
    saved = admin.post(f"/admin/org/categories/{noise}", {"slug": "noise", "name": "Noise and vibration",
                                                          "department": "care"}, follow=True)
    assert "Saved noise." in saved.get_data(as_text=True) and "Noise and vibration" in saved.get_data(as_text=True)


def add_item(admin: Any, **values: str) -> Any:
    form = {"kind": "machine", "criticality": "medium", **values}
    return admin.post("/admin/org/items", form)


def test_the_item_tree_is_drawn_indented_and_loops_are_refused(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    assert add_item(admin, key="plant-a", name="Plant A", kind="site").status_code == 302
    line = add_item(admin, key="plant-a/line-3", name="Line 3", kind="line", parent="plant-a", criticality="high")
    assert line.headers["Location"].endswith("/admin/org/items?parent=plant-a&kind=line#new-item")
    prefilled = admin.text("/admin/org/items?parent=plant-a/line-3")
    assert 'value="plant-a/line-3/"' in prefilled and '<option value="machine" selected>' in prefilled
    for name in ("Filler", "Capper", "Labeller"):
        assert add_item(admin, key=f"plant-a/line-3/{name.lower()}", name=name, parent="plant-a/line-3"
                        ).status_code == 302
    html = admin.text("/admin/org/items")
    depths = re.findall(r'<li class="ci-depth-(\d)" id="item-\d+">\s*<a class="ci-name"[^>]*>([^<]+)</a>', html)
    assert depths == [("0", "Plant A"), ("1", "Line 3"), ("2", "Capper"), ("2", "Filler"), ("2", "Labeller")]
    site_id = re.search(r'id="item-(\d+)">\s*<a class="ci-name"[^>]*>Plant A<', html).group(1)  # type: ignore[union-attr]
    loop = admin.post(f"/admin/org/items/{site_id}", {"key": "plant-a", "name": "Plant A", "kind": "site",
                                                      "criticality": "medium", "parent": "plant-a/line-3/filler"})
    assert loop.status_code == 422
    page = loop.get_data(as_text=True)
    assert "must not loop" in page and re.search(r'id="f-parent"[^>]*aria-invalid="true"', page)
    bad = add_item(admin, key="", name="", kind="spaceship", criticality="medium")
    assert bad.status_code == 422 and "One of: site, line, machine" in bad.get_data(as_text=True)


def test_an_items_history_shows_its_tickets_and_recurring_faults(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    add_item(admin, key="plant-a/line-3", name="Line 3", kind="line")
    add_item(admin, key="plant-a/line-3/filler", name="Filler", parent="plant-a/line-3", criticality="critical")
    first = open_ticket(app, title="Filler E101", ci="plant-a/line-3/filler")
    second = open_ticket(app, title="Filler E101 again", ci="plant-a/line-3/filler")
    open_ticket(app, kind="change", title="New valve", ci="plant-a/line-3/filler")
    from hub.models import Ticket

    with app.extensions["hub"].db.transaction() as session:
        for row in session.query(Ticket).filter(Ticket.ref.in_((first, second))):
            row.correlation_key, row.occurrence_count = "plant-a/filler/E101", 4
    tree = admin.text("/admin/org/items")
    filler_id = re.search(r'id="item-(\d+)">\s*<a class="ci-name"[^>]*>Filler<', tree).group(1)  # type: ignore[union-attr]
    line_id = re.search(r'id="item-(\d+)">\s*<a class="ci-name"[^>]*>Line 3<', tree).group(1)  # type: ignore[union-attr]
    assert "3 open" in tree and ">critical<" in tree
    html = admin.text(f"/admin/org/items/{filler_id}/history")
    assert html.index("New valve") < html.index("Filler E101 again") < html.index("Filler E101<")
    assert "plant-a/filler/E101" in html and "<strong>8</strong>" in html  # 2 tickets, 8 occurrences
    assert "<strong>2</strong> incidents" in html and "<strong>1</strong> changes" in html
    assert "created" in html  # the item's own log
    line = admin.text(f"/admin/org/items/{line_id}/history")
    assert "No tickets name this item yet." in line
    below = admin.text(f"/admin/org/items/{line_id}/history?below=1")
    assert "New valve" in below and "the 1 items below it" in below
    assert admin.get("/admin/org/items/999999/history").status_code == 404


def test_a_slug_left_empty_is_made_from_the_name(as_role: Any) -> None:
    admin = as_role("admin")
    made = admin.post("/admin/org/groups", {"slug": "", "name": "Line 3 — Night shift"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/org/groups/line-3-night-shift#members")
    assert admin.post("/admin/org/departments", {"name": "Facilities"}).status_code == 302
    assert ids_in(admin.text("/admin/org/departments"), "department") == ["facilities"]
    nothing = admin.post("/admin/org/categories", {"slug": "", "name": ""})
    assert nothing.status_code == 422 and "Required." in nothing.get_data(as_text=True)

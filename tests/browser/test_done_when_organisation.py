"""Issue 21's "done when" as one browser journey, on a hub started as the README says.

``itsm-hub run`` on a fresh machine (tests.support.fresh_hub), every step a UI control:

1. The admin, with the password ``itsm-hub run`` printed, adds two agents, a department, a
   group with both agents, a category and a line with three machines (configuration items
   drawn as a tree); an outbound-only SMTP setting (the ``smtp`` connector: no mailbox, no
   IMAP) pointing at a real SMTP server the test starts (aiosmtpd); a web form built field
   by field with its words in Spanish; and a routing rule sending the form's reports to the
   group.
2. A customer whose browser speaks Spanish fills the form in: the form, the thank-you page,
   the acknowledgement mail and the status page its link opens are in Spanish.
3. Both agents are told: a mail each through the SMTP server, and in the hub, where the
   menu counts the unread and /notifications lists it.

At a desktop and a phone width; every page on the way is screenshotted (to $SCREENSHOT_DIR,
else the test's tmp dir) and checked not to scroll sideways.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.fresh_hub import *  # noqa: F403 - the fresh_hub fixture
from tests.support.fresh_hub import FreshHub, wait_ms
from tests.support.mail_fixtures import *  # noqa: F403 - the smtp_sink fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AGENTS = {"maria": "Maria Lopez", "omar": "Omar Haddad"}
MACHINES = ("Filler", "Capper", "Labeller")
MACHINE_KEYS = {f"plant-a/line-3/{machine.lower()}": machine for machine in MACHINES}
FORM = "customer-complaints"
#: The form's own words in Spanish, as the admin types them on the instance page.
SPANISH = {"es": {
    "title": "Cuéntenos qué ha fallado", "intro": "Respondemos en un día laborable.",
    "fields": {"message": {"label": "¿Qué ha pasado?"}, "name": {"label": "Su nombre"},
               "email": {"label": "Correo electrónico", "help": "Le enviamos aquí su referencia."},
               "machine": {"label": "¿Qué máquina?", "options": {
                   "plant-a/line-3/filler": "Llenadora", "plant-a/line-3/capper": "Taponadora",
                   "plant-a/line-3/labeller": "Etiquetadora"}}}}}
COMPLAINT = "Las botellas del lote 4711 llegaron con el tapón flojo y el zumo se ha derramado."


@pytest.fixture(params=list(WIDTHS))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tab(chromium: Any, size: str, tmp_path: Path) -> Iterator[Any]:
    """The admin's and the agents' browser (they take turns at it, signing out between)."""
    with open_tab(chromium, size, prefix="org-journey", shots=screenshot_dir(tmp_path), timeout_ms=wait_ms(),
                  accept_dialogs=True) as page:
        yield page


def says(tab: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(tab.locator(".flashes")).to_contain_text(text, timeout=wait_ms())


def main_menu(tab: Any, name: str) -> None:
    tab.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def org_section(tab: Any, name: str) -> None:
    """Organisation in the main menu, then the section's tab."""
    main_menu(tab, "Organisation")
    tab.get_by_role("navigation", name="Organisation").get_by_role("link", name=name).click()


def add_agents(tab: Any) -> None:
    main_menu(tab, "Admin")
    tab.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Users").click()
    for username, display_name in AGENTS.items():
        form = tab.locator("form", has=tab.get_by_role("button", name="Add user"))
        form.get_by_label("Username").fill(username)
        form.get_by_label("Display name").fill(display_name)
        form.get_by_label("Email").fill(f"{username}@plant.test")
        form.get_by_label("Password", exact=True).fill(PASSWORD)
        form.get_by_label("Role").select_option("agent")
        form.get_by_role("button", name="Add user").click()
        says(tab, f"Created {username}.")
    tab.shot("users")


def build_the_organisation(tab: Any) -> None:
    org_section(tab, "Departments")
    tab.get_by_label("Name").fill("Customer quality")
    tab.get_by_label("Slug").fill("quality")
    tab.get_by_role("button", name="Add department").click()
    says(tab, "Added department quality.")
    tab.shot("departments")

    org_section(tab, "Groups")
    tab.get_by_label("Name").fill("Line 3 maintenance")
    tab.get_by_label("Slug").fill("line-3")
    tab.get_by_label("Department").select_option("quality")
    tab.get_by_role("button", name="Add group").click()
    for username in AGENTS:
        tab.get_by_label("Add an agent").select_option(username)
        tab.get_by_role("button", name="Add", exact=True).click()
        says(tab, username)
    assert tab.get_by_role("heading", name="Members (2)").is_visible()
    tab.shot("group")

    org_section(tab, "Categories")
    tab.get_by_label("Name").fill("Loose caps")
    tab.get_by_label("Slug").fill("loose-caps")
    tab.get_by_label("Department").select_option("quality")
    tab.get_by_role("button", name="Add category").click()
    says(tab, "Added category loose-caps.")
    tab.shot("categories")

    org_section(tab, "Configuration items")
    tab.get_by_label("Name").fill("Line 3")
    tab.get_by_label("Key").fill("plant-a/line-3")
    tab.get_by_label("Kind").select_option("line")
    tab.get_by_label("Criticality").select_option("high")
    tab.get_by_label("Owner").select_option("maria")
    tab.get_by_label("Department").select_option("quality")
    tab.get_by_role("button", name="Add item").click()
    says(tab, "Added Line 3 (plant-a/line-3).")
    for machine in MACHINES:
        tab.get_by_role("link", name="Add an item below Line 3").click()
        assert tab.get_by_label("Part of").input_value() == "plant-a/line-3"
        assert tab.get_by_label("Kind").input_value() == "machine"
        tab.get_by_label("Name").fill(machine)
        tab.get_by_label("Key").fill(f"plant-a/line-3/{machine.lower()}")
        tab.get_by_role("button", name="Add item").click()
        says(tab, f"Added {machine} (plant-a/line-3/{machine.lower()}).")
    tree = tab.locator("ul.ci-tree li")
    assert [tree.nth(n).get_attribute("class") for n in range(tree.count())] == ["ci-depth-0"] + ["ci-depth-1"] * 3
    tab.shot("items")


def add_the_mail_relay(tab: Any, sink: Any) -> None:
    """Sending without a mailbox: the smtp connector's schema-made form, nothing else."""
    main_menu(tab, "Admin")
    tab.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Connector instances").click()
    tab.get_by_role("link", name="Add an Outbound mail (SMTP only) instance").click()
    tab.get_by_label("Slug").fill("relay")
    tab.get_by_label("Name", exact=True).fill("Plant mail relay")
    tab.get_by_label("SMTP host").fill(sink.host)
    tab.get_by_label("SMTP port").fill(str(sink.port))
    tab.get_by_label("SMTP security").select_option("plain")
    tab.get_by_label("Sender address").fill("quality@plant.test")
    tab.get_by_label("Sender name").fill("Customer quality")
    tab.get_by_label("Enabled").check()
    tab.shot("relay-new")
    tab.get_by_role("button", name="Add instance").click()
    says(tab, "Added relay.")
    tab.get_by_role("button", name="Test connection").click()
    says(tab, f"{sink.host}:{sink.port}")
    tab.shot("relay")


def add_field(tab: Any, name: str, label: str, kind: str, fills_in: str, options: tuple[str, ...] = ()) -> None:
    tab.get_by_role("link", name="Add a field").click()
    tab.get_by_label("Label").fill(label)
    tab.locator("#spec-name").fill(name)
    tab.locator("#spec-type").select_option(kind)
    if options:
        tab.locator("#spec-options").fill("\n".join(options))
    tab.locator("#spec-maps_to").select_option(fills_in)
    tab.locator("#spec-required").check()
    tab.get_by_role("button", name="Add field").click()
    says(tab, f"Added the field {label}")


def build_the_form(tab: Any) -> None:
    main_menu(tab, "Web forms")
    tab.get_by_label("Title").fill("Tell us what went wrong")
    tab.get_by_label("Address").fill(FORM)
    tab.get_by_label("Open it to the public now").check()
    tab.get_by_role("button", name="Add form").click()
    says(tab, f"Added the form {FORM}")
    add_field(tab, "name", "Your name", "text", "requester_name")
    add_field(tab, "email", "Email", "email", "requester_email")
    add_field(tab, "machine", "Which machine?", "select", "ci", tuple(MACHINE_KEYS))
    tab.shot("form-builder")

    # The form's words in Spanish, on its instance page (the schema's Translations field).
    tab.get_by_role("link", name="instance page").click()
    tab.get_by_label("Translations").fill(json.dumps(SPANISH, ensure_ascii=False))
    tab.get_by_role("button", name="Save", exact=True).click()
    says(tab, "Saved")
    tab.shot("form-instance")


def route_the_form(tab: Any) -> None:
    main_menu(tab, "Routing rules")
    tab.get_by_role("link", name="Add a rule").click()
    tab.locator("#name").fill("complaints-to-line-3")
    tab.locator("#when-sources").fill(FORM)
    tab.locator("#set-group").fill("line-3")
    tab.locator("#set-department").fill("quality")
    tab.get_by_role("button", name="Add rule").click()
    says(tab, "complaints-to-line-3")
    tab.shot("routing")


def complain_in_spanish(chromium: Any, size: str, hub: FreshHub, shots: Path) -> str:
    """A customer whose browser speaks Spanish fills the form in; returns the reference."""
    from playwright.sync_api import expect

    with open_tab(chromium, size, prefix="org-journey", shots=shots, timeout_ms=wait_ms(), locale="es-ES") as guest:
        guest.goto(f"{hub.url}/f/{FORM}")
        assert guest.locator("html").get_attribute("lang") == "es"
        expect(guest.locator("h1")).to_have_text("Cuéntenos qué ha fallado")
        guest.get_by_label("Su nombre").fill("Lucía Fernández")
        guest.get_by_label("Correo electrónico").fill("lucia@cliente.example")
        guest.get_by_label("¿Qué ha pasado?").fill(COMPLAINT)
        guest.get_by_label("¿Qué máquina?").select_option(label="Taponadora")
        guest.shot("guest-form")
        guest.get_by_role("button", name="Enviar").click()
        expect(guest.locator("h1")).to_have_text("Gracias")
        assert "Hemos recibido su incidencia" in guest.locator("main").inner_text()
        ref = guest.locator(".reference").inner_text()
        assert re.fullmatch(r"INC-\d{6}", ref), ref
        guest.shot("guest-thanks")
    return ref


def open_status_page(chromium: Any, size: str, link: str, ref: str, shots: Path) -> None:
    """The link in the acknowledgement, in a browser that says nothing of its language: the
    ticket's language (Spanish) decides."""
    from playwright.sync_api import expect

    with open_tab(chromium, size, prefix="org-journey", shots=shots, timeout_ms=wait_ms()) as guest:
        guest.goto(link)
        expect(guest.locator("h1")).to_contain_text(ref)
        assert guest.locator("html").get_attribute("lang") == "es"
        text = guest.locator("main").inner_text()
        for words in ("Estado", "Su incidencia", "Añadir un mensaje"):
            assert words in text, (words, text)
        assert "Your report" not in text and "Status" not in text, text
        guest.shot("guest-status")


def unread_in_menu(tab: Any) -> str:
    count = tab.get_by_role("navigation", name="Main").locator('a[href="/notifications"] .count')
    return " ".join(str(count.text_content()).split()) if count.count() else ""


def test_a_department_built_from_the_pages_hears_of_a_spanish_complaint(
        tab: Any, chromium: Any, size: str, fresh_hub: FreshHub, smtp_sink: Any, tmp_path: Path) -> None:
    shots = screenshot_dir(tmp_path)
    sign_in(tab, fresh_hub.url, "admin", fresh_hub.admin_password)
    add_agents(tab)
    build_the_organisation(tab)
    add_the_mail_relay(tab, smtp_sink)
    build_the_form(tab)
    route_the_form(tab)
    tab.get_by_role("button", name="Sign out").click()

    ref = complain_in_spanish(chromium, size, fresh_hub, shots)

    # Three mails through the relay: the customer's acknowledgement and one to each agent.
    mails = smtp_sink.wait_for(3, timeout=120)
    by_address = {message.rcpt_tos: message.message for message in mails}
    assert set(by_address) == {("lucia@cliente.example",), ("maria@plant.test",), ("omar@plant.test",)}, by_address
    ack = by_address[("lucia@cliente.example",)]
    assert ack["Subject"].startswith(f"[{ref}] Recibida: ") and ack["From"] == "Customer quality <quality@plant.test>"
    body = ack.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Hola, Lucía Fernández:") and "Hemos recibido su solicitud" in body, body
    for agent in ("maria@plant.test", "omar@plant.test"):
        mail = by_address[(agent,)]
        assert mail["Subject"].startswith(f"New in line-3: {ref} "), mail["Subject"]
        assert f"{fresh_hub.url}/tickets/{ref}" in mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(fresh_hub.url)}/s/[\w-]+", body)
    assert link, body
    open_status_page(chromium, size, link.group(0), ref, shots)

    # Each agent sees it in the hub: the menu counts it, the list shows it, opening it opens the ticket.
    for username in AGENTS:
        sign_in(tab, fresh_hub.url, username)
        assert unread_in_menu(tab) == "1 unread"
        tab.get_by_role("navigation", name="Main").locator('a[href="/notifications"]').click()
        item = tab.locator("ul.notifications li.unread")
        assert item.count() == 1 and f"New in line-3: {ref}" in item.inner_text()
        tab.shot(f"notifications-{username}")
        item.locator("a.what").click()
        tab.wait_for_url(re.compile(rf".*/tickets/{ref}$"))
        details = tab.locator("#details").inner_text()
        # The group, the department and the machine, by the names people read.
        for shown in ("Line 3 maintenance", "Customer quality", "Capper (plant-a/line-3/capper)"):
            assert shown in details, (shown, details)
        tab.shot(f"ticket-{username}")
        tab.get_by_role("button", name="Sign out").click()

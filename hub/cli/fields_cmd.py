"""itsm-hub fields list|show|add|update|remove: custom fields from the command line.

The same services as Admin > Custom fields and /api/v1/custom-fields; errors are their
sentences (exit code 1), a wrong option is click's usage error (exit code 2).
"""

from __future__ import annotations

from typing import Any

import click

from hub.cli import HubContext, pass_hub
from hub.cli.org_cmd import cli_actor, report
from hub.models import FIELD_TYPES

KIND_CHOICE = click.Choice(["incident", "change", "both"])


def _options(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _scope(department: str | None, kind: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if department is not None:
        out["department"] = department or None
    if kind is not None:
        out["kind"] = None if kind == "both" else kind
    return out


@click.group()
def fields() -> None:
    """Custom fields per department and ticket kind (cabin number, lot, defect code)."""


@fields.command("list")
@click.option("--department", help="Only the fields a ticket of this department has.")
@click.option("--kind", type=click.Choice(["incident", "change"]))
@pass_hub
def list_fields(hub: HubContext, department: str | None, kind: str | None) -> None:
    """One line per field: name, type, label, department, kind, required."""
    from hub.tracker.custom_fields import list_fields as listed

    with hub.transaction() as session:
        for info in listed(session, department=department, kind=kind):
            options = f" ({', '.join(info.options)})" if info.options else ""
            click.echo(f"{info.name}\t{info.type}{options}\t{info.label}\t{info.department or 'every department'}"
                       f"\t{info.kind or 'both'}\t{'required' if info.required else 'optional'}")


@fields.command("add")
@click.argument("name")
@click.option("--label", required=True)
@click.option("--type", "type_", type=click.Choice(FIELD_TYPES), required=True)
@click.option("--options", help="A choice field's values, comma-separated: 'no,silver,gold'.")
@click.option("--department", help="Department slug; leave out for every department.")
@click.option("--kind", type=KIND_CHOICE, default="both", show_default=True)
@click.option("--required/--optional", default=False)
@click.option("--help-text", "help_text", help="A hint shown under the field.")
@click.option("--position", type=int)
@pass_hub
def add_field(hub: HubContext, name: str, label: str, type_: str, options: str | None, department: str | None,
              kind: str, required: bool, help_text: str | None, position: int | None) -> None:
    """Define a field."""
    from hub.tracker.custom_fields import create_field

    data: dict[str, Any] = {"required": required, **_scope(department, kind)}
    if options is not None:
        data["options"] = _options(options)
    if help_text is not None:
        data["help"] = help_text
    if position is not None:
        data["position"] = position
    with hub.transaction() as session:
        create_field(session=session, name=name, label=label, type=type_, actor=cli_actor(), **data)
    click.echo(f"Added custom field {name}.")


@fields.command("update")
@click.argument("name")
@click.option("--label")
@click.option("--type", "type_", type=click.Choice(FIELD_TYPES))
@click.option("--options", help="The full new list, comma-separated.")
@click.option("--department", help="Department slug; '' for every department.")
@click.option("--kind", type=KIND_CHOICE)
@click.option("--required/--optional", default=None)
@click.option("--help-text", "help_text")
@click.option("--position", type=int)
@pass_hub
def update_field(hub: HubContext, name: str, label: str | None, type_: str | None, options: str | None,
                 department: str | None, kind: str | None, required: bool | None, help_text: str | None,
                 position: int | None) -> None:
    """Change what is given; the rest stays."""
    from hub.tracker.custom_fields import get_field
    from hub.tracker.custom_fields import update_field as update

    changes: dict[str, Any] = {key: value for key, value in (
        ("label", label), ("type", type_), ("options", _options(options)), ("required", required),
        ("help", help_text), ("position", position)) if value is not None}
    changes.update(_scope(department, kind))
    with hub.transaction() as session:
        done = update(session=session, field=get_field(session, name), changes=changes, actor=cli_actor())
    report(name, done)


@fields.command("remove")
@click.argument("name")
@click.option("--with-values", is_flag=True, help="Also when tickets have values (they keep them as plain data).")
@pass_hub
def remove_field(hub: HubContext, name: str, with_values: bool) -> None:
    """Delete a field; refused while tickets have values, unless --with-values."""
    from hub.tracker.custom_fields import delete_field, get_field

    with hub.transaction() as session:
        gone = delete_field(session=session, field=get_field(session, name), actor=cli_actor(),
                            with_values=with_values)
    click.echo(f"Removed custom field {name}" + (f" and {gone} values." if gone else "."))


COMMANDS = [fields]

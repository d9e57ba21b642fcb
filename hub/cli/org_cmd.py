"""itsm-hub org departments|groups|categories|cis: the organisation from the command line
(departments and groups here; categories and items in hub.cli.org_items_cmd).

Each kind has list, add, update and remove (``--merge-into`` moves what uses it first);
groups add and remove members; items show their history. Errors are the services' own
sentences, exit code 1; a wrong option is click's usage error, exit code 2.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from hub.cli import HubContext, pass_hub

#: ``--department ''`` (or ``--parent ''``, ``--owner ''``) clears the field.
CLEAR_HINT = "'' clears it."


def cli_actor() -> Any:
    from hub.sdk.actors import Actor

    return Actor(type="system", name="cli", origin="cli")


def given(**values: Any) -> dict[str, Any]:
    """The options given (None: not given); an empty string clears the field."""
    return {name: (value or None) if name in ("department", "parent", "owner", "email", "description") else value
            for name, value in values.items() if value is not None}


def remove_or_merge(hub: HubContext, item_type: str, find: Any, merge_into: str | None, find_target: Any) -> None:
    from hub.tracker import org_usage

    with hub.transaction() as session:
        item = find(session)
        name = org_usage.name_of(item_type, item)
        if merge_into:
            moved = org_usage.merge_item(session=session, item_type=item_type, item=item,
                                         into=find_target(session, merge_into), actor=cli_actor())
            click.echo(f"Merged {name} into {merge_into} ({org_usage.moved_sentence(moved)}).")
        else:
            org_usage.delete_item(session=session, item_type=item_type, item=item, actor=cli_actor())
            click.echo(f"Removed {name}.")


def report(name: str, changes: dict[str, Any]) -> None:
    if not changes:
        click.echo(f"Nothing changed for {name}.")
    for field_name, (old, new) in changes.items():
        click.echo(f"{name}: {field_name} {old!r} -> {new!r}")


@click.group()
def org() -> None:
    """Departments, groups, categories and configuration items."""


# -- departments -------------------------------------------------------------------------

@org.group()
def departments() -> None:
    """Teams that receive tickets."""


@departments.command("list")
@pass_hub
def list_departments(hub: HubContext) -> None:
    from hub.models import Department

    with hub.transaction() as session:
        for row in session.scalars(select(Department).order_by(Department.slug)):
            click.echo(f"{row.slug}\t{row.name}\t{row.email or ''}")


@departments.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--email")
@pass_hub
def add_department(hub: HubContext, slug: str, name: str, email: str | None) -> None:
    from hub.tracker.catalog import create_department

    with hub.transaction() as session:
        create_department(session=session, slug=slug, name=name, email=email, actor=cli_actor())
    click.echo(f"Added department {slug}.")


@departments.command("update")
@click.argument("slug")
@click.option("--slug", "new_slug", help="A new slug (tickets follow: they store ids).")
@click.option("--name")
@click.option("--email", help=CLEAR_HINT)
@pass_hub
def update_department(hub: HubContext, slug: str, new_slug: str | None, name: str | None, email: str | None) -> None:
    from hub.tracker.catalog import get_department
    from hub.tracker.catalog import update_department as update

    with hub.transaction() as session:
        changes = update(session=session, department=get_department(session, slug), actor=cli_actor(),
                         changes=given(slug=new_slug, name=name, email=email))
    report(slug, changes)


@departments.command("remove")
@click.argument("slug")
@click.option("--merge-into", metavar="SLUG", help="Move its tickets, groups, categories, items and users there first.")
@pass_hub
def remove_department(hub: HubContext, slug: str, merge_into: str | None) -> None:
    """Remove a department; refused while anything uses it, unless merged into another."""
    from hub.tracker.catalog import get_department

    remove_or_merge(hub, "department", lambda session: get_department(session, slug), merge_into, get_department)


# -- groups ------------------------------------------------------------------------------

@org.group()
def groups() -> None:
    """Assignment groups and their members."""


@groups.command("list")
@pass_hub
def list_groups(hub: HubContext) -> None:
    from hub.models import Group
    from hub.tracker.catalog import present

    with hub.transaction() as session:
        for row in session.scalars(select(Group).order_by(Group.slug)):
            shown = present(session, row)
            click.echo(f"{row.slug}\t{row.name}\t{shown['department'] or ''}\t{','.join(shown['members'])}")


@groups.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--email")
@click.option("--department", metavar="SLUG")
@click.option("--member", "members", multiple=True, metavar="USERNAME", help="An agent or admin; repeat for more.")
@pass_hub
def add_group(hub: HubContext, slug: str, name: str, email: str | None, department: str | None,
              members: tuple[str, ...]) -> None:
    from hub.tracker.catalog import create_group

    with hub.transaction() as session:
        create_group(session=session, slug=slug, name=name, email=email, department=department,
                     members=list(members), actor=cli_actor())
    click.echo(f"Added group {slug}" + (f" with {', '.join(members)}." if members else "."))


@groups.command("update")
@click.argument("slug")
@click.option("--slug", "new_slug")
@click.option("--name")
@click.option("--email", help=CLEAR_HINT)
@click.option("--department", metavar="SLUG", help=CLEAR_HINT)
@pass_hub
def update_group(hub: HubContext, slug: str, new_slug: str | None, name: str | None, email: str | None,
                 department: str | None) -> None:
    from hub.tracker.catalog import get_group
    from hub.tracker.catalog import update_group as update

    with hub.transaction() as session:
        changes = update(session=session, group=get_group(session, slug), actor=cli_actor(),
                         changes=given(slug=new_slug, name=name, email=email, department=department))
    report(slug, changes)


@groups.command("add-member")
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@pass_hub
def add_members(hub: HubContext, slug: str, usernames: tuple[str, ...]) -> None:
    """Put agents in the group."""
    from hub.tracker.catalog import get_group
    from hub.tracker.group_members import add_member

    with hub.transaction() as session:
        group = get_group(session, slug)
        for username in usernames:
            added = add_member(session=session, group=group, username=username, actor=cli_actor())
            click.echo(f"{username} {'added to' if added else 'is in'} {slug}{'' if added else ' already'}.")


@groups.command("remove-member")
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@pass_hub
def remove_members(hub: HubContext, slug: str, usernames: tuple[str, ...]) -> None:
    """Take users out of the group."""
    from hub.tracker.catalog import get_group
    from hub.tracker.group_members import remove_member

    with hub.transaction() as session:
        group = get_group(session, slug)
        for username in usernames:
            removed = remove_member(session=session, group=group, username=username, actor=cli_actor())
            click.echo(f"{username} {'removed from' if removed else 'was not in'} {slug}.")


@groups.command("remove")
@click.argument("slug")
@click.option("--merge-into", metavar="SLUG", help="Move its tickets and members there first.")
@pass_hub
def remove_group(hub: HubContext, slug: str, merge_into: str | None) -> None:
    """Remove a group; refused while tickets name it, unless merged into another."""
    from hub.tracker.catalog import get_group

    remove_or_merge(hub, "group", lambda session: get_group(session, slug), merge_into, get_group)


COMMANDS = [org]

"""itsm-hub org categories|cis: categories (named by slug, and department when the slug repeats)
and configuration items (named by key), with an item's tree and history."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from hub.cli import HubContext, pass_hub
from hub.cli.org_cmd import CLEAR_HINT, cli_actor, given, remove_or_merge, report
from hub.models import CI_KINDS, CRITICALITIES


def find_category(session: Any, slug: str, department: str | None) -> Any:
    """The category with this slug (in this department, when given; a slug in several needs one)."""
    from hub.models import Category, Department
    from hub.sdk.tracker_errors import NotFound, ValidationFailed

    query = select(Category, Department.slug).outerjoin(Department, Department.id == Category.department_id)
    rows = session.execute(query.where(Category.slug == slug)).all()
    if department is not None:
        rows = [(category, owner) for category, owner in rows if (owner or "") == department]
    if not rows:
        where = f" in department {department!r}" if department else ""
        raise NotFound(f"No category {slug!r}{where}.")
    if len(rows) > 1:
        places = ", ".join(owner or "no department" for _category, owner in rows)
        raise ValidationFailed({"department": [f"Several categories are called {slug!r} ({places}); "
                                               f"say which with --department ('' for none)."]})
    return rows[0][0]


@click.group()
def categories() -> None:
    """What tickets are about, per department or for all."""


@categories.command("list")
@pass_hub
def list_categories(hub: HubContext) -> None:
    from hub.models import Category
    from hub.tracker.org import name_for

    with hub.transaction() as session:
        for row in session.scalars(select(Category).order_by(Category.slug, Category.id)):
            click.echo(f"{row.id}\t{row.slug}\t{row.name}\t{name_for(session, 'department', row.department_id) or ''}")


@categories.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--department", metavar="SLUG", help="None: for every department.")
@pass_hub
def add_category(hub: HubContext, slug: str, name: str, department: str | None) -> None:
    from hub.tracker.catalog import create_category

    with hub.transaction() as session:
        create_category(session=session, slug=slug, name=name, department=department, actor=cli_actor())
    click.echo(f"Added category {slug}.")


@categories.command("update")
@click.argument("slug")
@click.option("--in", "where", metavar="SLUG", help="The department it is in now (when the slug repeats).")
@click.option("--slug", "new_slug")
@click.option("--name")
@click.option("--department", metavar="SLUG", help="Move it to this department; " + CLEAR_HINT)
@pass_hub
def update_category(hub: HubContext, slug: str, where: str | None, new_slug: str | None, name: str | None,
                    department: str | None) -> None:
    from hub.tracker.catalog import update_category as update

    with hub.transaction() as session:
        changes = update(session=session, category=find_category(session, slug, where), actor=cli_actor(),
                         changes=given(slug=new_slug, name=name, department=department))
    report(slug, changes)


@categories.command("remove")
@click.argument("slug")
@click.option("--department", metavar="SLUG", help="The department it is in (when the slug repeats).")
@click.option("--merge-into", metavar="SLUG", help="Move its tickets to this category (of the same department) first.")
@pass_hub
def remove_category(hub: HubContext, slug: str, department: str | None, merge_into: str | None) -> None:
    """Remove a category; refused while tickets name it, unless merged into another."""
    remove_or_merge(hub, "category", lambda session: find_category(session, slug, department), merge_into,
                    lambda session, target: find_category(session, target, department))


@click.group()
def cis() -> None:
    """Configuration items: site -> line -> machine, building -> floor -> room, services."""


@cis.command("list")
@pass_hub
def list_items(hub: HubContext) -> None:
    """The tree: each item indented under its parent, with its open tickets."""
    from hub.tracker.ci_items import ci_tree
    from hub.tracker.org import name_for

    with hub.transaction() as session:
        for row in ci_tree(session):
            item = row.item
            owner = name_for(session, "user", item.owner_id) or ""
            click.echo(f"{'  ' * row.depth}{item.key}\t{item.name}\t{item.kind}\t{item.criticality}\t{owner}\t"
                       f"{row.open_tickets} open")


_ITEM_OPTIONS = (
    click.option("--name"),
    click.option("--kind", type=click.Choice(CI_KINDS)),
    click.option("--parent", metavar="KEY", help="The item it is part of; " + CLEAR_HINT),
    click.option("--owner", metavar="USERNAME", help=CLEAR_HINT),
    click.option("--criticality", type=click.Choice(CRITICALITIES)),
    click.option("--department", metavar="SLUG", help=CLEAR_HINT),
    click.option("--description", help=CLEAR_HINT),
)


def item_options(function: Any) -> Any:
    for option in reversed(_ITEM_OPTIONS):
        function = option(function)
    return function


@cis.command("add")
@click.argument("key")
@item_options
@pass_hub
def add_item(hub: HubContext, key: str, **values: Any) -> None:
    from hub.tracker.ci_items import create_ci

    if not values.get("name"):
        raise click.UsageError("Give --name.")
    chosen = {name: value for name, value in values.items() if value}
    with hub.transaction() as session:
        create_ci(session=session, key=key, actor=cli_actor(), **chosen)
    click.echo(f"Added {key}.")


@cis.command("update")
@click.argument("key")
@click.option("--key", "new_key", metavar="KEY", help="A new key (tickets follow: they store ids).")
@item_options
@pass_hub
def update_item(hub: HubContext, key: str, new_key: str | None, **values: Any) -> None:
    """Change an item; a parent inside the item itself is refused."""
    from hub.tracker.ci_items import get_ci_by_key, update_ci

    with hub.transaction() as session:
        changes = update_ci(session=session, item=get_ci_by_key(session, key), actor=cli_actor(),
                            changes=given(key=new_key, **values))
    report(key, changes)


@cis.command("remove")
@click.argument("key")
@click.option("--merge-into", metavar="KEY", help="Move its tickets and the items below it there first.")
@pass_hub
def remove_item(hub: HubContext, key: str, merge_into: str | None) -> None:
    """Remove an item; refused while tickets or items below it use it, unless merged into another."""
    from hub.tracker.ci_items import get_ci_by_key

    remove_or_merge(hub, "ci", lambda session: get_ci_by_key(session, key), merge_into, get_ci_by_key)


@cis.command("history")
@click.argument("key")
@click.option("--below", is_flag=True, help="Include the tickets of the items below it.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@pass_hub
def item_history(hub: HubContext, key: str, below: bool, limit: int) -> None:
    """Its tickets and changes newest first, and its recurring faults."""
    from hub.tracker.ci_history import ci_history
    from hub.tracker.ci_items import get_ci_by_key

    with hub.transaction() as session:
        history = ci_history(session, get_ci_by_key(session, key), below=below, limit=limit)
        totals = history.totals
        click.echo(f"{' > '.join(step.key for step in history.path)}: {totals['incidents']} incidents, "
                   f"{totals['changes']} changes, {totals['open']} open, {totals['occurrences']} occurrences")
        for fault in history.recurring:
            click.echo(f"recurring\t{fault.key}\t{fault.tickets} tickets\t{fault.occurrences} occurrences")
        for ticket, item_key in history.tickets:
            click.echo(f"{ticket.ref}\t{ticket.created_at.isoformat(timespec='minutes')}\t{ticket.status}\t"
                       f"{item_key}\t{ticket.title}")


SUBCOMMANDS = {"org": [categories, cis]}

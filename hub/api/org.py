"""/api/v1/departments, groups, categories and configuration-items.

Departments and groups are addressed by slug. Categories and items are addressed by id:
a category's slug repeats across departments and an item's key holds slashes, so neither
names one row in a path; request bodies still name parents and targets by key or slug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.context import actor, principal, reading, unit_of_work
from hub.api.schemas.org import (
    CategoryMergeSchema,
    CategoryPatchSchema,
    CategorySchema,
    ConfigurationItemPatchSchema,
    ConfigurationItemSchema,
    DepartmentPatchSchema,
    DepartmentSchema,
    GroupPatchSchema,
    GroupSchema,
    HistoryArgs,
    HistorySchema,
    MergeResultSchema,
    MergeSchema,
    OrgOut,
)
from hub.auth.web import requires
from hub.models import Category, ConfigurationItem, Department, Group
from hub.sdk.tracker_errors import Forbidden, NotFound, ValidationFailed
from hub.tracker import catalog, ci_items, group_members, org_usage
from hub.tracker.ci_history import ci_history

bp = Blueprint("org", __name__, url_prefix="/api/v1", description="Departments, groups, categories, items.")


def _create(function: Callable[..., Any]) -> Callable[..., Any]:
    def create(*, session: Any, **data: Any) -> Any:
        return function(session=session, actor=actor("api"), **data)

    return create


def _collection(path: str, name: str, model: Any, schema: type, create: Callable[..., Any]) -> None:
    class Collection(MethodView):
        @requires("org:read")
        @bp.response(200, OrgOut(many=True))
        def get(self) -> Any:
            with reading() as session:
                return [catalog.present(session, row) for row in catalog.list_rows(session, model)]

        @requires("org:write")
        @bp.arguments(schema)
        @bp.response(201, OrgOut)
        def post(self, data: dict[str, Any]) -> Any:
            with unit_of_work() as session:
                return catalog.present(session, create(session=session, **data))

    Collection.__name__ = name
    bp.route(path)(Collection)


_collection("/departments", "Departments", Department, DepartmentSchema, _create(catalog.create_department))
_collection("/groups", "Groups", Group, GroupSchema, _create(catalog.create_group))
_collection("/categories", "Categories", Category, CategorySchema, _create(catalog.create_category))
_collection("/configuration-items", "ConfigurationItems", ConfigurationItem, ConfigurationItemSchema,
            _create(ci_items.create_ci))


def _merge_target(session: Any, item_type: str, into: Any) -> Any:
    """The item named in a merge's body; a missing one is the body's fault (422), not the path's."""
    finders: dict[str, Callable[[Any, Any], Any]] = {
        "department": catalog.get_department, "group": catalog.get_group,
        "category": catalog.get_category, "ci": ci_items.get_ci_by_key}
    try:
        return finders[item_type](session, into)
    except NotFound as exc:
        raise ValidationFailed({"into": [exc.detail]}) from None


def _item(path: str, name: str, item_type: str, find: Callable[[Any, Any], Any], patch_schema: type,
          update: Callable[..., Any], merge_schema: type = MergeSchema) -> None:
    """GET, PATCH and DELETE of one item, and POST .../merge; ``path`` ends in the one variable."""
    variable = path.rsplit("<", 1)[1].rstrip(">").rpartition(":")[2]

    class Item(MethodView):
        @requires("org:read")
        @bp.response(200, OrgOut)
        def get(self, **ident: Any) -> Any:
            with reading() as session:
                return catalog.present(session, find(session, ident[variable]))

        @requires("org:write")
        @bp.arguments(patch_schema)
        @bp.response(200, OrgOut)
        def patch(self, data: dict[str, Any], **ident: Any) -> Any:
            """Change the fields sent; a loop in the item hierarchy is refused (409)."""
            with unit_of_work() as session:
                row = find(session, ident[variable])
                update(session=session, item=row, changes=data, actor=actor("api"))
                return catalog.present(session, row)

        @requires("org:write")
        @bp.response(204)
        def delete(self, **ident: Any) -> Any:
            """Delete it; refused (409, with ``in_use`` counts) while tickets or other rows use it."""
            with unit_of_work() as session:
                org_usage.delete_item(session=session, item_type=item_type, item=find(session, ident[variable]),
                                      actor=actor("api"))
            return ""

    Item.__name__ = name
    bp.route(path)(Item)

    @bp.route(path + "/merge", methods=["POST"], endpoint=f"{name}Merge")
    @requires("org:write")
    @bp.arguments(merge_schema)
    @bp.response(200, MergeResultSchema)
    def merge(data: dict[str, Any], **ident: Any) -> Any:
        """Move its tickets (with an audit row each) and everything else onto ``into``, then delete it."""
        with unit_of_work() as session:
            row = find(session, ident[variable])
            gone = org_usage.name_of(item_type, row)
            target = _merge_target(session, item_type, data["into"])
            moved = org_usage.merge_item(session=session, item_type=item_type, item=row, into=target,
                                         actor=actor("api"))
            return {"merged": gone, "into": catalog.present(session, target), "moved": moved}


def _update(function: Callable[..., Any], keyword: str) -> Callable[..., Any]:
    def update(*, session: Any, item: Any, changes: dict[str, Any], actor: Any) -> Any:
        return function(session=session, changes=changes, actor=actor, **{keyword: item})

    return update


_item("/departments/<slug>", "Department", "department", catalog.get_department, DepartmentPatchSchema,
      _update(catalog.update_department, "department"))
_item("/groups/<slug>", "Group", "group", catalog.get_group, GroupPatchSchema, _update(catalog.update_group, "group"))
_item("/categories/<int:category_id>", "Category", "category", catalog.get_category, CategoryPatchSchema,
      _update(catalog.update_category, "category"), CategoryMergeSchema)
_item("/configuration-items/<int:item_id>", "ConfigurationItem", "ci", ci_items.get_ci,
      ConfigurationItemPatchSchema, _update(ci_items.update_ci, "item"))


@bp.route("/groups/<slug>/members/<username>")
class GroupMember(MethodView):
    @requires("org:write")
    @bp.response(200, OrgOut)
    def put(self, slug: str, username: str) -> Any:
        """Put an agent or admin in the group (nothing changes when they are in it already)."""
        with unit_of_work() as session:
            group = catalog.get_group(session, slug)
            group_members.add_member(session=session, group=group, username=username, actor=actor("api"))
            return catalog.present(session, group)

    @requires("org:write")
    @bp.response(204)
    def delete(self, slug: str, username: str) -> Any:
        """Take the user out of the group; 404 when they are not in it."""
        with unit_of_work() as session:
            group = catalog.get_group(session, slug)
            if not group_members.remove_member(session=session, group=group, username=username, actor=actor("api")):
                raise NotFound(f"{username!r} is not a member of group {slug!r}.")
        return ""


@bp.route("/configuration-items/<int:item_id>/history", methods=["GET"])
@requires("org:read")
@bp.arguments(HistoryArgs, location="query")
@bp.response(200, HistorySchema)
def ci_history_view(args: dict[str, Any], item_id: int) -> Any:
    """The item's tickets and changes newest first, its recurring faults (by correlation key) and
    its admin log. Staff only: it lists every ticket on the item, whoever raised it."""
    if not principal().can("tickets:read"):
        raise Forbidden("Only agents, admins and connectors see an item's tickets.")
    with reading() as session:
        history = ci_history(session, ci_items.get_ci(session, item_id), below=args["below"], limit=args["limit"])
        return present_history(session, history)


def present_history(session: Any, history: Any) -> dict[str, Any]:
    return {
        "item": catalog.present(session, history.item), "path": [step.key for step in history.path],
        "below": history.below, "items_covered": history.items_covered, "totals": history.totals,
        "tickets": [{"ref": t.ref, "kind": t.kind, "title": t.title, "status": t.status, "priority": t.priority,
                     "created_at": t.created_at, "ci": key, "correlation_key": t.correlation_key,
                     "occurrence_count": t.occurrence_count} for t, key in history.tickets],
        "recurring": [vars(row) for row in history.recurring],
        "log": [{"at": row.at, "action": row.action, "actor": row.actor_name, "origin": row.origin,
                 "changes": row.changes} for row in history.log],
    }


"""/api/v1/departments, groups, categories and configuration-items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.context import reading, unit_of_work
from hub.api.schemas.org import CategorySchema, ConfigurationItemSchema, DepartmentSchema, GroupSchema, OrgOut
from hub.auth.web import requires
from hub.models import Category, ConfigurationItem, Department, Group
from hub.tracker import catalog

bp = Blueprint("org", __name__, url_prefix="/api/v1", description="Departments, groups, categories, items.")


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


_collection("/departments", "Departments", Department, DepartmentSchema, catalog.create_department)
_collection("/groups", "Groups", Group, GroupSchema, catalog.create_group)
_collection("/categories", "Categories", Category, CategorySchema, catalog.create_category)
_collection("/configuration-items", "ConfigurationItems", ConfigurationItem, ConfigurationItemSchema, catalog.create_ci)

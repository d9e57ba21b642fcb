"""pytest plugin (entry point ``pytest11``): fixtures the connector contract suite uses.

Registered for every test run of a project that has itsm-hub installed, so it imports
nothing heavy until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class ContractHub:
    """A throw-away hub (SQLite in a temp folder) to run a connector's events through."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ticket_count_after_first = 0
        self.ticket_count_after_second = 0
        self._apps: list[Any] = []

    def app_with(self, connector_cls: type[Any]) -> Any:
        from hub import create_app
        from hub.hookspecs import hookimpl

        class ContractPlugin:
            @hookimpl
            def register_connectors(self) -> list[type]:
                return [connector_cls]

        app = create_app({
            "INSTANCE_PATH": str(self.folder / f"hub-{len(self._apps)}"), "LOAD_ENTRYPOINTS": False,
            "AUTO_MIGRATE": True, "SECRET_KEY": "contract", "PLUGINS": [("contract-under-test", ContractPlugin())],
        })
        self._apps.append(app)
        return app

    def ingest_twice(self, connector_cls: type[Any], config: dict[str, Any], first: list[Any],
                     second: list[Any]) -> tuple[list[Any], list[Any]]:
        """Ingest ``first``, then ``second`` (the same events delivered again)."""
        from sqlalchemy import func, select

        from hub.ingest.pipeline import ingest
        from hub.models import Ticket
        from hub.plugins.instances import build_connector, create_instance

        runtime = self.app_with(connector_cls).extensions["hub"]
        with runtime.db.transaction() as session:
            instance = create_instance(session=session, connector=connector_cls.slug, slug="contract",
                                       config=config, enabled=True)
            instance_id = instance.id
        results = []
        for attempt, raws in enumerate((first, second)):
            with runtime.db.transaction() as session:
                from hub.models import ConnectorInstance

                instance = session.get(ConnectorInstance, instance_id)
                connector = build_connector(session, instance)
                try:
                    results.append([ingest(session=session, instance=instance, connector=connector, raw=raw)
                                    for raw in raws])
                finally:
                    connector.close()
                count = session.scalar(select(func.count(Ticket.id))) or 0
            if attempt == 0:
                self.ticket_count_after_first = count
            else:
                self.ticket_count_after_second = count
        return results[0], results[1]

    def close(self) -> None:
        for app in self._apps:
            app.extensions["hub"].db.dispose()


@pytest.fixture
def hub_contract_app(tmp_path: Path) -> Iterator[ContractHub]:
    hub = ContractHub(tmp_path)
    yield hub
    hub.close()

"""A major incident's public update reaches a child that came from RT through RT (issue 22 point 3):
the child's requester hears it where they reported, as a reply on their RT ticket, once."""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import add_instance, only_incident
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain

Server = FakeServer[RTFake]
UPDATE = "The VPN concentrator is replaced; connections hold again."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("rt", "connectors.rt")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def test_an_update_on_the_major_is_a_reply_on_the_childs_rt_ticket(api: Any, app: Any, runtime: Any,
                                                                    rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server)
    made = server.fake.create_ticket("General", "VPN drops every hour", requestor=["fred@example.com"])
    run_poll(runtime, instance)
    child = only_incident(api)["ref"]
    major = api.post("/api/v1/incidents", json={"title": "VPN down for everyone"}).json["ref"]
    assert api.post(f"/api/v1/incidents/{major}/major", json={}).status_code == 200
    assert api.post(f"/api/v1/incidents/{major}/children", json={"refs": [child]}).status_code == 200

    assert api.post(f"/api/v1/incidents/{major}/comments", json={"body": UPDATE}).status_code == 201
    api.post(f"/api/v1/incidents/{major}/comments", json={"body": "Vendor ticket 4711.", "visibility": "internal"})
    drain(app)
    run_poll(runtime, instance)  # the hub's own reply comes back in the poll: it must not be taken twice
    drain(app)

    ticket_id = int(made["id"])

    def text(transaction_id: int) -> str:
        return " ".join(part.content.decode(errors="replace") for part in server.fake.attachments(transaction_id))

    replies = [t for t in server.fake.transactions(ticket_id) if t.type == "Correspond" and t.creator == "hub"]
    assert len(replies) == 1 and UPDATE in text(replies[0].id)
    assert not [t for t in server.fake.transactions(ticket_id) if "4711" in text(t.id)]
    assert [c["body"] for c in api.get(f"/api/v1/incidents/{child}/comments").json] == [UPDATE]

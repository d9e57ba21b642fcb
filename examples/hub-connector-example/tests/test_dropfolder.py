"""The drop-folder connector passes the hub's connector contract."""

import json

import pytest
from hub_dropfolder.connector import DropFolder

from hub.testing import connector_test_class


def folders(request):
    """Two files dropped once per test; the contract may ask for the config many times."""
    root = request.getfixturevalue("tmp_path")
    if not (root / "in").exists():
        (root / "in").mkdir()
        (root / "out").mkdir()
        (root / "in" / "1.json").write_text(json.dumps({"id": "L-1", "title": "Label printer offline"}))
        (root / "in" / "2.json").write_text(json.dumps({"id": "L-2", "title": "Conveyor noise", "impact": "high"}))
    return {"inbox": str(root / "in"), "outbox": str(root / "out")}


TestDropFolder = connector_test_class(
    DropFolder,
    config=folders,
    bad_config={"inbox": 42},
    fault_config={"inbox": "/nonexistent/in", "outbox": "/nonexistent/out"},
)


def test_a_broken_file_is_quarantined_not_fatal(tmp_path):
    from hub.sdk import SkippableError
    from hub.testing.contract import build, event_info

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "bad.json").write_text("{not json")
    connector = build(DropFolder, {"inbox": str(tmp_path / "in"), "outbox": str(tmp_path / "out")})
    (event,) = [item for item in connector.poll({}) if hasattr(item, "idempotency_key")]
    with pytest.raises(SkippableError, match=r"bad\.json is not JSON"):
        connector.normalize(event_info(event))

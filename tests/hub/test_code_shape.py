"""The code stays readable in pieces: no module of the hub, the connectors or the plugins over
400 lines (split it by what it holds). Function complexity is held by ruff (C901, ruff.toml)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def test_no_module_over_400_lines() -> None:
    too_long = {}
    for package in ("hub", "connectors", "plugins"):
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long, f"split these modules by what they hold (at most {MAX_LINES} lines): {too_long}"


def test_ruff_holds_complexity_at_15() -> None:
    text = (ROOT / "ruff.toml").read_text()
    assert '"C90"' in text and "max-complexity = 15" in text

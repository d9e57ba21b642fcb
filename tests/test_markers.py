"""Markers given by directory (tests/conftest.py) deselect what they should.

Each check collects in a fresh pytest process, as a developer's ``pytest -m ...`` would:
``-m "not slow"`` must leave no fault test, and so on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("paths", "expression"), [
    (["tests/faults"], "not slow or not redis"),
    (["tests/browser", "tests/security/test_markup_in_browser.py"], "not browser or not slow"),
    (["tests/connectors/rt_real"], "not rt"),
])
def test_every_test_there_carries_the_markers(paths: list[str], expression: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
                           "-m", expression, *paths], cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    # Exit code 5 is "no tests collected": every test was deselected, as it should be.
    assert done.returncode == 5, f"-m {expression!r} still selects tests in {paths}:\n{output}"
    deselected = re.search(r"no tests collected \((\d+) deselected\)", output)
    assert deselected and int(deselected.group(1)) > 0, output

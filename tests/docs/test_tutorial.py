"""The connector tutorial shows the example package's real files, and the package passes its tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hub-connector-example"
BLOCK = re.compile(r'```\w+ title="([^"]+)"\n(.*?)```\n', re.DOTALL)


def test_every_file_block_in_the_tutorial_equals_the_file() -> None:
    text = (ROOT / "docs" / "writing-a-connector.md").read_text()
    blocks = BLOCK.findall(text)
    assert {path for path, _ in blocks} >= {
        "examples/hub-connector-example/setup.cfg",
        "examples/hub-connector-example/src/hub_dropfolder/__init__.py",
        "examples/hub-connector-example/src/hub_dropfolder/connector.py",
        "examples/hub-connector-example/tests/test_dropfolder.py",
    }
    for path, code in blocks:
        assert (ROOT / path).read_text() == code, f"docs/writing-a-connector.md shows an old {path}"


def test_the_example_package_passes_the_contract() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE / "src"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-m", "pytest", str(EXAMPLE), "-q", "-p", "no:cacheprovider"],
                            cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "10 passed" in result.stdout

"""Meta-tests: every hook is documented with its exact signature, and every hook has a test."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.app.docs_gen import hook_functions, hook_signature, hooks_section, render_hooks_reference

ROOT = Path(__file__).resolve().parents[2]


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    docs = (ROOT / "docs" / "hooks.md").read_text()
    assert hooks_section(ROOT / "docs" / "hooks.md") == render_hooks_reference(), \
        "docs/hooks.md is stale: run `itsm-hub config docs`"
    for name, function, _ in hook_functions():
        assert f"### `{name}`" in docs
        assert hook_signature(function) in docs


def test_every_hook_has_a_test() -> None:
    tested = set()
    for path in (ROOT / "tests" / "hub" / "hooks").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                tested.add(node.name.removeprefix("test_hook_"))
    missing = [name for name, _, _ in hook_functions() if name not in tested]
    assert not missing, f"hooks without a test_hook_<name> in tests/hub/hooks: {missing}"


def test_every_hook_has_a_docstring_and_typed_arguments() -> None:
    for name, function, _ in hook_functions():
        assert (function.__doc__ or "").strip(), name
        annotations = function.__annotations__
        assert "return" in annotations, name

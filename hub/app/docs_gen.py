"""Reference sections of the docs, generated from the code so they cannot drift.

``itsm-hub config docs`` writes them; tests compare the committed files with this output.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from hub import hookspecs

HOOKS_START = "<!-- hooks:start (generated from hub/hookspecs.py by `itsm-hub config docs`) -->"
HOOKS_END = "<!-- hooks:end -->"


def hook_functions() -> list[tuple[str, object, bool]]:
    """(name, function, firstresult) for every hookspec, in the file's order."""
    found = []
    for name, function in vars(hookspecs).items():
        options = getattr(function, f"{hookspecs.PROJECT}_spec", None)
        if options is not None:
            found.append((name, function, bool(options.get("firstresult"))))
    return found


def hook_signature(function: object) -> str:
    annotations = dict(getattr(function, "__annotations__", {}))
    returns = annotations.pop("return", "None")
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    arguments = ", ".join(f"{name}: {annotations.get(name, 'Any')}" for name in parameters)
    return f"{function.__name__}({arguments}) -> {returns}"  # type: ignore[attr-defined]


def render_hooks_reference() -> str:
    lines = [HOOKS_START, ""]
    for name, function, firstresult in hook_functions():
        lines.append(f"### `{name}`")
        lines.append("")
        lines.append("```python")
        lines.append(hook_signature(function))
        lines.append("```")
        lines.append("")
        if firstresult:
            lines.append("*Stops at the first non-None result.*")
            lines.append("")
        doc = inspect.cleandoc(function.__doc__ or "")
        lines.append(doc)
        lines.append("")
    lines.append(HOOKS_END)
    return "\n".join(lines)


def update_hooks_doc(path: Path) -> None:
    text = path.read_text()
    start, end = text.index(HOOKS_START), text.index(HOOKS_END) + len(HOOKS_END)
    path.write_text(text[:start] + render_hooks_reference() + text[end:])


def hooks_section(path: Path) -> str:
    text = path.read_text()
    return text[text.index(HOOKS_START): text.index(HOOKS_END) + len(HOOKS_END)]

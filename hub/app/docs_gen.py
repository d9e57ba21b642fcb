"""Reference sections of the docs, generated from the code so they cannot drift.

``itsm-hub config docs`` writes them; tests compare the committed files with this output.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

from hub import hookspecs

HOOKS_START = "<!-- hooks:start (generated from hub/hookspecs.py by `itsm-hub config docs`) -->"
HOOKS_END = "<!-- hooks:end -->"
#: Hooks a plugin declares (register_hookspecs) get their own generated section, named by
#: the module that declares them: ``<!-- plugin-hooks:start plugins.sla.hookspecs -->``.
PLUGIN_HOOKS = re.compile(r"<!-- plugin-hooks:start ([\w.]+) -->.*?<!-- plugin-hooks:end -->", re.S)


def hook_functions(module: ModuleType = hookspecs) -> list[tuple[str, object, bool]]:
    """(name, function, firstresult) for every hookspec of ``module``, in the file's order."""
    found = []
    for name, function in vars(module).items():
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


def render_hooks_reference(module: ModuleType = hookspecs) -> str:
    if module is hookspecs:
        lines, end = [HOOKS_START, ""], HOOKS_END
    else:
        lines, end = [f"<!-- plugin-hooks:start {module.__name__} -->", ""], "<!-- plugin-hooks:end -->"
    for name, function, firstresult in hook_functions(module):
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
    lines.append(end)
    return "\n".join(lines)


def update_hooks_doc(path: Path) -> None:
    text = path.read_text()
    start, end = text.index(HOOKS_START), text.index(HOOKS_END) + len(HOOKS_END)
    text = text[:start] + render_hooks_reference() + text[end:]
    # Imported by the name the page gives, so the core names no plugin in its code.
    text = PLUGIN_HOOKS.sub(lambda found: render_hooks_reference(importlib.import_module(found.group(1))), text)
    path.write_text(text)


def hooks_section(path: Path) -> str:
    text = path.read_text()
    return text[text.index(HOOKS_START): text.index(HOOKS_END) + len(HOOKS_END)]


def plugin_hooks_sections(path: Path) -> dict[str, str]:
    """Declaring module -> its generated section, for every plugin-hooks section of the page."""
    return {found.group(1): found.group(0) for found in PLUGIN_HOOKS.finditer(path.read_text())}

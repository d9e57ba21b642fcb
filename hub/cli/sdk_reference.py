"""docs/sdk-reference.md, generated from hub.sdk's docstrings so it cannot drift.

Everything a connector author may import from ``hub.sdk`` (its ``__all__``), grouped by
the module that defines it: classes with their public methods and, for the values
(dataclasses), every field with its type and the docstring written under it in the
source; then the service modules (``SERVICE_MODULES``), function by function.
``itsm-hub config docs`` writes the file; tests/docs/test_sdk_reference.py fails when the
committed file differs from this output.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
import textwrap
from collections import defaultdict
from typing import Any

HEADER = """# hub.sdk reference

<!-- generated from hub/sdk by `itsm-hub config docs`; do not edit by hand -->

Every name a connector or plugin may import from `hub.sdk`, grouped by the module that
defines it, then the services it calls with its session (`hub.sdk.hub_services`,
`hub.sdk.tracker`). These names keep working across minor versions of the SDK
(`hub.sdk.__version__`, semantic versioning); anything else in `hub` may move between
releases. The tutorial is [writing-a-connector.md](writing-a-connector.md).

"""


def _markdown(text: str) -> str:
    """Docstrings are written for Sphinx-like readers: ``code`` and :class:`name` become `code`."""
    return re.sub(r":[a-z]+:`([^`]+)`", r"`\1`", text).replace("``", "`")


def _doc(obj: Any) -> str:
    return _markdown(inspect.cleandoc(obj.__doc__)) if obj.__doc__ else ""


def _field_docs(cls: type) -> dict[str, str]:
    """The string literal written under each class attribute (how values.py documents fields)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found: dict[str, str] = {}
    for statement, following in zip(body, [*body[1:], None], strict=True):
        target = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and isinstance(following, ast.Expr) \
                and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str):
            found[target.id] = _markdown(inspect.cleandoc(following.value.value))
    return found


def _signature(obj: Any, *, drop_first: bool = False) -> str:
    """The signature as written in the source (annotations are strings here: no quotes added)."""
    try:
        parameters = list(inspect.signature(obj).parameters.values())
        returns = inspect.signature(obj).return_annotation
    except (TypeError, ValueError):
        return "(...)"
    if drop_first and parameters:
        parameters = parameters[1:]
    parts, star_done = [], False
    for parameter in parameters:
        if parameter.kind is parameter.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        prefix = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(parameter.kind.name, "")
        star_done = star_done or parameter.kind is parameter.VAR_POSITIONAL
        text = prefix + parameter.name
        if parameter.annotation is not parameter.empty:
            text += f": {_annotation(parameter.annotation)}"
        if parameter.default is not parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    arrow = f" -> {_annotation(returns)}" if returns is not inspect.Signature.empty else ""
    return f"({', '.join(parts)}){arrow}"


def _annotation(value: Any) -> str:
    return value if isinstance(value, str) else getattr(value, "__name__", str(value))


def _render_dataclass(cls: type) -> list[str]:
    docs = _field_docs(cls)
    lines = ["| Field | Type | Default | Meaning |", "|---|---|---|---|"]
    for item in dataclasses.fields(cls):
        if item.default is not dataclasses.MISSING:
            default = f"`{item.default!r}`"
        elif item.default_factory is not dataclasses.MISSING:
            default = f"`{item.default_factory()!r}`"
        else:
            default = "required"
        kind = _annotation(item.type).replace("|", "\\|")
        meaning = docs.get(item.name, "").replace("\n", " ").replace("|", "\\|")
        lines.append(f"| `{item.name}` | `{kind}` | {default} | {meaning} |")
    return [*lines, ""]


def _own_methods(cls: type) -> list[tuple[str, Any]]:
    methods = []
    for name, member in vars(cls).items():
        if name.startswith("_") or not (inspect.isfunction(member) or isinstance(member, classmethod | property)):
            continue
        methods.append((name, member))
    return methods


def _render_class(name: str, cls: type) -> list[str]:
    bases = [base.__name__ for base in cls.__bases__ if base is not object]
    lines = [f"### `{name}`" + (f" ({', '.join(bases)})" if bases else ""), ""]
    if _doc(cls):
        lines += [_doc(cls), ""]
    if dataclasses.is_dataclass(cls):
        lines += _render_dataclass(cls)
    for method_name, member in _own_methods(cls):
        function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        label = "property " if isinstance(member, property) else "classmethod " if isinstance(member, classmethod) \
            else ""
        signature = "" if isinstance(member, property) else _signature(function, drop_first=True)
        lines += [f"- {label}`{method_name}{signature}`" + (": " + _doc(function).replace("\n", "\n  ")
                                                             if _doc(function) else "")]
    if _own_methods(cls):
        lines.append("")
    return lines


#: Modules of functions taking the caller's session (each declares its protocol, which the
#: core implements): documented function by function after the names ``hub.sdk`` exports.
SERVICE_MODULES = ("hub.sdk.hub_services", "hub.sdk.tracker")


def _render_services(module_name: str) -> list[str]:
    import importlib

    module = importlib.import_module(module_name)
    short = module_name.rsplit(".", 1)[-1]
    lines = [f"## `{module_name}`", "", _doc(module).split("\n\n")[0], "",
             f"Call them through the module (`from hub.sdk import {short}`), with your session.", ""]
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) and obj.__module__ == module_name:
            lines += [f"### `{short}.{name}{_signature(obj)}`", ""] + ([_doc(obj), ""] if _doc(obj) else [])
    return lines


def render_sdk_reference() -> str:
    import hub.sdk as sdk

    by_module: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for name in sdk.__all__:
        obj = getattr(sdk, name)
        module = getattr(obj, "__module__", "hub.sdk") or "hub.sdk"
        if not inspect.isclass(obj) and not callable(obj):
            module = "hub.sdk"
        by_module[module].append((name, obj))
    lines = [HEADER]
    for module in sorted(by_module):
        summary = _doc(sys.modules[module]).split("\n\n")[0] if module in sys.modules else ""
        lines += [f"## `{module}`", "", summary, ""]
        for name, obj in sorted(by_module[module], key=lambda pair: pair[0].lower()):
            if inspect.isclass(obj):
                lines += _render_class(name, obj)
            elif callable(obj):
                lines += [f"### `{name}{_signature(obj)}`", "", _doc(obj), ""]
            else:
                lines += [f"### `{name}`", "", f"`{obj!r}`", ""]
    for module_name in SERVICE_MODULES:
        lines += _render_services(module_name)
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"

"""URL rules whose builder functions are compiled once a process, not once an app.

Werkzeug compiles two small Python functions for every URL rule it binds (to build URLs for
``url_for``): an AST assembled and passed to ``compile()``. With some 650 rules that was over
half of what building an app cost, paid again by every app a process builds (each test, each
``itsm-hub`` command that builds one next to the running one). The compiled function depends
only on the rule's text, its parts and whether unknown arguments are appended: it reads the
rule's converters through its ``self`` argument when called. Rules with defaults (whose values
are baked in) are compiled as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_BUILDERS: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


class SharedBuilderRule(Rule):
    """A werkzeug Rule that reuses the builder another rule of the same shape compiled."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        builder = _BUILDERS.get(key)
        if builder is None:
            builder = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return builder

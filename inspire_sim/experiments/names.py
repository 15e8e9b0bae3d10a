"""Names that become paths: a spec, output or scenario name is made safe before it
names a directory or file (no ``../``, no absolute paths, no separators)."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(text: str, default: str = "experiment", limit: int = 80) -> str:
    """``"../etc/x y"`` -> ``"etc_x_y"``: letters, digits, ``_ . -`` only, no leading dot."""
    name = _UNSAFE.sub("_", str(text)).strip("._-")[:limit]
    return name or default

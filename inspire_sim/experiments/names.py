"""Names that become paths: a spec, output or scenario name is made safe before it
names a directory or file (no ``../``, no absolute paths, no separators).

The rule lives in :func:`inspire_sim.outdir.safe_name`; experiments default to ``"experiment"``.
"""

from __future__ import annotations

from ..outdir import safe_name as _safe_name


def safe_name(text: str, default: str = "experiment", limit: int = 80) -> str:
    """``"../etc/x y"`` -> ``"etc_x_y"``: letters, digits, ``_ . -`` only, no leading dot."""
    return _safe_name(text, default, limit)

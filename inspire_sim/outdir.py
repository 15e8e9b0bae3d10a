"""Output folders that commands own: a marker file says which command wrote a folder.

``run`` and ``compare`` (and the analyses built on them) write into ``--out``. They must never
overwrite a folder that is not theirs: :func:`claim` accepts a new or empty folder, or one that
carries this command's marker (``.inspire-sim``), and refuses anything else in one line. Default
folder names derived from scenario names are made safe with :func:`safe_name` first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import InputError

MARKER = ".inspire-sim"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(text: str, default: str = "output", limit: int = 80) -> str:
    """``"../etc/x y"`` -> ``"etc_x_y"``: letters, digits, ``_ . -`` only, no leading dot."""
    name = _UNSAFE.sub("_", str(text)).strip("._-")[:limit]
    return name or default


def owner(path: Path) -> str | None:
    """The command that wrote ``path`` (from its marker), or None."""
    marker = Path(path) / MARKER
    if not marker.is_file():
        return None
    try:
        return str(json.loads(marker.read_text(encoding="utf-8")).get("kind"))
    except (OSError, ValueError, AttributeError):
        return "unknown"


def claim(path: Path, kind: str, field: str = "--out") -> Path:
    """Make ``path`` an output folder of command ``kind``; refuse a folder that belongs to someone else."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise InputError("exists and is not a directory", source=str(path), field=field, fix="give a folder path")
        got = owner(path)
        if got is not None and got != kind:
            raise InputError(
                f"holds the output of 'inspire-sim {got}'",
                source=str(path),
                field=field,
                fix=f"choose another {field} for '{kind}'",
            )
        if got is None and any(path.iterdir()):
            raise InputError(
                "exists, is not empty and was not written by inspire-sim (no .inspire-sim marker)",
                source=str(path),
                field=field,
                fix=f"choose a new or empty {field}",
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).write_text(json.dumps({"kind": kind}) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write ({exc.strerror or exc})", source=str(path), field=field, fix="choose a writable folder"
        ) from None
    return path

"""Render the teaching notebooks to HTML that students can read without running anything.

Executes each notebook in ``notebooks/`` (nbclient) and exports it with nbconvert to
``docs/notebooks/<name>.html`` (figures embedded). The stored notebooks stay without outputs.
``docs/notebooks/sources.json`` records a hash of each notebook's cells as rendered, so a test
can tell when a rendering is out of date.

    .venv/bin/python notebooks/render.py            # all notebooks
    .venv/bin/python notebooks/render.py 01_first_run
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import nbclient
import nbformat
from nbconvert import HTMLExporter

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "notebooks"
NAMES = sorted(p.stem for p in HERE.glob("[0-9][0-9]_*.ipynb"))
TIMEOUT_S = 300
SOURCES = OUT / "sources.json"


def source_hash(name: str) -> str:
    """SHA-256 of the notebook's cell types and sources (what the rendering shows, before outputs)."""
    nb = nbformat.read(HERE / f"{name}.ipynb", as_version=4)
    text = json.dumps([[c.cell_type, c.source] for c in nb.cells])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render(name: str, out: Path = OUT) -> Path:
    """Execute notebook ``name`` and write its HTML rendering; return the HTML path."""
    nb = nbformat.read(HERE / f"{name}.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    ).execute()
    exporter = HTMLExporter(embed_images=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name.replace("_", " ")}})
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}.html"
    target.write_text(body, encoding="utf-8")
    hashes = json.loads(SOURCES.read_text()) if SOURCES.exists() else {}
    hashes[name] = source_hash(name)
    SOURCES.write_text(json.dumps(dict(sorted(hashes.items())), indent=1) + "\n")
    return target


def main(argv: list[str]) -> int:
    for name in argv or NAMES:
        if name not in NAMES:
            print(f"render: no notebook {name!r} (choose from {', '.join(NAMES)})", file=sys.stderr)
            return 2
        print(f"rendered {render(name).relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

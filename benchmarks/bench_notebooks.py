"""Benchmark of the teaching notebooks: seconds each takes to run end to end (promise: under two minutes).

Runs every notebook of notebooks/ with nbclient, as tests/test_notebooks.py does (that test checks
what each notebook shows, never how long it takes), and prints the wall and the budget.

    .venv/bin/python benchmarks/bench_notebooks.py [--reps 1] [NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BUDGET_S = 120.0


def run_once(name: str) -> float:
    """Seconds to execute notebook ``name`` in a fresh kernel."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=int(BUDGET_S), kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebook names (default: all)")
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    names = args.names or sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    over = 0
    for name in names:
        secs = [run_once(name) for _ in range(args.reps)]
        med = statistics.median(secs)
        over += med > BUDGET_S
        flag = "  OVER" if med > BUDGET_S else ""
        print(f"{name:<20} {med:7.1f} s (median of {len(secs)}; budget {BUDGET_S:.0f} s){flag}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the classroom app: months per second on screen with 500 SMEs (target >= 5).

Drives the real app in headless Chromium through the browser test of the play loop
(tests/test_app_browser.py::test_play_draws_every_month_with_500_smes: the fastest speed,
8 months per second, milestone pauses off), which records the measured rate in
test-artifacts/app_speed.json, and reports it against the target.

    .venv/bin/python benchmarks/bench_app.py [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 5.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    rates, shown = [], []
    for _ in range(args.reps):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_app_browser.py::test_play_draws_every_month_with_500_smes",
            ],
            cwd=ROOT,
            check=True,
        )
        data = json.loads((ROOT / "test-artifacts" / "app_speed.json").read_text())
        rates.append(data["steps_per_s_on_screen"])
        shown.append(data["share_of_months_shown"])
    med = statistics.median(rates)
    print(
        f"app, 500 SMEs: {med:.1f} steps/s on screen (median of {args.reps}: {rates}), "
        f"months drawn {min(shown):.0%}-{max(shown):.0%}; target >= {TARGET}: {'met' if med >= TARGET else 'NOT met'}"
    )
    return 0 if med >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

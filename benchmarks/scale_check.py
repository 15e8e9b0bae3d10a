"""Scale invariance: shares and paired plan effects at 2,000 vs 20,000 simulated SMEs.

    .venv/bin/python benchmarks/scale_check.py [--reps 10] [--sizes 2000 20000]
        [--out benchmarks/results/scale_check.json]

For each size, ``reps`` paired replications (same seeds) of ``baseline`` and
``national_funding``; late-window means (the last 60 reporting months) of the
cooperating and cross-border shares, and the paired effect of the plan. The issue's
target: every number agrees within 0.015 between the sizes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import inspire_sim as I

COLS = ("cooperating_share", "cross_border_share", "project_success_rate")
WINDOW = 60


def late(runs, col: str) -> np.ndarray:
    return np.array([r.timeseries[col].iloc[-WINDOW:].mean() for r in runs])


def measure(n: int, reps: int, seed: int, plan: str) -> dict[str, float]:
    base = I.run_replications(I.load_scenario("baseline", n_smes=n), reps, seed=seed, record_partnerships=False)
    alt = I.run_replications(I.load_scenario(plan, n_smes=n), reps, seed=seed, record_partnerships=False)
    out: dict[str, float] = {}
    for col in COLS:
        b, a = late(base, col), late(alt, col)
        out[f"baseline.{col}"] = float(b.mean())
        out[f"effect.{col}"] = float((a - b).mean())
        out[f"effect_se.{col}"] = float((a - b).std(ddof=1) / np.sqrt(reps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plan", default="national_funding")
    ap.add_argument("--out", default="benchmarks/results/scale_check.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = {str(n): measure(n, args.reps, args.seed, args.plan) for n in args.sizes}
    lo, hi = (str(args.sizes[0]), str(args.sizes[-1]))
    diffs = {k: abs(res[hi][k] - res[lo][k]) for k in res[lo] if not k.startswith("effect_se")}
    report = {
        "reps": args.reps,
        "seed": args.seed,
        "plan": args.plan,
        "window_months": WINDOW,
        "results": res,
        "abs_difference": diffs,
        "max_abs_difference": max(diffs.values()),
        "within_0.015": all(v <= 0.015 for v in diffs.values()),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

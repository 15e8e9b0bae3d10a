"""The numbers of issue 8's closing note (besides scale_check.py and bench_model.py).

    .venv/bin/python benchmarks/issue8_numbers.py [--reps 10] [--out benchmarks/results/issue8_numbers.json]

* uptake (take-up, additionality, deadweight, unused) of each shipped lever, by virtual trial;
* the failure-recovery effect on the retry rate and the cooperating share (paired runs);
* cross-border brokering at capacity x1 vs x2 (paired runs).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import inspire_sim as I
from inspire_sim.analyses.trial import run_trial

TRIALS = {  # lever -> the shipped scenario it is trialled in
    "support_funding": "baseline",
    "matchmaking": "baseline",
    "cross_border_brokering": "cross_border_brokering",
    "oi_toolbox": "toolbox_and_recovery",
    "failure_recovery": "toolbox_and_recovery",
}


def late(runs, col: str, window: int = 60) -> np.ndarray:
    return np.array([r.timeseries[col].iloc[-window:].mean() for r in runs])


def paired(a, b, col: str) -> dict[str, float]:
    d = late(b, col) - late(a, col)
    return {
        "base": float(late(a, col).mean()),
        "plan": float(late(b, col).mean()),
        "effect": float(d.mean()),
        "se": float(d.std(ddof=1) / np.sqrt(len(d))),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="benchmarks/results/issue8_numbers.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out: dict[str, object] = {"reps": args.reps, "seed": args.seed}
    uptake = {}
    for lever, scen in TRIALS.items():
        res = run_trial(I.load_scenario(scen), lever, replications=args.reps, seed=args.seed)
        m = res.uptake[["awarded", "take_up", "additionality", "deadweight", "unused"]].mean()
        uptake[lever] = {"scenario": scen, **{k: float(v) for k, v in m.items()}}
        e = res.effects.set_index(["outcome", "horizon_months"])
        uptake[lever]["effect_projects_started_24m"] = float(e.loc[("projects_started", 24), "effect"])
    out["uptake"] = uptake
    base = I.load_scenario("baseline")
    rec = base.with_overrides({"failure_recovery.capacity": 2000, "failure_recovery.budget_per_step": 24_000_000.0})
    a = I.run_replications(base, args.reps, seed=args.seed, record_partnerships=False)
    b = I.run_replications(rec, args.reps, seed=args.seed, record_partnerships=False)
    out["failure_recovery"] = {
        col: paired(a, b, col) for col in ("retry_rate_after_failure", "cooperating_share", "abandoned_share")
    }
    cb = I.load_scenario("cross_border_brokering")
    cap = next(p.model_dump()["capacity"] for p in cb.policies if p.kind == "cross_border_brokering")
    x1 = I.run_replications(cb, args.reps, seed=args.seed, record_partnerships=False)
    x2 = I.run_replications(
        cb.with_overrides({"cross_border_brokering.capacity": 2 * cap}),
        args.reps,
        seed=args.seed,
        record_partnerships=False,
    )
    out["brokering_capacity_x1_vs_x2"] = {
        col: paired(x1, x2, col)
        for col in ("cross_border_share", "cooperating_share", "awarded_cross_border_brokering_real")
    }
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

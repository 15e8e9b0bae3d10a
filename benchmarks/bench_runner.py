"""Benchmark of the experiment runner (issue 3).

200 runs of a 1,000-SME, 120-month baseline (a spec with 200 replications of one
design point), on: sequential (one pebble worker process, as a sweep with a time
limit runs); 2 local processes (pebble ProcessPool); a Dask LocalCluster of 2 worker
processes. Reports wall time, speed-up over sequential, and the runner overhead:
(sequential wall time - sum of the model's own run times) / model time, where the
model time is measured by timing ``inspire_sim.run.run`` directly on the same seeds.

    .venv/bin/python benchmarks/bench_runner.py [--runs 200] [--n-smes 1000] [--steps 120] [--repeat 3]

The second overhead figure, (sequential wall time - sum of the per-run durations the
runner records) / that sum, is measured within one sweep and so is robust to machine
noise; it excludes the per-run parameter override and statistics (inside duration_s).

Prints a Markdown table (medians over --repeat) to paste into benchmarks/RUNNER.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--n-smes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()

    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.experiments import DaskBackend, LocalProcesses, Sequential, run_sweep, spec_from_dict
    from inspire_sim.run import run

    spec = spec_from_dict(
        {
            "name": "bench",
            "scenario": "baseline",
            "replications": args.runs,
            "seed": 1,
            "steps": args.steps,
            "fixed": {"n_smes": args.n_smes},
            # the baseline's voucher budget, real EUR/month (one design point)
            "factors": [{"name": "support_funding.budget_per_step", "levels": [75_000_000.0]}],
            "outputs": [
                {"indicator": "cooperating_share", "statistic": "mean", "window": [args.steps - 11, args.steps]},
                {"indicator": "cross_border_share"},
                {"indicator": "spend_total", "statistic": "cumulative"},
            ],
        }
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-runner-"))

    def sweep(backend, tag):
        out = tmp / tag
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        res = run_sweep(spec, out, backend=backend, progress=False, figures=False)
        wall = time.perf_counter() - t0
        assert res.n_failed == 0, res.failures.head()
        return wall, res

    # model time: the same runs, timed directly (no runner)
    scen = load_scenario("baseline", n_smes=args.n_smes).with_overrides(
        {"support_funding.budget_per_step": 75_000_000.0}
    )
    seeds = None
    rows: dict[str, list[float]] = {"model": [], "sequential": [], "processes": [], "dask": []}
    overhead = []
    own = []  # runner's own share: (wall - sum of per-run durations) / sum of per-run durations
    for rep in range(args.repeat):
        wall_seq, res = sweep(Sequential(), "seq")
        seeds = res.runs["seed"].tolist()
        t0 = time.perf_counter()
        for s in seeds:
            run(scen, seed=s, steps=args.steps, record_partnerships=False)
        model = time.perf_counter() - t0
        rows["model"].append(model)
        rows["sequential"].append(wall_seq)
        overhead.append((wall_seq - model) / model)
        busy = float(res.runs["duration_s"].sum())
        own.append((wall_seq - busy) / busy)
        rows["processes"].append(sweep(LocalProcesses(args.workers), "proc")[0])
        if not args.skip_dask:
            backend = DaskBackend(workers=args.workers, processes=True)
            try:
                rows["dask"].append(sweep(backend, "dask")[0])
            finally:
                backend.close()
        print(f"repeat {rep + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in rows.items() if v), flush=True)

    med = {k: statistics.median(v) for k, v in rows.items() if v}
    print()
    print(
        f"{args.runs} runs x {args.n_smes} SMEs x {args.steps} months, {args.workers} workers, "
        f"median of {args.repeat}; cpu_count={os.cpu_count()}"
    )
    print()
    print("| setting | wall time (s) | per run (s) | speed-up vs sequential |")
    print("|---|---|---|---|")
    print(f"| model alone (`run()` in a loop, no runner) | {med['model']:.1f} | {med['model'] / args.runs:.3f} | - |")
    for k, label in (
        ("sequential", "runner, sequential"),
        ("processes", f"runner, {args.workers} local processes"),
        ("dask", f"runner, Dask LocalCluster ({args.workers} worker processes)"),
    ):
        if k in med:
            print(f"| {label} | {med[k]:.1f} | {med[k] / args.runs:.3f} | {med['sequential'] / med[k]:.2f}x |")
    print()
    print(
        f"runner overhead, sequential: {100 * statistics.median(overhead):.1f}% of model time "
        f"(runs: {', '.join(f'{100 * o:.1f}%' for o in overhead)})"
    )
    print(
        f"runner's own time outside the runs (wall - sum of per-run durations), sequential: "
        f"{100 * statistics.median(own):.2f}% (runs: {', '.join(f'{100 * o:.2f}%' for o in own)})"
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

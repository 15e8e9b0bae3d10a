"""The recorder's cost per month (issue 14): one run against a batch of 24 runs of 1,000 SMEs.

``Recorder.record`` is timed on one fixed reporting month (after the burn-in and 12
months), repeated ``--calls`` times in a fresh process; the number is the median call. Each
measure is repeated ``--reps`` times (fresh processes, alternating) and the median of those
medians is printed, with the time to build the four tables of every run after 120 months
(pandas warmed up).

The baseline scenario is used when its levers can run in a batch, else its economy without
levers (``no_support``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_recorder.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_SMES = 1000


def _scenario():
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.run import batchable

    scen = load_scenario("baseline", n_smes=N_SMES, steps=120)
    return scen if batchable(scen) else load_scenario("no_support", n_smes=N_SMES, steps=120)


def _child(runs: int, calls: int) -> dict:
    from inspire_sim.core.simulation import Simulation

    scen = _scenario()
    sim = Simulation(scen, list(range(1, runs + 1)))
    sim.burn_in()
    for _ in range(12):
        events = sim.step()
    rec = sim.recorder
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        rec.record(events)
        ts.append(time.perf_counter() - t0)
    for r in range(runs):  # warm pandas' code paths up (first calls are slow)
        for table in ("timeseries", "countries", "spend", "panel"):
            getattr(rec, table)(r)
    sim = Simulation(scen, list(range(1, runs + 1)))
    sim.burn_in()
    for _ in range(120):
        sim.step()
    t0 = time.perf_counter()
    for r in range(runs):
        for table in ("timeseries", "countries", "spend", "panel"):
            getattr(sim.recorder, table)(r)
    return {
        "scenario": scen.name,
        "record_us": statistics.median(ts) * 1e6,
        "tables_ms": (time.perf_counter() - t0) * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.calls)))
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    got: dict[int, list[dict]] = {1: [], 24: []}
    for _ in range(args.reps):
        for runs in got:
            cmd = [sys.executable, __file__, "--child", str(runs), "--calls", str(args.calls)]
            got[runs].append(json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True).stdout))
    one = statistics.median(g["record_us"] for g in got[1])
    for runs, results in got.items():
        rec = statistics.median(g["record_us"] for g in results)
        tables = statistics.median(g["tables_ms"] for g in results)
        print(
            f"{results[0]['scenario']}: R={runs:2d} x {N_SMES} SMEs: record {rec:6.0f} us/month "
            f"({rec / one:4.1f}x one run, {rec / runs:5.1f} us per run); tables of all runs {tables:6.1f} ms"
        )


if __name__ == "__main__":
    main()

"""Issue 14 targets for small runs: batched replications and design points.

Measures, on this machine, medians of ``--reps`` repetitions run alternately:

* ``model``: 24 runs x 1,000 SMEs x 120 months of the baseline through the Python API,
  ``inspire_sim.run.run_batch`` (one batch of 24) against ``inspire_sim.run.run`` in a loop
  (no batching), in one fresh process pinned to one CPU;
* ``sweep``: the same 24 runs through the command line, ``inspire-sim sweep SPEC
  --workers 1`` end to end (Python start-up, imports, the worker process, writing the
  results; figures off), with ``--batch auto`` and with ``--batch 1``;
* ``morris`` (with ``--morris``): the shipped Morris screening
  (``experiments/morris_screening.toml``, 1,140 runs x 1,000 SMEs) on 2 worker processes,
  batched and unbatched (each once: it takes minutes).

SME-steps/s = runs x n_smes x 120 reporting months / seconds (the 36 burn-in months are
simulated too but not counted). Results: ``benchmarks/results/bench_batch.{json,md}``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_batch.py              # model + sweep, 3 reps (~2 min)
    .venv/bin/python benchmarks/bench_batch.py --morris     # ... and the Morris screening (~5 min)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results"
RUNS, N_SMES, STEPS = 24, 1000, 120
TARGET_SWEEP = 2_000_000  # SME-steps/s, 24 runs x 1,000 SMEs x 120 months, sweep --workers 1
TARGET_MORRIS_S = 120.0


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _model_child(batched: bool) -> dict:
    """In a fresh process: the 24 runs through the API, batched or one by one."""
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.core.streams import replicate_seeds
    from inspire_sim.run import run, run_batch

    scen = load_scenario("baseline", n_smes=N_SMES, steps=STEPS)
    seeds = replicate_seeds(1, RUNS)
    t0, c0 = time.perf_counter(), time.process_time()
    if batched:
        run_batch(scen, seeds, record_partnerships=False)
    else:
        for s in seeds:
            run(scen, seed=s, record_partnerships=False)
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


def model(batched: bool, cpu: int) -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_batch as b; "
        f"print(json.dumps(b._model_child({batched})))"
    )
    cmd = [sys.executable, "-c", code]
    if cpu >= 0:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env(), cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spec(tmp: Path) -> Path:
    path = tmp / "rep24.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "rep24"
            description = "{RUNS} replications of the baseline at {N_SMES} SMEs (issue 14 benchmark)"
            scenario = "baseline"
            replications = {RUNS}
            seed = 1
            steps = {STEPS}
            [design]
            kind = "grid"
            [fixed]
            n_smes = {N_SMES}
            [[factors]]
            name = "support_funding.budget_per_step"
            levels = [75000000.0]
            [[outputs]]
            indicator = "cooperating_share"
            statistic = "mean"
            window = [-12, -1]
            """
        )
    )
    return path


def command(args: list[str], tmp: Path) -> float:
    """Wall seconds of ``python -m inspire_sim ARGS`` (a fresh process, as a user runs it)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inspire_sim", *args], check=True, env=_env(), cwd=tmp, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=1, help="CPU to pin the model runs to (-1: none)")
    ap.add_argument("--morris", action="store_true", help="also time the shipped Morris screening (minutes)")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    work = RUNS * N_SMES * STEPS
    rec: dict = {"machine": platform.platform(), "python": platform.python_version(), "load_before": os.getloadavg()}
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        spec = _spec(tmp)
        for i in range(a.reps):
            for key, batched in (("model_batched", True), ("model_alone", False)):
                rows.setdefault(key, []).append(model(batched, a.cpu)["wall_s"])
            if not a.skip_sweep:
                for key, batch in (("sweep_batched", "auto"), ("sweep_alone", "1")):
                    out = tmp / f"{key}{i}"
                    args = ["sweep", str(spec), "--workers", "1", "--batch", batch, "--no-figures", "--out", str(out)]
                    rows.setdefault(key, []).append(command(args, tmp))
            print(f"rep {i + 1}/{a.reps}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in rows.items()), flush=True)
        if a.morris:
            for key, batch in (("morris_batched", "auto"), ("morris_alone", "1")):
                out = tmp / key
                spec_m = ROOT / "experiments" / "morris_screening.toml"
                args = [
                    "sensitivity",
                    str(spec_m),
                    "--workers",
                    "2",
                    "--batch",
                    batch,
                    "--no-figures",
                    "--out",
                    str(out),
                ]
                rows[key] = [command(args, tmp)]
                print(f"{key}: {rows[key][0]:.1f}s", flush=True)
    rec["load_after"] = os.getloadavg()
    rec["seconds"] = rows
    med = {k: statistics.median(v) for k, v in rows.items()}
    rec["median_s"] = med
    lines = [
        "| measure | batched (s) | one by one (s) | ratio | batched SME-steps/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for what, label in (
        ("model", "24 runs, API (`run_batch` vs `run` loop)"),
        ("sweep", "24 runs, `sweep --workers 1`"),
    ):
        if f"{what}_batched" in med:
            b, s = med[f"{what}_batched"], med[f"{what}_alone"]
            lines.append(f"| {label} | {b:.2f} | {s:.2f} | {s / b:.1f}x | {work / b / 1e6:.2f} M |")
    if "morris_batched" in med:
        b, s = med["morris_batched"], med["morris_alone"]
        lines.append(f"| Morris screening, 1,140 runs, 2 workers | {b:.1f} | {s:.1f} | {s / b:.1f}x | - |")
    table = "\n".join(lines)
    print(table)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "bench_batch.json").write_text(json.dumps(rec, indent=2))
    note = (
        f"Medians of {a.reps} (Morris: 1). Load average before {rec['load_before'][0]:.1f}, "
        f"after {rec['load_after'][0]:.1f}. Targets: sweep >= {TARGET_SWEEP / 1e6:.0f} M SME-steps/s, "
        f"Morris < {TARGET_MORRIS_S:.0f} s."
    )
    (a.out / "bench_batch.md").write_text(f"# bench_batch\n\n{table}\n\n{note}\n")


if __name__ == "__main__":
    main()

"""Cost against work (issue 23 §1 and §4): the baseline at 1k, 10k, 100k, 1M and the EU-27 at 1:1.

Each size runs in a fresh process (one CPU, BLAS threads 1), ``--reps`` times, interleaved across
sizes. A run is ``inspire_sim.run``'s path split into its phases: **setup** (``Simulation(...)``:
world, regions, policies, recorder), **burn-in** (the scenario's ``burn_in`` months), **stepping**
(``steps`` reporting months) and **results** (the ``RunResult`` tables), with the partnership
log on (what ``inspire-sim run`` does). Peak memory is the child's ``ru_maxrss``.

Next to each run the child times a **bare numpy kernel** over the same n x (burn-in + steps)
SME-months: per month, six float64 multiply-adds and one comparison over arrays of n (about the
least a vectorised model can do with an SME's state in a month). The ratio model / kernel says how
many "bare passes" a model month costs; if the model grows linearly with n, the ratio is flat.

``--full`` = the EU-27 at 1:1: the scenario's represented SMEs of 10-249 persons employed
(1,766,598 from ``inspire_sim/data/countries.csv``), what ``inspire-sim run baseline --n-smes full``
simulates.

    .venv/bin/python benchmarks/bench_scale.py                      # 1k .. 1M and full, 3 reps (~6 min)
    .venv/bin/python benchmarks/bench_scale.py --sizes full --reps 1

Results: ``benchmarks/results/bench_scale.{json,md}`` and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
OUT = HERE / "results"
DEFAULT_SIZES = ["1000", "10000", "100000", "1000000", "full"]


def _kernel(n: int, months: int) -> float:
    """Seconds of the bare numpy kernel: ``months`` passes of 6 multiply-adds + 1 compare over n."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b, c = rng.random(n), rng.random(n), rng.random(n)
    out = np.empty(n)
    t0 = time.perf_counter()
    for _ in range(months):
        np.multiply(a, 0.999, out=out)
        out += b
        np.multiply(out, 0.5, out=a)
        a += c
        np.multiply(b, 0.999, out=b)
        b += 0.0005
        np.multiply(c, 0.999, out=c)
        c += 0.0005
        np.greater(a, 0.5).sum()
    return time.perf_counter() - t0


def child(size: str, steps: int, seed: int) -> dict:
    import resource

    from inspire_sim.allocator import reuse_freed_memory
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.core.simulation import Simulation
    from inspire_sim.costs import full_scale_smes
    from inspire_sim.run import result_of

    base = load_scenario("baseline")
    n = full_scale_smes(base) if size == "full" else int(float(size))
    scen = load_scenario("baseline", n_smes=n)
    with open("/proc/self/statm") as f:
        rss_import = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    c0 = time.process_time()
    t0 = time.perf_counter()
    sim = Simulation(scen, [seed], True)
    t1 = time.perf_counter()
    with reuse_freed_memory(sim.world.n):  # as `run` does, after the set-up
        sim.burn_in()
        t2 = time.perf_counter()
        for _ in range(steps):
            sim.step()
        t3 = time.perf_counter()
        res = result_of(sim, 0, scen, seed, steps, {}, final=True)  # as `run` does
        t4 = time.perf_counter()
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    burn = int(scen.params.burn_in)
    del res, sim
    kernel = _kernel(n, burn + steps)
    return {
        "size": size,
        "n_smes": n,
        "steps": steps,
        "burn_in": burn,
        "setup_s": round(t1 - t0, 4),
        "burn_in_s": round(t2 - t1, 4),
        "stepping_s": round(t3 - t2, 4),
        "results_s": round(t4 - t3, 4),
        "total_s": round(t4 - t0, 4),
        "cpu_s": round(cpu, 4),
        "peak_rss_mb": round(peak, 1),
        "rss_after_import_mb": round(rss_import, 1),
        "kernel_s": round(kernel, 4),
    }


def spawn(size: str, steps: int, seed: int, cpu: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--child", size, "--steps", str(steps), "--seed", str(seed)]
    if cpu >= 0:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(rows: list[dict]) -> list[dict]:
    table = []
    for size in dict.fromkeys(r["size"] for r in rows):
        rs = [r for r in rows if r["size"] == size]
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if isinstance(rs[0][k], (int, float))}
        n, months = med["n_smes"], med["burn_in"] + med["steps"]
        model_s = med["burn_in_s"] + med["stepping_s"]
        table.append(
            {
                **{k: med[k] for k in ("n_smes", "setup_s", "burn_in_s", "stepping_s", "results_s", "total_s")},
                "reps": len(rs),
                "peak_rss_mb": med["peak_rss_mb"],
                "sme_steps_per_s_stepping": n * med["steps"] / med["stepping_s"],
                "sme_steps_per_s_total": n * med["steps"] / med["total_s"],
                "us_per_sme_month": 1e6 * model_s / (n * months),
                "kernel_s": med["kernel_s"],
                "ratio_to_kernel": statistics.median((r["burn_in_s"] + r["stepping_s"]) / r["kernel_s"] for r in rs),
            }
        )
    return table


def markdown(table: list[dict]) -> str:
    lines = [
        "| n_smes | reps | setup s | burn-in s | stepping s | results s | total s | peak RSS MB | "
        "SME-steps/s (stepping) | SME-steps/s (total) | us per SME-month | bare kernel s | model / kernel |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in table:
        lines.append(
            f"| {t['n_smes']:,.0f} | {t['reps']} | {t['setup_s']:.2f} | {t['burn_in_s']:.2f} | {t['stepping_s']:.2f} | "
            f"{t['results_s']:.2f} | {t['total_s']:.2f} | {t['peak_rss_mb']:,.0f} | "
            f"{t['sme_steps_per_s_stepping'] / 1e6:.2f} M | {t['sme_steps_per_s_total'] / 1e6:.2f} M | "
            f"{t['us_per_sme_month']:.3f} | {t['kernel_s']:.3f} | {t['ratio_to_kernel']:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, help="SME counts, or 'full' (EU-27 at 1:1)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--big-reps", type=int, default=1, help="repetitions of sizes >= 1M")
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=1, help="CPU to pin to (-1: none)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--tag", default="bench_scale")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.steps, args.seed)))
        return
    big = lambda s: s == "full" or float(s) >= 1e6  # noqa: E731
    rows = []
    for rep in range(max(args.reps, args.big_reps)):
        for size in args.sizes:
            if rep >= (args.big_reps if big(size) else args.reps):
                continue
            r = spawn(size, args.steps, args.seed, args.cpu)
            r["load"] = os.getloadavg()[0]
            rows.append(r)
            print(json.dumps(r), file=sys.stderr)
    table = summarise(rows)
    md = markdown(table)
    print(md)
    args.out.mkdir(exist_ok=True)
    meta = {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    (args.out / f"{args.tag}.json").write_text(json.dumps({"meta": meta, "rows": rows, "table": table}, indent=1))
    (args.out / f"{args.tag}.md").write_text(md + "\n")


if __name__ == "__main__":
    main()

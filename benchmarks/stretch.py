"""Issue 14 §5 (stretch): how far towards the whole EU SME population, 1:1, this machine goes.

"1:1" here means 25 million simulated SMEs, the issue's figure for all SMEs of the EU-27
(micro-enterprises included), one simulated SME per real one. The shipped baseline scenario
has 8 countries standing for ~0.97 M real SMEs with 10-249 persons employed (the
population the model is calibrated on); there is no EU-27 scenario. So the stretch runs
the **baseline scenario's 8 countries scaled up to n_smes** (each simulated SME then
stands for 0.97 M / n real ones): the computational size of the EU population at 1:1
(agents, arrays, projects per month), not its composition. Memory per SME grows with
the number of countries (the ``experience`` array is n x countries float32: 32 bytes per
SME with 8 countries, 108 with 27), which the report states.

``n_smes`` above the parameter's upper bound (``ModelParams.n_smes``: 30,000,000) is set
without validation, for this measurement only (``dataclasses.replace`` on the validated
scenario); the report says so.

A run is one process: the engine the Mesa model wraps,
``Simulation(scenario, [seed], record_partnerships=False)`` (no Mesa agents; burn-in months
included) then reporting months, one at a time. After every simulated month it
appends the month's wall time and the resident set size to ``--out`` (JSON, rewritten each
month, so a run killed from outside still leaves its progress), and it stops cleanly --
before the result tables, which need more memory -- when RSS passes ``--rss-limit-gb``
or ``--max-seconds`` have passed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/stretch.py --explore 2e6 5e6 10e6 --months 3   # a few months at each size
    nice -n 19 .venv/bin/python benchmarks/stretch.py --n 25e6 --months 120   # the whole run

Results: ``benchmarks/results/stretch_<n>.json`` per run, ``stretch_explore.{json,md}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results"
sys.path.insert(0, str(ROOT))  # this checkout's code, not the venv's installed inspire_sim

GB = 2**30
N_BOUND = "ModelParams.n_smes upper bound"


def rss_gb() -> float:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / GB


def peak_gb() -> float:
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def available_gb() -> float:
    """MemAvailable of the machine."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


class Stop(Exception):
    """Raised inside a month to end the run cleanly (memory or time limit)."""


def scaled_scenario(n: int, burn_in: int | None, steps: int):
    """The baseline scenario with ``n_smes = n`` (validated up to the parameter's bound, set beyond it)."""
    from inspire_sim.core.scenario import load_scenario

    over: dict[str, int] = {"steps": max(steps, 1)}
    if burn_in is not None:
        over["burn_in"] = burn_in
    bound = 5_000_000
    scen = load_scenario("baseline", n_smes=min(n, bound), **over)
    if n > bound:
        scen = dataclasses.replace(scen, params=scen.params.model_copy(update={"n_smes": n}))
    return scen


def run_one(n: int, months: int, burn_in: int | None, seed: int, limit_gb: float, max_s: float, out: Path) -> dict:
    """Build and run one model of ``n`` SMEs, reporting to ``out`` after every simulated month."""
    import numpy as np

    from inspire_sim.core.simulation import Simulation

    report: dict = {
        "n_smes": n,
        "reporting_months_planned": months,
        "seed": seed,
        "record_partnerships": False,
        "rss_limit_gb": limit_gb,
        "max_seconds": max_s,
        "above_parameter_bound": n > 5_000_000,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_start": os.getloadavg()[0],
        "rss_after_import_gb": round(rss_gb(), 3),
        "months": [],
        "status": "running",
    }
    t_start = time.perf_counter()

    def save() -> None:
        report["elapsed_s"] = round(time.perf_counter() - t_start, 2)
        report["peak_rss_gb"] = round(peak_gb(), 3)
        out.write_text(json.dumps(report, indent=1))

    last = [time.perf_counter()]

    class Watched(Simulation):
        """The engine (no Mesa agents), reporting (and maybe stopping) after every simulated month, burn-in included."""

        def burn_in(self) -> None:
            report["setup_before_burn_in_s"] = round(time.perf_counter() - t0, 2)  # world, policies, recorder
            report["rss_before_burn_in_gb"] = round(rss_gb(), 3)
            last[0] = time.perf_counter()
            super().burn_in()

        def advance(self):
            events = super().advance()
            now = time.perf_counter()
            r = rss_gb()
            report["months"].append(
                {
                    "month": int(self.world.month) - 1,
                    "wall_s": round(now - last[0], 3),
                    "cpu_s": round(time.process_time(), 2),
                    "rss_gb": round(r, 3),
                    "load": round(os.getloadavg()[0], 2),
                }
            )
            last[0] = now
            save()
            if r > limit_gb:
                raise Stop(f"RSS {r:.1f} GB > limit {limit_gb:g} GB")
            if now - t_start > max_s:
                raise Stop(f"time limit {max_s:g} s")
            return events

    scen = scaled_scenario(n, burn_in, months)
    report["burn_in"] = int(scen.params.burn_in)
    save()
    t0 = time.perf_counter()
    last[0] = t0
    try:
        model = Watched(scen, [seed], record_partnerships=False)
        model.burn_in()
        report["init_s"] = round(time.perf_counter() - t0, 2)
        report["rss_after_init_gb"] = round(rss_gb(), 3)
        w = model.world
        report["actors"] = int(w.m)
        report["arrays_gb"] = {
            "sme": round(sum(v.nbytes for v in vars(w.sme).values()) / GB, 3),
            "actors": round(sum(v.nbytes for v in vars(w.actors).values()) / GB, 3),
        }
        report["sme_bytes_per_sme"] = round(sum(v.nbytes for v in vars(w.sme).values()) / n, 1)
        last[0] = time.perf_counter()
        for _ in range(months):
            model.step()
        report["status"] = "finished"
        t = time.perf_counter()
        smes = model.smes_table()
        report["smes_table_s"] = round(time.perf_counter() - t, 2)
        report["smes_table_gb"] = round(smes.memory_usage(deep=True).sum() / GB, 3)
        report["final_cooperating_share"] = float(model.recorder.latest["cooperating_share"])
        del smes
    except Stop as stop:
        report["status"] = f"stopped: {stop}"
    except MemoryError:
        report["status"] = "stopped: MemoryError"
    walls = [m["wall_s"] for m in report["months"] if m["month"] >= 0]
    report["reporting_months_done"] = len(walls)
    if walls:
        report["median_s_per_month"] = float(np.median(walls))
        report["extrapolated_120_months_s"] = round(float(np.median(walls)) * 120, 1)
    save()
    return report


# ---------------------------------------------------------------------- explore (parent)
def explore(sizes: list[int], months: int, burn_in: int, seed: int, limit_gb: float, max_s: float) -> dict:
    """Each size in a fresh process for a few months; returns the runs and a linear fit of memory and time."""
    import numpy as np

    runs = []
    for n in sizes:
        out = OUT / f"stretch_{n}.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--n",
            str(n),
            "--months",
            str(months),
            "--burn-in",
            str(burn_in),
            "--seed",
            str(seed),
            "--rss-limit-gb",
            str(limit_gb),
            "--max-seconds",
            str(max_s),
        ]
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        r = json.loads(out.read_text()) if out.exists() else {"n_smes": n, "status": f"failed: {proc.stderr[-500:]}"}
        r["exit_code"] = proc.returncode
        runs.append(r)
        print(
            f"  n={n:>11,}: {r['status']}, init {r.get('init_s', float('nan')):.1f} s, "
            f"{r.get('median_s_per_month', float('nan')):.2f} s/month, "
            f"peak {r.get('peak_rss_gb', float('nan')):.2f} GB",
            file=sys.stderr,
            flush=True,
        )
        if not str(r["status"]).startswith("finished"):
            break
    done = [r for r in runs if str(r["status"]).startswith("finished")]
    fit: dict = {}
    if len(done) >= 2:
        x = np.array([r["n_smes"] for r in done], dtype=float)
        for key in ("peak_rss_gb", "median_s_per_month", "init_s"):
            slope, icpt = np.polyfit(x, np.array([r[key] for r in done], dtype=float), 1)
            fit[key] = {"per_million": slope * 1e6, "intercept": icpt}
    return {"runs": runs, "fit": fit}


def markdown(result: dict, meta: dict) -> str:
    """The exploration table."""
    lines = [
        f"Stretch exploration (issue 14 §5): baseline's 8 countries scaled to n_smes, no partnership log, "
        f"{meta['months']} reporting months after a {meta['burn_in']}-month burn-in; "
        f"git {meta['git']}, {meta['date']}, "
        f"load {meta['load_before']}/{meta['load_after']}.",
        "",
        "| n_smes | status | init s | s/month (median) | RSS after init GB | peak RSS GB "
        "| SME arrays GB | actor arrays GB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        a = r.get("arrays_gb", {})
        lines.append(
            f"| {r['n_smes']:,} | {r['status']} | {r.get('init_s', float('nan')):.1f} "
            f"| {r.get('median_s_per_month', float('nan')):.2f} | {r.get('rss_after_init_gb', float('nan')):.2f} "
            f"| {r.get('peak_rss_gb', float('nan')):.2f} | {a.get('sme', float('nan')):.2f} "
            f"| {a.get('actors', float('nan')):.2f} |"
        )
    fit = result["fit"]
    if fit:
        lines += ["", "Linear fit over the finished sizes (per million SMEs; intercept):", ""]
        for k, v in fit.items():
            lines.append(f"- {k}: {v['per_million']:.3f} per million, intercept {v['intercept']:.3f}")
        n = 25_000_000
        gb = fit["peak_rss_gb"]["per_million"] * 25 + fit["peak_rss_gb"]["intercept"]
        spm = fit["median_s_per_month"]["per_million"] * 25 + fit["median_s_per_month"]["intercept"]
        lines.append(
            f"- extrapolated to {n:,}: peak ~{gb:.1f} GB after these few months, ~{spm:.1f} s per month, "
            f"~{spm * 156 / 60:.0f} min for 36 + 120 months"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, default=None, help="one run of this many SMEs (e.g. 25e6)")
    ap.add_argument("--explore", type=float, nargs="+", default=None, help="sizes to try, a few months each")
    ap.add_argument("--months", type=int, default=120, help="reporting months")
    ap.add_argument("--burn-in", type=int, default=None, help="burn-in months (default: the scenario's, 36)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--rss-limit-gb", type=float, default=None, help="stop when RSS passes this (default: 85%% of MemAvailable)"
    )
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    ap.add_argument("--out", type=Path, default=None, help="progress file (default results/stretch_<n>.json)")
    args = ap.parse_args(argv)
    limit = args.rss_limit_gb if args.rss_limit_gb is not None else round(0.85 * available_gb(), 1)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.n is not None:
        n = int(args.n)
        r = run_one(
            n, args.months, args.burn_in, args.seed, limit, args.max_seconds, args.out or OUT / f"stretch_{n}.json"
        )
        print(json.dumps({k: v for k, v in r.items() if k != "months"}))
        return 0
    if not args.explore:
        ap.error("give --n or --explore")
    from bench_model import git_revision  # the same folder

    meta = {
        "git": git_revision(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "months": args.months,
        "burn_in": args.burn_in if args.burn_in is not None else 36,
        "load_before": round(os.getloadavg()[0], 2),
        "rss_limit_gb": limit,
    }
    result = explore([int(x) for x in args.explore], args.months, meta["burn_in"], args.seed, limit, args.max_seconds)
    meta["load_after"] = round(os.getloadavg()[0], 2)
    md = markdown(result, meta)
    print(md)
    (OUT / "stretch_explore.json").write_text(json.dumps({"meta": meta, **result}, indent=1))
    (OUT / "stretch_explore.md").write_text(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

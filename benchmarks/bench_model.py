"""Model benchmark: SME-steps per second and peak memory of the baseline scenario.

Each (size, repetition) runs in a fresh Python subprocess, pinned to one CPU with
BLAS/OpenMP threads set to 1, so that import caches, allocator state and the peak RSS of
one run never leak into the next. A run is ``inspire_sim.run(scenario, seed=...)`` -- the
public API, exactly what ``inspire-sim run`` does for one replication -- and is reported
in three parts:

* ``init``: building the simulation (world, policies, recorder) and its burn-in
  (``burn_in`` months, 36 by default, simulated before reporting month 1);
* ``run``: the 120 monthly steps (``Simulation.step``), of which ``match`` is the
  vectorised matching phase (``inspire_sim.core.matching.match``, timed by a wrapper);
* ``total``: the whole ``run()`` call including assembling the ``RunResult`` tables.

SME-steps/s = n_smes * steps / run seconds (and / total seconds). Peak memory is the
child's peak resident set size (``getrusage(RUSAGE_SELF).ru_maxrss``), also given net of
the RSS right after the imports (interpreter + numpy/pandas/mesa, ~130 MB).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_model.py                 # 1k, 10k, 100k x 120, 3 reps
    .venv/bin/python benchmarks/bench_model.py --million       # ... and 1,000,000 x 120 (1 rep)
    .venv/bin/python benchmarks/bench_model.py --sizes 100000 --reps 5

Results: a markdown table on stdout and ``benchmarks/results/bench_model.{json,md}``.
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
# measure this checkout's code (a worktree's), not whatever inspire_sim the venv has installed
sys.path.insert(0, str(ROOT))
OUT = HERE / "results"

# Targets of issue 2 ("Performance"): seconds for n x 120 steps (total) and peak RSS MB.
TARGETS = {100_000: (6.0, 1024.0), 1_000_000: (180.0, 4096.0)}
TARGET_RATE = 2_000_000  # SME-steps/s at 100k


# ---------------------------------------------------------------------- child
def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(n: int, steps: int, seed: int, record: bool) -> dict:
    """One benchmark run in this (fresh) process; returns the measurements."""
    import resource

    import numpy as np

    import inspire_sim.core.matching as matching
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.run import run

    rss_import = _rss_now_mb()
    match_s = [0.0]
    orig = matching.match

    def timed_match(model, month):
        t = time.perf_counter()
        out = orig(model, month)
        match_s[0] += time.perf_counter() - t
        return out

    matching.match = timed_match  # the schedule calls matching.match(...) through the module
    from inspire_sim.core.simulation import Simulation

    run_cpu = [0.0]
    orig_burn_in, orig_step = Simulation.burn_in, Simulation.step

    def timed_burn_in(self):
        out = orig_burn_in(self)
        match_s[0] = 0.0  # the burn-in is not part of the run phase
        return out

    def timed_step(self):
        c = time.process_time()
        out = orig_step(self)
        run_cpu[0] += time.process_time() - c
        return out

    Simulation.burn_in = timed_burn_in  # type: ignore[method-assign]
    Simulation.step = timed_step  # type: ignore[method-assign]
    scen = load_scenario("baseline", n_smes=n)
    c0 = time.process_time()
    t0 = time.perf_counter()
    res = run(scen, seed=seed, steps=steps, record_partnerships=record)
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB -> MB on Linux
    tm = res.manifest["timings"]
    return {
        "n_smes": n,
        "steps": steps,
        "seed": seed,
        "record_partnerships": record,
        "burn_in": res.manifest["burn_in"],
        "init_s": tm["init_s"],
        "run_s": tm["run_s"],
        "match_s": round(match_s[0], 4),
        "total_s": round(total, 4),
        "cpu_total_s": round(cpu, 4),
        "cpu_run_s": round(run_cpu[0], 4),
        "peak_rss_mb": round(peak, 1),
        "rss_after_import_mb": round(rss_import, 1),
        "partnerships": len(res.partnerships),
        "final_cooperating_share": float(res.timeseries["cooperating_share"].iloc[-1]),
        "numpy": np.__version__,
    }


# ---------------------------------------------------------------------- phases (issue 14: set-up and memory)
def _agent_bytes(model) -> int:
    """Bytes held by the Mesa view agents and registries (objects, their ints, dict tables), by sampling."""
    import sys as _sys

    def registry(agentset) -> dict | None:  # the dict of created agents; never create pending view agents here
        d = vars(agentset)
        return d.get("_real", d.get("_agents"))

    everyone = registry(model._all_agents)
    if not isinstance(everyone, dict):
        return 0
    views = (getattr(model, "sme_agents", None), getattr(model, "partner_agents", None))
    reserved = [getattr(v, "unique_ids", None) for v in views]  # lazy views: their reserved ids
    total = _sys.getsizeof(everyone) + sum(ids.nbytes for ids in reserved if ids is not None)
    for sets in model._agents_by_type.values():
        d = registry(sets)
        if isinstance(d, dict):
            total += _sys.getsizeof(d)
    sample = list(everyone)[:: max(1, len(everyone) // 2000)]
    if not sample:
        return total
    per = 0
    for a in sample:
        per += _sys.getsizeof(a) + sum(
            _sys.getsizeof(v) for k, v in vars(a).items() if k in ("unique_id", "idx", "actor") and v > 256
        )
    return total + per * len(everyone) // len(sample)


def phases(n: int, steps: int, seed: int, record: bool) -> dict:
    """Set-up split into its parts and RSS after each phase, in this (fresh) process.

    Parts of set-up: ``build_world`` (arrays), ``views`` (the Mesa view agents, policies, recorder:
    the constructor between ``build_world`` and the burn-in), ``burn_in``. Then the reporting months,
    then each ``RunResult`` table as ``inspire_sim.run`` builds them. RSS is the resident set at the
    end of a phase, ``peak`` the process's peak so far (``ru_maxrss``).
    """
    import resource

    import inspire_sim.core.model as model_mod
    from inspire_sim.core.scenario import load_scenario

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    out: dict = {"n_smes": n, "steps": steps, "seed": seed, "record_partnerships": record}
    marks: list[tuple[str, float, float, float, float]] = []  # phase, wall s, cpu s, rss MB, peak MB

    def mark(name: str, t0: float, c0: float) -> None:
        marks.append((name, time.perf_counter() - t0, time.process_time() - c0, _rss_now_mb(), peak()))

    marks.append(("import", 0.0, 0.0, _rss_now_mb(), peak()))
    scen = load_scenario("baseline", n_smes=n)
    orig_build, orig_burn = model_mod.build_world, model_mod.InspireModel._burn_in
    clock: dict[str, float] = {}
    sizes: dict[str, float] = {}

    def build(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        w = orig_build(*a, **k)
        mark("build_world", t, c)
        sizes["sme_arrays_mb"] = sum(v.nbytes for v in vars(w.sme).values()) / 2**20
        sizes["actor_arrays_mb"] = sum(v.nbytes for v in vars(w.actors).values()) / 2**20
        clock["t"], clock["c"] = time.perf_counter(), time.process_time()
        return w

    def burn(self):
        mark("views", clock["t"], clock["c"])
        sizes["view_agents_mb"] = _agent_bytes(self) / 2**20
        t, c = time.perf_counter(), time.process_time()
        orig_burn(self)
        mark("burn_in", t, c)

    model_mod.build_world = build
    model_mod.InspireModel._burn_in = burn  # type: ignore[method-assign]
    try:
        m = model_mod.InspireModel(scen, seed=seed, record_partnerships=record)
    finally:
        model_mod.build_world = orig_build
        model_mod.InspireModel._burn_in = orig_burn  # type: ignore[method-assign]
    t, c = time.perf_counter(), time.process_time()
    m.run_months(steps)
    mark("run", t, c)
    book = m.projects
    sizes["partnership_log_mb"] = sum(v.nbytes for p in [*book._log, book.running] for v in p.values()) / 2**20
    sizes["view_agents_after_run_mb"] = _agent_bytes(m) / 2**20
    rec = m.recorder
    tables = {}
    for name, build_table in (
        ("timeseries", rec.timeseries),
        ("smes", m.smes_table),
        ("partnerships", lambda: book.table(m.country_names)),
        ("panel", rec.panel),
        ("spend", rec.spend),
        ("countries", rec.countries),
    ):
        t, c = time.perf_counter(), time.process_time()
        tables[name] = build_table()
        mark(f"table_{name}", t, c)
        sizes[f"table_{name}_mb"] = tables[name].memory_usage(deep=True).sum() / 2**20
    out["phases"] = [dict(zip(("phase", "wall_s", "cpu_s", "rss_mb", "peak_mb"), x, strict=True)) for x in marks]
    out["sizes"] = {k: round(v, 1) for k, v in sizes.items()}
    out["peak_rss_mb"] = round(peak(), 1)
    out["partnerships"] = len(tables["partnerships"])
    return out


def spawn_phases(n: int, steps: int, seed: int, record: bool, cpu: int | None) -> dict:
    """:func:`phases` in a fresh pinned process."""
    return _spawn(
        ["--phases-child", str(n), "--steps", str(steps), "--seed", str(seed)] + ([] if record else ["--no-log"]), cpu
    )


# ---------------------------------------------------------------------- parent
def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = float("nan")
    import mesa
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _spawn(args: list[str], cpu: int | None) -> dict:
    """Run this script with ``args`` in a fresh process (pinned to ``cpu``, one BLAS thread); its last JSON line."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        NUMEXPR_NUM_THREADS="1",
        PYTHONHASHSEED="0",
    )
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    pre = None
    if cpu is not None:
        pre = lambda: os.sched_setaffinity(0, {cpu})  # noqa: E731  one core
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, preexec_fn=pre)
    if out.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spawn(n: int, steps: int, seed: int, record: bool, cpu: int | None) -> dict:
    """:func:`child` in a fresh pinned process."""
    return _spawn(
        ["--child", str(n), "--steps", str(steps), "--seed", str(seed)] + ([] if record else ["--no-log"]), cpu
    )


def summarise(runs: list[dict]) -> dict:
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    n, steps = runs[0]["n_smes"], runs[0]["steps"]
    sme_steps = n * steps
    s = {
        "n_smes": n,
        "steps": steps,
        "reps": len(runs),
        "init_s": med("init_s"),
        "run_s": med("run_s"),
        "match_s": med("match_s"),
        "total_s": med("total_s"),
        "cpu_total_s": med("cpu_total_s"),
        "cpu_run_s": med("cpu_run_s"),
        "run_s_min": min(r["run_s"] for r in runs),
        "run_s_max": max(r["run_s"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "rss_after_import_mb": med("rss_after_import_mb"),
    }
    s["burn_in"] = runs[0].get("burn_in", 0)
    s["sme_steps_per_s_run"] = sme_steps / s["run_s"]
    # every simulated month (burn-in in init + reporting months in run) over init + run
    s["sme_steps_per_s_all"] = n * (steps + s["burn_in"]) / (s["init_s"] + s["run_s"])
    s["sme_steps_per_s_total"] = sme_steps / s["total_s"]
    s["sme_steps_per_s_cpu_run"] = sme_steps / s["cpu_run_s"]
    s["match_share_of_run"] = s["match_s"] / s["run_s"]
    if n in TARGETS and steps == 120:
        t_s, t_mb = TARGETS[n]
        s["target_s"], s["target_mb"] = t_s, t_mb
        s["time_ok"] = s["total_s"] <= t_s
        s["memory_ok"] = s["peak_rss_mb"] <= t_mb
        if n == 100_000:
            s["rate_ok"] = s["sme_steps_per_s_total"] >= TARGET_RATE
    return s


def markdown(summary: list[dict], meta: dict) -> str:
    lines = [
        f"Model benchmark, baseline scenario, {summary[0]['steps']} steps; median of reps, one core "
        f"(git {meta['git']}, {meta['date']}, load before/after {meta['load_before']}/{meta['load_after']}).",
        "",
        "| n_smes | reps | init s | run s (min-max) | match s | total s | SME-steps/s (run) "
        "| SME-steps/s (total) | CPU s (run/total) | peak RSS MB | target | met |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in summary:
        tgt, met = "", ""
        if "target_s" in s:
            tgt = f"<= {s['target_s']:g} s, <= {s['target_mb']:g} MB"
            met = (
                "yes"
                if s["time_ok"] and s["memory_ok"]
                else (
                    "no ("
                    + ", ".join(k for k, ok in (("time", s["time_ok"]), ("memory", s["memory_ok"])) if not ok)
                    + ")"
                )
            )
        lines.append(
            f"| {s['n_smes']:,} | {s['reps']} | {s['init_s']:.2f} "
            f"| {s['run_s']:.2f} ({s['run_s_min']:.2f}-{s['run_s_max']:.2f}) "
            f"| {s['match_s']:.2f} | {s['total_s']:.2f} | {s['sme_steps_per_s_run'] / 1e6:.2f} M "
            f"| {s['sme_steps_per_s_total'] / 1e6:.2f} M | {s['cpu_run_s']:.2f}/{s['cpu_total_s']:.2f} "
            f"| {s['peak_rss_mb']:.0f} | {tgt} | {met} |"
        )
    lines.append("")
    lines.append(
        "Wall-clock seconds; 'CPU s' is the process CPU time of the run phase / the whole run() call "
        "(close to wall time on an idle core; lower when other jobs share the core). 'met' judges the "
        "wall-clock total (init + run + result tables) and the peak RSS."
    )
    lines.append(
        f"Init includes the burn-in ({summary[0]['burn_in']} months); counting every simulated month over "
        "init + run: " + ", ".join(f"{s['n_smes']:,}: {s['sme_steps_per_s_all'] / 1e6:.2f} M/s" for s in summary) + "."
    )
    lines.append("")
    lines.append(
        f"RSS right after imports (interpreter + libraries): ~{summary[0]['rss_after_import_mb']:.0f} MB, "
        "included in peak RSS."
    )
    return "\n".join(lines)


def phases_report(args: argparse.Namespace, cpu: int | None) -> int:
    """``--phases``: set-up split into its parts at ``--setup-size``, and memory by phase at ``--memory-sizes``."""
    meta = {
        "git": git_revision(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "pinned_cpu": cpu,
        "load_before": round(os.getloadavg()[0], 2),
    }
    setup = []
    for rep in range(args.reps):
        r = spawn_phases(args.setup_size, 1, args.seed + rep, True, cpu)
        setup.append(r)
        ph = {x["phase"]: x for x in r["phases"]}
        print(
            f"  set-up rep {rep + 1}: n={args.setup_size:,} build_world {ph['build_world']['wall_s']:.3f}s "
            f"views {ph['views']['wall_s']:.3f}s burn_in {ph['burn_in']['wall_s']:.3f}s",
            file=sys.stderr,
            flush=True,
        )
    memory = []
    for record in (True, False):
        for n in args.memory_sizes:
            r = spawn_phases(n, args.steps, args.seed, record, cpu)
            memory.append(r)
            print(f"  memory n={n:,} log={record}: peak {r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    meta["load_after"] = round(os.getloadavg()[0], 2)

    def med(runs: list[dict], phase: str, key: str) -> float:
        return statistics.median(next(x[key] for x in r["phases"] if x["phase"] == phase) for r in runs)

    parts = ("build_world", "views", "burn_in")
    setup_summary = {p: {k: med(setup, p, k) for k in ("wall_s", "cpu_s")} for p in parts}
    for k in ("wall_s", "cpu_s"):
        setup_summary["total_without_burn_in"] = setup_summary.get("total_without_burn_in", {}) | {
            k: statistics.median(
                sum(x[k] for x in r["phases"] if x["phase"] in ("build_world", "views")) for r in setup
            )
        }
        setup_summary["total_with_burn_in"] = setup_summary.get("total_with_burn_in", {}) | {
            k: statistics.median(sum(x[k] for x in r["phases"] if x["phase"] in parts) for r in setup)
        }
    slopes = {}
    for record in (True, False):
        runs = sorted((r for r in memory if r["record_partnerships"] == record), key=lambda r: r["n_smes"])
        if len(runs) >= 2:
            lo, hi = runs[0], runs[-1]
            slopes["log" if record else "no_log"] = (
                (hi["peak_rss_mb"] - lo["peak_rss_mb"]) / (hi["n_smes"] - lo["n_smes"]) * 1e6 / 1024
            )
    md = phases_markdown(setup_summary, memory, slopes, meta, args)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_memory.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "setup": setup_summary,
                "slopes_gb_per_million": slopes,
                "setup_runs": setup,
                "memory": memory,
            },
            indent=2,
        )
    )
    (args.out / "bench_memory.md").write_text(md + "\n")
    return 0


def phases_markdown(setup: dict, memory: list[dict], slopes: dict, meta: dict, args: argparse.Namespace) -> str:
    """The ``--phases`` tables."""
    lines = [
        f"Set-up and memory by phase, baseline scenario (git {meta['git']}, {meta['date']}, one core, "
        f"load before/after {meta['load_before']}/{meta['load_after']}).",
        "",
        f"Set-up at {args.setup_size:,} SMEs, median of {args.reps} fresh processes (wall s / CPU s):",
        "",
        "| part | wall s | CPU s |",
        "|---|---:|---:|",
    ]
    for part, label in (
        ("build_world", "(a) build the world (arrays)"),
        ("views", "(b) Mesa view agents, policies, recorder"),
        ("burn_in", "(c) burn-in (36 months)"),
        ("total_without_burn_in", "set-up without burn-in (a + b)"),
        ("total_with_burn_in", "set-up with burn-in (a + b + c)"),
    ):
        lines.append(f"| {label} | {setup[part]['wall_s']:.3f} | {setup[part]['cpu_s']:.3f} |")
    lines += [
        "",
        f"Memory by phase ({args.steps} months; RSS at the end of each phase / peak so far, MB):",
        "",
        "| n_smes | log | import | build_world | views | burn_in | run | tables | peak | SME arrays | actor arrays "
        "| view agents | log arrays | smes table | partnerships table |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in memory:
        ph = {x["phase"]: x for x in r["phases"]}
        sz = r["sizes"]

        def cell(p: str, ph: dict = ph) -> str:
            return f"{ph[p]['rss_mb']:.0f}/{ph[p]['peak_mb']:.0f}"

        lines.append(
            f"| {r['n_smes']:,} | {'on' if r['record_partnerships'] else 'off'} | {ph['import']['rss_mb']:.0f} "
            f"| {cell('build_world')} | {cell('views')} | {cell('burn_in')} | {cell('run')} "
            f"| {cell('table_countries')} | {r['peak_rss_mb']:.0f} | {sz['sme_arrays_mb']:.0f} "
            f"| {sz['actor_arrays_mb']:.0f} | {sz['view_agents_mb']:.0f} | {sz['partnership_log_mb']:.0f} "
            f"| {sz['table_smes_mb']:.0f} | {sz['table_partnerships_mb']:.0f} |"
        )
    lines += [
        "",
        "Peak memory per million SMEs = slope of the peak RSS between the smallest and the largest size "
        "(so the interpreter and libraries, ~150 MB, drop out): "
        + ", ".join(f"{k.replace('_', ' ')}: **{v:.2f} GB**" for k, v in slopes.items())
        + " (target <= 0.6 GB).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 SMEs")
    ap.add_argument("--million-reps", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--no-log", action="store_true", help="record_partnerships=False (default: the run() default, True)"
    )
    ap.add_argument(
        "--cpu", type=int, default=None, help="CPU to pin children to (default: the last one); -1: no pinning"
    )
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--phases", action="store_true", help="set-up split into its parts, and memory by phase (issue 14)")
    ap.add_argument("--setup-size", type=int, default=100_000, help="--phases: SMEs for the set-up timing")
    ap.add_argument(
        "--memory-sizes", type=int, nargs="+", default=[250_000, 1_000_000], help="--phases: SMEs for memory"
    )
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--phases-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child(args.child, args.steps, args.seed, not args.no_log)))
        return 0
    if args.phases_child is not None:
        print(json.dumps(phases(args.phases_child, args.steps, args.seed, not args.no_log)))
        return 0

    cpu = None if args.cpu == -1 else (args.cpu if args.cpu is not None else max(os.sched_getaffinity(0)))
    meta = {
        "git": git_revision(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "pinned_cpu": cpu,
        "load_before": round(os.getloadavg()[0], 2),
        "record_partnerships": not args.no_log,
    }
    if args.phases:
        return phases_report(args, cpu)
    plan = [(n, args.reps) for n in args.sizes] + ([(1_000_000, args.million_reps)] if args.million else [])
    runs: dict[int, list[dict]] = {n: [] for n, _ in plan}
    # repetitions are interleaved across sizes so that a burst of load hits all sizes alike
    for rep in range(max(r for _, r in plan)):
        for n, reps in plan:
            if rep < reps:
                r = spawn(n, args.steps, args.seed + rep, not args.no_log, cpu)
                runs[n].append(r)
                print(
                    f"  rep {rep + 1}: n={n:>9,} init {r['init_s']:.2f}s run {r['run_s']:.2f}s "
                    f"(match {r['match_s']:.2f}s) total {r['total_s']:.2f}s peak {r['peak_rss_mb']:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    meta["load_after"] = round(os.getloadavg()[0], 2)
    summary = [summarise(runs[n]) for n, _ in plan]
    md = markdown(summary, meta)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_model.json").write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=2))
    (args.out / "bench_model.md").write_text(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

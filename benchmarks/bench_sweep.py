"""End-to-end speed of ``inspire-sim sweep --workers 1`` (issue 14 target: >= 2 M SME-steps/s).

Runs ``inspire-sim sweep`` (this venv's, else ``python -m inspire_sim``) on a spec of ``--runs``
replications of the baseline at
``--n-smes`` SMEs x ``--steps`` months (default 24 x 1,000 x 120), ``--reps`` times, each in a
fresh process (optionally pinned to one CPU with ``--cpu K``), and reports per repetition and as
medians: wall time, CPU time of the sweep's process and of its worker process(es), the sum of the
runs' ``duration_s`` (the model) and SME-steps per second end to end. Run it from the checkout
whose code you want to time::

    .venv/bin/python benchmarks/bench_sweep.py --reps 3 [--batch auto|N] [--cpu 1]

It first byte-compiles this checkout's package, as ``pip install`` does (``--no-compile``: time the
source as it is, e.g. an editable install under ``PYTHONDONTWRITEBYTECODE=1``).

``--against /other/checkout/.venv/bin/inspire-sim`` times that command too, interleaved with this
checkout's (A B A B ...), and reports both and the ratio of their medians (this / other). Every
command runs in the benchmark's temporary folder, so no checkout's source on the working folder
shadows another's.

``--instructions``: also count each command's instructions once under ``valgrind --tool=cachegrind``
(``PYTHONHASHSEED=0``; the sweep's own process, not its git or worker children). A count does not
depend on what else the machine runs (wall and CPU times on a loaded machine do), so the ratio of
counts shows a few per cent that wall-time medians cannot; it is ~50x slower than a normal run.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """name = "bench_sweep"
scenario = "baseline"
replications = {runs}
seed = 1
steps = {steps}
[fixed]
n_smes = {n_smes}
[[factors]]
name = "support_funding.budget_per_step"
levels = [75000000]
[[outputs]]
indicator = "cooperating_share"
statistic = "mean"
"""


def one(spec: Path, out: Path, batch: str | None, cpu: int | None, exe: list[str] | None = None) -> dict[str, float]:
    script = Path(sys.executable).with_name("inspire-sim")  # this checkout's command, as a user runs it
    base = exe or ([str(script)] if script.exists() else [sys.executable, "-m", "inspire_sim"])
    cmd = [*base, "sweep", str(spec), "--workers", "1", "-q", "-o", str(out)]
    cmd += ["--batch", batch] if batch else []
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=spec.parent)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    import pandas as pd

    runs = pd.read_parquet(out / "results.parquet")
    return {
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "model_s": float(runs["duration_s"].sum()),
    }


def instructions(spec: Path, out: Path, batch: str | None, exe: list[str] | None = None) -> int:
    """Instructions executed by one sweep (cachegrind's ``I refs``)."""
    script = Path(sys.executable).with_name("inspire-sim")
    base = exe or ([str(script)] if script.exists() else [sys.executable, "-m", "inspire_sim"])
    counts = spec.parent / "cachegrind.out"
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={counts}"]
    cmd += [*base, "sweep", str(spec), "--workers", "1", "-q", "-o", str(out)]
    cmd += ["--batch", batch] if batch else []
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=spec.parent, env=env
    )
    counts.unlink(missing_ok=True)
    line = next(x for x in proc.stderr.splitlines() if "I   refs:" in x or "I refs:" in x)
    return int(line.split(":")[-1].replace(",", "").strip())


def _count(spec: Path, out: Path, args: argparse.Namespace) -> dict[str, int]:
    """Instructions of this checkout's sweep (and of ``--against``'s), one run each."""
    icount = {"this": instructions(spec, out, args.batch)}
    shutil.rmtree(out)
    if args.against:
        icount["against"] = instructions(spec, out, args.batch, [args.against])
        shutil.rmtree(out)
    return icount


def _markdown(args: argparse.Namespace, record: dict) -> str:
    """The results table of ``record`` (and the ratios), as written to ``results/<tag>.md``."""
    icount = record.get("instructions", {})
    other = "against_median" in record
    med = record["median"]
    md = (
        "| runs x SMEs x months | reps | wall s (median) | model s | overhead s | CPU s "
        "| SME-steps/s end to end |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        f"| {args.runs} x {args.n_smes:,} x {args.steps} | {args.reps} | {med['wall_s']:.2f} "
        f"| {med['model_s']:.2f} | "
        f"{med['overhead_s']:.2f} | {med['cpu_s']:.2f} | {med['msme_steps_per_s']:.2f} M |\n"
    )
    if other:
        mo = record["against_median"]
        md += (
            f"| against `{args.against}` | {args.reps} | {mo['wall_s']:.2f} | {mo['model_s']:.2f} "
            f"| {mo['overhead_s']:.2f} | {mo['cpu_s']:.2f} | {mo['msme_steps_per_s']:.2f} M |\n"
            f"\nRatio this / against (medians, interleaved): wall {record['ratio_wall']:.3f}, "
            f"CPU {record['ratio_cpu']:.3f}.\n"
        )
    if args.instructions:
        md += f"\nInstructions (cachegrind, one run each): this {icount['this'] / 1e9:.3f} G"
        if "against" in icount:
            md += f", against {icount['against'] / 1e9:.3f} G, ratio {record['ratio_instructions']:.3f}"
        md += ".\n"
    return md


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--n-smes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batch", default=None, help="--batch of the sweep (default: the sweep's default)")
    ap.add_argument("--cpu", type=int, default=None, help="pin to this CPU (taskset)")
    ap.add_argument("--tag", default=None, help="also write benchmarks/results/<tag>.{json,md}")
    ap.add_argument("--against", default=None, help="another inspire-sim executable, timed interleaved")
    ap.add_argument("--instructions", action="store_true", help="also count instructions once each (cachegrind)")
    ap.add_argument(
        "--no-compile",
        action="store_true",
        help="time without byte-compiling this checkout's package first (a regular pip install compiles it)",
    )
    args = ap.parse_args()
    if not args.no_compile:  # as after `pip install`: no compiling of the package's modules inside the timing
        compileall.compile_dir(Path(__file__).resolve().parent.parent / "inspire_sim", quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    spec = tmp / "bench.toml"
    spec.write_text(SPEC.format(runs=args.runs, steps=args.steps, n_smes=args.n_smes))
    rows: list[dict[str, float]] = []
    other: list[dict[str, float]] = []
    load = [os.getloadavg()[0]]
    try:
        for rep in range(args.reps):
            out = tmp / f"out{rep}"
            rows.append(one(spec, out, args.batch, args.cpu))
            shutil.rmtree(out)
            if args.against:
                other.append(one(spec, out, args.batch, args.cpu, [args.against]))
                shutil.rmtree(out)
            load.append(os.getloadavg()[0])
        icount = _count(spec, tmp / "out_cg", args) if args.instructions else {}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sme_steps = args.runs * args.n_smes * args.steps
    for r in rows + other:
        r["msme_steps_per_s"] = sme_steps / r["wall_s"] / 1e6
        r["overhead_s"] = r["wall_s"] - r["model_s"]
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    record: dict = {"args": vars(args), "load": os.getloadavg(), "load_1min": load, "reps": rows, "median": med}
    if other:
        med_o = {k: statistics.median(r[k] for r in other) for k in other[0]}
        record |= {"against_reps": other, "against_median": med_o}
        record["ratio_wall"] = med["wall_s"] / med_o["wall_s"]
        record["ratio_cpu"] = med["cpu_s"] / med_o["cpu_s"]
    if icount:
        record["instructions"] = icount
        if "against" in icount:
            record["ratio_instructions"] = icount["this"] / icount["against"]
    print(json.dumps(record, indent=1))
    if args.tag:
        out = Path(__file__).resolve().parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"{args.tag}.json").write_text(json.dumps(record, indent=1) + "\n")
        (out / f"{args.tag}.md").write_text(_markdown(args, record))


if __name__ == "__main__":
    main()

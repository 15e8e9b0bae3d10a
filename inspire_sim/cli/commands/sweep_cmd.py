"""``inspire-sim sweep`` and ``inspire-sim sensitivity``.

Exit status: 0 when every run succeeded; 1 when some runs failed, timed out or gave
NaN/inf outputs (``invalid``; the counts are printed, the sweep itself always
completes); 2 for bad input (one line, nothing run); 130 when stopped by Ctrl-C or
SIGTERM (one line; the finished runs are on disk and the same command resumes).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from ...errors import InputError
from ...experiments.design import DEFAULT_MAX_RUNS
from ...experiments.execute import DEFAULT_TIMEOUT
from ...experiments.names import safe_name
from .options import BatchOption, FiguresOption, ProgressOption, SetOption, parse_sets

SweepFiguresOption = Annotated[
    bool | None,
    typer.Option(
        "--figures/--no-figures",
        help="Write the PNG figures (default: when there is something to plot, i.e. sensitivity indices "
        "or a design of two or more points; a one-point sweep has no response curve).",
        show_default=False,
    ),
]

CLI = "command line"

SpecArg = Annotated[
    str,
    typer.Argument(
        help="Experiment spec: a TOML file, or a shipped name (ishigami, policy_grid, ...).", show_default=False
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Output directory (default: runs/<spec name>). Re-running on the same directory resumes it."
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        help="Local worker processes (default: all cores; 1 = one run at a time). With --cluster local: Dask workers.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (needs the optional dask extra).",
    ),
]
ClusterOpt = Annotated[str | None, typer.Option("--cluster", help="'local': start a Dask LocalCluster for this sweep.")]
RetryOpt = Annotated[
    bool, typer.Option("--retry-failed", help="Run failed, timed-out and invalid runs again when resuming.")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help=f"Per-run time limit in seconds (default: the spec's, else {DEFAULT_TIMEOUT:g}). "
        "Not part of the spec's identity: a longer limit resumes the same --out.",
    ),
]
MemoryOpt = Annotated[
    str | None,
    typer.Option("--max-memory", help="Per-run memory limit, e.g. 2G (a run over it fails; default: the spec's)."),
]
NoProgressOpt = Annotated[
    bool, typer.Option("--no-progress", hidden=True, help="Earlier name of --quiet (kept for existing scripts).")
]
MaxRunsOpt = Annotated[
    int,
    typer.Option("--max-runs", help="Refuse designs with more runs than this (checked before anything runs)."),
]


def _check(workers: int | None, timeout: float | None, max_runs: int) -> None:
    if workers is not None and workers < 1:
        raise InputError(
            f"must be 1 or more, got {workers}", source=CLI, field="--workers", fix="give --workers 1 or more"
        )
    if timeout is not None and not 0 < timeout <= 1e7:
        raise InputError(
            f"must be a positive number of seconds, got {timeout}", source=CLI, field="--timeout", fix="e.g. 600"
        )
    if max_runs < 1:
        raise InputError(f"must be 1 or more, got {max_runs}", source=CLI, field="--max-runs", fix="e.g. 100000")


def _points(spec: Any) -> int:
    from ...experiments.design import build_design

    return int(build_design(spec).n_points)


def _execute(
    kind: str,
    spec_path: str,
    out: Path | None,
    sets: list[str] | None,
    *,
    workers: int | None,
    scheduler: str | None,
    cluster: str | None,
    retry_failed: bool,
    progress: bool,
    figures: bool | None,
    timeout: float | None,
    max_memory: str | None,
    max_runs: int,
    batch: str | None = None,
) -> None:
    _check(workers, timeout, max_runs)
    from ...manifest import git_revision

    # the manifest's git revision (three git processes) is looked up while the sweep's modules import
    revision = threading.Thread(target=git_revision, name="inspire-sim-git-revision", daemon=True)
    revision.start()
    from ...experiments.spec import load_spec, parse_memory
    from ...experiments.sweep import SweepInterrupted, format_summary, run_sensitivity, run_sweep
    from ...run import check_batch

    memory = parse_memory(max_memory, "--max-memory") if max_memory is not None else None
    if batch is not None:
        try:
            check_batch(batch, "--batch")
        except InputError as exc:
            raise exc.with_source(CLI) from None
    spec = load_spec(spec_path, sets=parse_sets(sets))
    out = out or Path("runs") / safe_name(spec.name)
    if figures is None:  # not asked: draw only when there is something to draw (matplotlib costs ~0.4 s)
        figures = kind == "sensitivity" or spec.design.kind in ("sobol", "morris") or _points(spec) > 1
    fn = run_sensitivity if kind == "sensitivity" else run_sweep
    revision.join()  # (cached: the manifest does not look it up again)
    try:
        result = fn(
            spec,
            out,
            workers=workers,
            scheduler=scheduler,
            cluster=cluster,
            retry_failed=retry_failed,
            progress=progress,
            figures=figures,
            timeout=timeout,
            max_memory=memory,
            max_runs=max_runs,
            batch=batch,
        )
    except InputError as exc:
        raise (exc.with_source(CLI) if exc.source is None else exc) from None
    except SweepInterrupted as exc:
        print(
            f"inspire-sim: {exc or 'interrupted'}; the finished runs are in {out} "
            "(run the same command again to resume)",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    print(format_summary(result))
    if result.n_failed:
        print(
            f"inspire-sim: {result.n_failed} of {result.n_runs} runs did not succeed "
            f"({result.n_timed_out} timed out, {result.n_invalid} invalid); see the error column of "
            f"{out}/results.csv (re-run with --retry-failed to try them again)",
            file=sys.stderr,
        )
        raise SystemExit(1)  # the exit status counts as failure


def sweep_command(
    spec: SpecArg,
    out: OutOpt = None,
    sets: SetOption = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    cluster: ClusterOpt = None,
    retry_failed: RetryOpt = False,
    timeout: TimeoutOpt = None,
    max_memory: MemoryOpt = None,
    max_runs: MaxRunsOpt = DEFAULT_MAX_RUNS,
    batch: BatchOption = None,
    progress: ProgressOption = True,
    figures: SweepFiguresOption = None,
    no_progress: NoProgressOpt = False,
) -> None:
    """Run an experiment spec: every design point x replication (resumable).

    Then summarise each output per design point (mean, sd, CI) and plot the responses.
    --set NAME=VALUE: a top-level key (replications=2, steps=24), a design or
    fixed entry (design.samples=64, fixed.n_smes=200), or a parameter to hold fixed.

    Example: inspire-sim sweep policy_grid --set replications=2 --set steps=24 --set n_smes=200 -o runs/pg
    """
    _execute(
        "sweep",
        spec,
        out,
        sets,
        workers=workers,
        scheduler=scheduler,
        cluster=cluster,
        retry_failed=retry_failed,
        progress=progress and not no_progress,
        figures=figures,
        timeout=timeout,
        max_memory=max_memory,
        max_runs=max_runs,
        batch=batch,
    )


def sensitivity_command(
    spec: SpecArg,
    out: OutOpt = None,
    sets: SetOption = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    cluster: ClusterOpt = None,
    retry_failed: RetryOpt = False,
    timeout: TimeoutOpt = None,
    max_memory: MemoryOpt = None,
    max_runs: MaxRunsOpt = DEFAULT_MAX_RUNS,
    batch: BatchOption = None,
    progress: ProgressOption = True,
    figures: FiguresOption = True,
    no_progress: NoProgressOpt = False,
) -> None:
    """Sensitivity analysis of a sobol or morris spec with SALib.

    Sobol' S1, ST [, S2]; Morris mu, mu*, sigma; with confidence intervals, tables and figures.
    --set works as for sweep (e.g. --set design.samples=64 to shrink a Sobol' design).

    Example: inspire-sim sensitivity sobol_levers --set design.samples=16 --set steps=24 --set n_smes=200 -w 2
    """
    _execute(
        "sensitivity",
        spec,
        out,
        sets,
        workers=workers,
        scheduler=scheduler,
        cluster=cluster,
        retry_failed=retry_failed,
        progress=progress and not no_progress,
        figures=figures,
        timeout=timeout,
        max_memory=max_memory,
        max_runs=max_runs,
        batch=batch,
    )


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``sensitivity`` to the ``inspire-sim`` app."""
    app.command("sweep")(sweep_command)
    app.command("sensitivity")(sensitivity_command)

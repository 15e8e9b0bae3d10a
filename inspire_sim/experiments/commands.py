"""``inspire-sim sweep`` and ``inspire-sim sensitivity``.

Exit status: 0 when every run succeeded, 1 when some runs failed or timed out (the
count is printed; the sweep itself always completes), 2 for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError

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
        help="Local worker processes (default: all cores; "
        "1 = sequential in this process). With --cluster local: Dask workers.",
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
RetryOpt = Annotated[bool, typer.Option("--retry-failed", help="Run failed and timed-out runs again when resuming.")]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]
FiguresOpt = Annotated[bool, typer.Option("--figures/--no-figures", help="Write figures to OUT/figures.")]


def _check(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise InputError(
            f"must be 1 or more, got {workers}",
            source=CLI,
            field="--workers",
            fix="give --workers 1 (sequential) or more",
        )


def _execute(
    kind: str,
    spec_path: str,
    out: Path | None,
    workers: int | None,
    scheduler: str | None,
    cluster: str | None,
    retry_failed: bool,
    progress: bool,
    figures: bool,
) -> None:
    from .spec import load_spec
    from .sweep import format_summary, run_sensitivity, run_sweep

    _check(workers)
    spec = load_spec(spec_path)
    out = out or Path("runs") / spec.name
    fn = run_sensitivity if kind == "sensitivity" else run_sweep
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
        )
    except InputError as exc:
        raise (exc.with_source(CLI) if exc.source is None else exc) from None
    print(format_summary(result))
    if result.n_failed:
        print(
            f"inspire-sim: {result.n_failed} of {result.n_runs} runs did not succeed "
            f"({result.n_timed_out} timed out); see the error column of {out}/results.csv "
            "(re-run with --retry-failed to try them again)",
            file=sys.stderr,
        )
        raise SystemExit(1)  # the exit status counts as failure


def sweep_command(
    spec: SpecArg,
    out: OutOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    cluster: ClusterOpt = None,
    retry_failed: RetryOpt = False,
    progress: ProgressOpt = True,
    figures: FiguresOpt = True,
) -> None:
    """Run an experiment spec: every design point x replication (resumable).

    Then summarise each output per design point (mean, sd, CI) and plot the responses.
    """
    _execute("sweep", spec, out, workers, scheduler, cluster, retry_failed, progress, figures)


def sensitivity_command(
    spec: SpecArg,
    out: OutOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    cluster: ClusterOpt = None,
    retry_failed: RetryOpt = False,
    progress: ProgressOpt = True,
    figures: FiguresOpt = True,
) -> None:
    """Sensitivity analysis of a sobol or morris spec with SALib.

    Sobol' S1, ST [, S2]; Morris mu, mu*, sigma; with confidence intervals, tables and figures.
    """
    _execute("sensitivity", spec, out, workers, scheduler, cluster, retry_failed, progress, figures)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``sensitivity`` to the ``inspire-sim`` app."""
    app.command("sweep")(sweep_command)
    app.command("sensitivity")(sensitivity_command)

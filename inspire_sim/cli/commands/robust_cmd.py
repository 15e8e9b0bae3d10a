"""``inspire-sim robust``: plans across plausible worlds (satisficing, regret, PRIM scenario discovery)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ...errors import InputError
from .options import BatchOption, parse_sets

EXAMPLE = (
    "Example: inspire-sim robust baseline national_funding cross_border_brokering --worlds 60 "
    "--n-smes 1000 --out runs/robust"
)
GOAL_HELP = "Goal threshold NAME=VALUE (repeatable): oi_share (pp), cross_border, scaling_up, successes (relative)."


def register(app: typer.Typer) -> None:
    """Add the ``robust`` command to the ``inspire-sim`` app."""
    app.command("robust", help=f"Evaluate PLANs against BASELINE across plausible worlds.\n\n{EXAMPLE}")(robust_command)


def robust_command(
    baseline: Annotated[str, typer.Argument(help="Baseline scenario (name or file).")],
    plans: Annotated[list[str], typer.Argument(help="Plan scenarios (names or files).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    worlds: Annotated[int, typer.Option("--worlds", help="Plausible worlds (Latin hypercube over sa_range).")] = 40,
    posterior: Annotated[
        Path | None, typer.Option("--posterior", help="Draw worlds from a calibration folder instead.")
    ] = None,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Runs per scenario and world.")] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Root seed.")] = 0,
    steps: Annotated[int | None, typer.Option("--steps", "-t", help="Months per run.")] = None,
    n_smes: Annotated[int | None, typer.Option("--n-smes", "-n", help="Simulated SMEs.")] = None,
    goal: Annotated[list[str] | None, typer.Option("--goal", help=GOAL_HELP, metavar="NAME=VALUE")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Local processes (default: all cores).")] = None,
    batch: BatchOption = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Write the PRIM figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Satisficing and regret tables, PRIM boxes (prim_boxes.csv) and robust.md in --out."""
    try:
        import ema_workbench  # noqa: F401
    except ImportError:
        raise InputError("needs EMA Workbench (PRIM)", source="robust", fix="pip install 'inspire-sim[ema]'") from None
    from tqdm import tqdm

    from ...analyses.goals import parse_thresholds
    from ...analyses.robust import reading, robust, write_outputs

    if seed < 0:
        raise InputError(f"must not be negative, got {seed}", source="command line", field="--seed", fix="give 0+")
    if workers is not None and workers < 1:
        raise InputError(f"must be 1 or more, got {workers}", source="command line", field="--workers", fix="give 1+")
    from ...run import check_batch

    try:
        check_batch(batch, "--batch")
    except InputError as exc:
        raise exc.with_source("command line") from None
    if posterior is not None and not (posterior / "posterior.parquet").is_file():
        raise InputError(
            "has no posterior.parquet", source=str(posterior), field="--posterior",
            fix="give the --out folder of inspire-sim calibrate",
        )  # fmt: skip
    thresholds = parse_thresholds(parse_sets(goal, "--goal"))
    total = worlds * (1 + len(plans)) * max(replications, 1)
    with tqdm(total=total, desc="robust", unit="run", disable=quiet, file=sys.stderr) as bar:
        result = robust(
            baseline, plans, worlds=worlds, posterior=posterior, seed=seed, replications=replications, steps=steps,
            n_smes=n_smes, thresholds=thresholds, workers=workers, progress=bar.update, batch=batch,
        )  # fmt: skip
    paths = write_outputs(result, out, figures=figures)
    for line in reading(result):
        typer.echo(line)
    typer.echo(f"wrote {paths['report']} and the tables in {out}")

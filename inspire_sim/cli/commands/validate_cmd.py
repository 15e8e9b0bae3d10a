"""``inspire-sim validate``: patterns with knockouts, null model, targets, scale invariance, convergence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ...errors import InputError

EXAMPLE = "Example: inspire-sim validate baseline --targets eu_cis --replications 10 --out runs/validate"


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to the ``inspire-sim`` app."""
    app.command("validate", help=f"Check SCENARIO against patterns, knockouts and survey targets.\n\n{EXAMPLE}")(
        validate_command
    )


def validate_command(
    scenario: Annotated[str, typer.Argument(help="Scenario (name or file), e.g. a calibrated.toml.")] = "baseline",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("runs/validate"),
    targets: Annotated[str, typer.Option("--targets", help="Targets file or shipped name.")] = "eu_cis",
    posterior: Annotated[
        Path | None, typer.Option("--posterior", help="Calibration folder: validate its calibrated.toml.")
    ] = None,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Replications.")] = 10,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Root seed.")] = 0,
    n_smes: Annotated[int | None, typer.Option("--n-smes", "-n", help="Simulated SMEs.")] = None,
    steps: Annotated[int | None, typer.Option("--steps", "-t", help="Months.")] = None,
    scale: Annotated[tuple[int, int], typer.Option("--scale", help="Two population sizes for the scale check.")] = (
        2000,
        20000,
    ),
    no_scale: Annotated[bool, typer.Option("--no-scale", help="Skip the scale check.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", help="Local processes (default: all cores).")] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Write the PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write patterns.csv, targets.csv, scale.csv, convergence.csv, plausibility.csv, report.md/html to --out."""
    from tqdm import tqdm

    from ...analyses.validate import summary_sentences, validate, write_outputs

    if replications < 2:
        raise InputError(f"must be 2 or more, got {replications}", source="command line", field="--replications",
                         fix="give --replications 2 or more (intervals need two runs)")  # fmt: skip
    if posterior is not None:
        cal = posterior / "calibrated.toml"
        if not cal.is_file():
            raise InputError("has no calibrated.toml", source=str(posterior), field="--posterior",
                             fix="give the --out folder of inspire-sim calibrate")  # fmt: skip
        scenario = str(cal)
    if min(scale) < 1 or scale[0] == scale[1]:
        raise InputError(f"needs two different positive sizes, got {scale}", source="command line", field="--scale")
    with tqdm(desc="validate", unit="run", disable=quiet, file=sys.stderr) as bar:
        v = validate(
            scenario, targets=targets, replications=replications, seed=seed, n_smes=n_smes, steps=steps,
            scale=None if no_scale else scale, workers=workers, progress=bar.update,
        )  # fmt: skip
    paths = write_outputs(v, out, figures=figures)
    for s in summary_sentences(v):
        typer.echo(s)
    typer.echo(f"wrote {paths['report_html']} and the tables in {out}")

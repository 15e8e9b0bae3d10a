"""``inspire-sim calibrate``: fit uncertain parameters to survey targets by ABC-SMC (pyabc)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ...errors import InputError
from .options import BatchOption

EXAMPLE = (
    "Example: inspire-sim calibrate eu_cis --params search_rate --params home_bias "
    "--populations 4 --population-size 50 --n-smes 500 --out runs/calibration"
)


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to the ``inspire-sim`` app."""
    app.command("calibrate", help=f"Fit uncertain parameters to TARGETS by ABC-SMC (pyabc).\n\n{EXAMPLE}")(
        calibrate_command
    )


def calibrate_command(
    targets: Annotated[str, typer.Argument(help="Targets file (TOML), or a shipped name: eu_cis.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; re-running on it resumes.")],
    scenario: Annotated[str, typer.Option("--scenario", help="Base scenario (name or file).")] = "baseline",
    params: Annotated[
        list[str] | None,
        typer.Option("--params", help="Parameter to fit (repeatable); default: every uncertain model parameter."),
    ] = None,
    populations: Annotated[int, typer.Option("--populations", help="ABC-SMC generations.")] = 6,
    population_size: Annotated[int, typer.Option("--population-size", help="Particles per generation.")] = 100,
    n_smes: Annotated[int | None, typer.Option("--n-smes", "-n", help="Simulated SMEs per run.")] = None,
    steps: Annotated[int | None, typer.Option("--steps", "-t", help="Months per run.")] = None,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Runs averaged per particle.")] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Root seed of the simulations.")] = 0,
    workers: Annotated[int | None, typer.Option("--workers", help="Local processes (default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address.")] = None,
    batch: BatchOption = None,
    draws: Annotated[int, typer.Option("--predictive-draws", help="Posterior draws re-run for the check.")] = 20,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Write the PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Fit parameters to TARGETS; write posterior.parquet, calibrated.toml, predictive.csv, figures/."""
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise InputError("needs pyabc", source="calibrate", fix="pip install 'inspire-sim[calibrate]'") from None
    from ...analyses.calibrate import calibrate, write_outputs
    from ...analyses.targets import load_targets

    if seed < 0:
        raise InputError(
            f"must not be negative, got {seed}", source="command line", field="--seed", fix="give 0 or more"
        )
    if workers is not None and workers < 1:
        raise InputError(
            f"must be 1 or more, got {workers}", source="command line", field="--workers", fix="give 1 or more"
        )
    from ...run import check_batch

    try:
        check_batch(batch, "--batch")
    except InputError as exc:
        raise exc.with_source("command line") from None
    tset = load_targets(targets)
    result = calibrate(
        tset,
        out,
        scenario=scenario,
        params=params,
        populations=populations,
        population_size=population_size,
        n_smes=n_smes,
        steps=steps,
        replications=replications,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        progress=not quiet,
        batch=batch if batch is not None else "auto",
    )
    paths = write_outputs(result, tset, figures=figures, predictive_draws=draws)
    med = result.median()
    interval = result.interval(0.9)
    typer.echo(
        f"calibrated {len(med)} parameter(s) on {len(tset.fitted())} target(s): "
        f"{result.info['generations']} generations, {result.info['simulations']} simulations, {result.seconds:.0f} s"
    )
    for name, v in med.items():
        lo, hi = interval[name]
        typer.echo(f"  {name}: median {v:.4g}, 90% interval [{lo:.4g}, {hi:.4g}]")
    typer.echo(f"wrote {paths['calibrated']} and {len(paths)} files in {out}")

"""``inspire-sim trial``: a virtual randomised (lottery) trial of one lever of a scenario."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ...errors import InputError
from .options import BatchOption, SetOption, parse_sets

CLI = "command line"


def register(app: typer.Typer) -> None:
    """Add the ``trial`` command to the ``inspire-sim`` app."""
    app.command("trial")(trial_command)


def trial_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file, or the name of a shipped scenario.")],
    lever: Annotated[str, typer.Option("--lever", "-l", help="The lever to randomise (its kind).")],
    share: Annotated[float, typer.Option("--share", help="Probability that an applicant wins the lottery.")] = 0.5,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Number of replications.")] = 10,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Root seed; replication seeds are spawned from it.")] = 0,
    n_smes: Annotated[
        int | None, typer.Option("--n-smes", "-n", help="Simulated SMEs (default: the scenario's n_smes).")
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", "-t", help="Reporting months (default: the scenario's steps).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: trials/<scenario>-<lever>).")
    ] = None,
    sets: SetOption = None,
    posterior: Annotated[
        Path | None,
        typer.Option(
            "--posterior",
            help="Folder written by 'inspire-sim calibrate --out': replicate r runs with posterior draw r; effects.csv "
            "adds the noise-only interval (posterior median) and the probability the effect is positive.",
        ),
    ] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Write the PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    batch: BatchOption = None,
) -> None:
    """Randomise LEVER's service among eligible applicants of SCENARIO; write uptake, effects and a report.

    Example: inspire-sim trial baseline --lever support_funding --replications 10 --out trials/vouchers

    --out gets uptake.csv (take-up, additionality, deadweight, unused as shares of awarded services),
    effects.csv (treated - control at 12, 24 and 60 months, 95% CIs), report.html, report.md and figures.
    """
    from tqdm import tqdm

    from ...analyses.trial import check_lever, run_trial, write_trial
    from ...core.scenario import load_scenario

    if seed < 0:
        raise InputError(f"must not be negative, got {seed}", source=CLI, field="--seed", fix="give --seed 0 or more")
    if steps is not None and steps < 1:
        raise InputError(f"must be at least 1, got {steps}", source=CLI, field="--steps", fix="give --steps 1 or more")
    if n_smes is not None and n_smes < 1:
        raise InputError(
            f"must be 1 or more, got {n_smes}", source=CLI, field="--n-smes", fix="give --n-smes 1 or more"
        )
    from ...run import check_batch

    batch_setting = check_batch(batch, "--batch")
    overrides = parse_sets(sets) | ({"n_smes": n_smes} if n_smes is not None else {})
    scen = load_scenario(scenario, **overrides)
    kind = check_lever(scen, lever)
    out_dir = out if out is not None else Path("trials") / f"{scen.name}-{kind}"
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("exists and is not a directory", source=CLI, field="--out", fix="give a directory path")
    with tqdm(total=replications, desc=f"trial {kind}", unit="rep", disable=quiet, file=sys.stderr) as bar:
        res = run_trial(
            scen,
            kind,
            share=share,
            replications=replications,
            seed=seed,
            steps=steps,
            progress=bar.update,
            posterior=posterior,
            batch=batch_setting,
        )
    written = write_trial(res, out_dir, figures=figures)
    u = res.uptake[["take_up", "additionality", "deadweight", "unused"]].mean()
    typer.echo(
        f"{kind} in {scen.name}: take-up {u['take_up']:.2f}, additionality {u['additionality']:.2f}, "
        f"deadweight {u['deadweight']:.2f}, unused {u['unused']:.2f} (shares of awarded services)"
    )
    extra = ", published.csv (against published evaluations)" if out_dir / "published.csv" in written else ""
    typer.echo(f"wrote {out_dir}/report.html, report.md, uptake.csv, effects.csv{extra}")

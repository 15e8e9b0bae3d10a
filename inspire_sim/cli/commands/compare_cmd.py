"""``inspire-sim compare BASELINE SCENARIO...``: deployment plans against a baseline.

Runs every scenario with the same replication seeds (common random numbers), prints
the headline effects and cost-effectiveness, and writes OUT/report.html (offline,
self-contained), OUT/report.md, OUT/figures/*.png, the tables as CSV and the runs
(OUT/runs/, reused when the command is run again). Bad input: one-line error, exit 2.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ...errors import InputError
from ...outdir import claim, safe_name
from .options import BatchOption, FiguresOption, ProgressOption, SetOption, parse_sets

CLI = "command line"
DEFAULT_REPLICATIONS = 10


def _check(
    replications: int,
    seed: int,
    steps: int | None,
    n_smes: int | None,
    workers: int | None,
    bootstrap: int,
    out: Path | None,
    batch: str | None = None,
) -> None:
    from ...run import check_batch

    try:
        check_batch(batch, "--batch")
    except InputError as exc:
        raise exc.with_source(CLI) from None
    if replications < 2:
        raise InputError(
            f"must be at least 2 to give confidence intervals, got {replications}",
            source=CLI,
            field="--replications",
            fix="give --replications 2 or more (10 or more for policy advice)",
        )
    if seed < 0:
        raise InputError(f"must not be negative, got {seed}", source=CLI, field="--seed", fix="give --seed 0 or more")
    if steps is not None and steps < 1:
        raise InputError(
            f"must be 1 or more months, got {steps}", source=CLI, field="--steps", fix="give --steps 1 or more"
        )
    if n_smes is not None and n_smes < 1:
        raise InputError(
            f"must be 1 or more, got {n_smes}", source=CLI, field="--n-smes", fix="give --n-smes 1 or more"
        )
    if workers is not None and workers < 1:
        raise InputError(
            f"must be 1 or more, got {workers}",
            source=CLI,
            field="--workers",
            fix="give --workers 1 (sequential) or more",
        )
    if bootstrap < 100:
        raise InputError(
            f"must be at least 100, got {bootstrap}",
            source=CLI,
            field="--bootstrap",
            fix="give --bootstrap 1000 or more",
        )
    if out is not None and out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out), field="--out", fix="give a directory path")


def format_headline(comp) -> str:
    """Plain-text summary: per plan, extra cost, key effects and cost per additional unit."""
    from ...analyses.decision import sentences
    from ...reports.compare import OUTCOMES
    from ...reports.report import fmt_ci, fmt_effect, fmt_eur, fmt_ratio, fmt_value
    from ...reports.report.format import fmt_count
    from ...reports.report.guide import guide_title

    real = comp.meta.get("represented_smes")
    lines = [
        f"{comp.meta['replications']} paired replications x {comp.meta['months']} months, "
        f"{comp.meta['n_smes']:,} simulated SMEs standing for {f'{real:,}' if real else 'n/a'} real ones; "
        f"effect = plan - {comp.baseline} [95% CI], counts in real units",
        "",
        *sentences(comp.decision),
    ]
    head = comp.headline()
    ce = comp.cost_effectiveness
    for label in comp.labels:
        lines.append("")
        lines.append(f"{label}")
        rows = ce[ce["scenario"] == label].set_index("outcome")
        first = rows.iloc[0]
        lines.append(
            f"  extra public spending                      {fmt_eur(first['additional_cost_eur'], sign=True)} "
            f"[{fmt_ci(first['additional_cost_ci_low'], first['additional_cost_ci_high'], 'EUR')}]"
        )
        for _, r in head[head["scenario"] == label].iterrows():
            if r["indicator"] == "spend_total":
                continue
            title = guide_title(r["indicator"])
            lines.append(
                f"  {title[:42]:<42} {fmt_value(r['baseline_mean'], r['unit']):>10} -> "
                f"{fmt_value(r['scenario_mean'], r['unit']):>10}  {fmt_effect(r['effect'], r['unit']):>10} "
                f"[{fmt_ci(r['ci_low'], r['ci_high'], r['unit'])}]  {r['reading']}"
            )
        for o in OUTCOMES.values():
            r = rows.loc[o.name]
            ratio, ci = fmt_ratio(r)
            lines.append(
                f"  additional {o.plural:<33} {fmt_count(r['additional'], sign=True):>8}   "
                f"EUR per unit: {ratio}{f' [{ci}]' if ci else ''}"
            )
    return "\n".join(lines)


def compare_command(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            help="BASELINE then one or more SCENARIOs: files, or names of shipped scenarios.",
            show_default=False,
            metavar="BASELINE SCENARIO",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-r", help="Replications per scenario (same seeds for all).")
    ] = DEFAULT_REPLICATIONS,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Base seed of the replication seeds (and of the bootstrap).")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output directory (default: runs/compare-<baseline>-<first plan>). "
            "Runs stored there are reused when the command is repeated.",
        ),
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", "-t", help="Months to simulate (default: the scenarios' steps).")
    ] = None,
    n_smes: Annotated[
        int | None, typer.Option("--n-smes", "-n", help="Number of SMEs (default: the scenarios' n_smes).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Local worker processes (default: all cores; 1 = sequential).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running Dask scheduler (its workers must see OUT, e.g. on a shared file system).",
        ),
    ] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", help="'local': run on a Dask LocalCluster.")] = None,
    batch: BatchOption = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap resamples for the cost-effectiveness CIs.")
    ] = 2000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Run again even if OUT/runs holds matching runs.")] = False,
    sets: SetOption = None,
    allow_different_populations: Annotated[
        bool,
        typer.Option(
            "--allow-different-populations",
            help="Compare plans whose SME population, countries' attributes or initial conditions differ from "
            "the baseline's (the effect then mixes policy and population).",
        ),
    ] = False,
    posterior: Annotated[
        Path | None,
        typer.Option(
            "--posterior",
            help="Folder written by 'inspire-sim calibrate --out': replication r of the baseline and of every plan "
            "runs with posterior draw r (parameter uncertainty); the report adds noise-only vs total intervals.",
        ),
    ] = None,
    figures: FiguresOption = True,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Also print report.html to an A4 report.pdf (executive summary on page 1) with the local "
            "Chromium through Playwright. Default: on when both are available.",
            show_default=False,
        ),
    ] = None,
    progress: ProgressOption = True,
) -> None:
    """Compare deployment plans with a BASELINE (common random numbers).

    Paired effects with 95% CIs per indicator and country, costs by lever and country, EUR
    per additional successful OI project, cross-border partnership and SME reaching
    scaling-up; writes an offline HTML report, Markdown, PNG figures, CSV tables and
    manifest.json to OUT (`inspire-sim rerun OUT` reproduces it).

    Example: inspire-sim compare baseline national_funding cross_border_brokering -r 10 --set n_smes=2000
    """
    from ...reports.compare import compare, load_plans
    from ...reports.report import write_report

    names = list(scenarios or [])
    _check(replications, seed, steps, n_smes, workers, bootstrap, out, batch)
    if len(names) < 2:
        raise InputError(
            f"needs a baseline and at least one scenario (got {len(names)})",
            source=CLI,
            field="SCENARIO",
            fix="e.g. inspire-sim compare baseline national_funding",
        )
    overrides = parse_sets(sets)
    scens = load_plans(  # errors before any run
        names, steps=steps, n_smes=n_smes, sets=overrides, allow_different_populations=allow_different_populations
    )
    default = f"compare-{scens[0].name}-{scens[1].name}" + (f"-and-{len(scens) - 2}-more" if len(scens) > 2 else "")
    out_dir = claim(out if out is not None else Path("runs") / safe_name(default, "compare"), "compare")
    t0 = time.perf_counter()
    try:
        comp = compare(
            scens[0],
            scens[1:],
            replications=replications,
            seed=seed,
            steps=steps,
            workers=workers,
            store=out_dir,
            fresh=fresh,
            progress=progress,
            n_boot=bootstrap,
            scheduler=scheduler,
            cluster=cluster,
            allow_different_populations=allow_different_populations,
            posterior=posterior,
            batch=batch,
        )
    except RuntimeError as exc:
        print(f"inspire-sim: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    opts = [f"--replications {replications}", f"--seed {seed}"]
    opts += [f"--steps {steps}"] if steps is not None else []
    opts += [f"--n-smes {n_smes}"] if n_smes is not None else []
    opts += [f"--set {shlex.quote(x)}" for x in sets or []]
    opts += ["--allow-different-populations"] if allow_different_populations else []
    opts += [f"--posterior {shlex.quote(str(posterior))}"] if posterior is not None else []
    opts += [] if figures else ["--no-figures"]
    opts += ["--no-pdf"] if pdf is False else []
    command = " ".join(["inspire-sim compare", *(shlex.quote(n) for n in names), *opts])
    t1 = time.perf_counter()
    paths = write_report(comp, out_dir, command=command, figures=figures)
    comp.meta.setdefault("timings", {})["report_s"] = round(time.perf_counter() - t1, 3)
    comp.meta["timings"]["total_s"] = round(time.perf_counter() - t0, 3)
    comp.save_tables(out_dir)
    _write_manifest(comp, scens, seed, out_dir)
    typer.echo(format_headline(comp))
    pngs = f", {paths['figures']}/*.png" if figures else ""
    typer.echo(f"\nwrote {paths['html']} (offline), {paths['markdown']}{pngs} and CSV tables")
    if pdf is not False:
        _write_pdf(paths["html"], out_dir / "report.pdf", explicit=pdf is True)


def _write_pdf(html: Path, target: Path, *, explicit: bool) -> None:
    """Print ``html`` to ``target``; without Chromium/Playwright: a one-line note (an error if asked for)."""
    from ...reports.pdf import html_to_pdf, pdf_unavailable

    why = pdf_unavailable()
    if why is not None:
        if explicit:
            raise InputError(
                f"cannot print report.pdf: {why}", source=CLI, field="--pdf", fix="install it, or pass --no-pdf"
            )
        typer.echo(f"note: no report.pdf: {why}; pass --no-pdf to skip this note", err=True)
        return
    html_to_pdf(html, target)
    typer.echo(f"wrote {target} (A4)")


def _write_manifest(comp, scens, seed: int, out_dir: Path) -> None:
    """OUT/manifest.json: the common manifest schema (argv, scenarios, versions) + the comparison's meta."""
    from ...manifest import base_manifest
    from ...results import write_manifest

    write_manifest(base_manifest("compare", seed=seed, scenarios=scens) | {"comparison": comp.meta}, out_dir)


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the ``inspire-sim`` app."""
    app.command("compare")(compare_command)

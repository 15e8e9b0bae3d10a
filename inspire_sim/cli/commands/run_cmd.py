"""``inspire-sim run`` (simulate a scenario, summarise, store, plot) and ``inspire-sim params``."""

from __future__ import annotations

import inspect
import math
import sys
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ...core.params import Role
from ...core.scenario import load_scenario
from ...errors import InputError, unknown_key_fix
from ...levers import parameter_table, spec_by_name

# Through the package, not ``from ..run import``: importing the submodule directly would
# rebind ``inspire_sim.run`` (the function) to the module of the same name.
from ...run import run_replications
from .options import BatchOption, FiguresOption, ProgressOption, SetOption, parse_sets

_RUN_DEFAULTS = inspect.signature(run_replications).parameters
DEFAULT_REPLICATIONS: int = _RUN_DEFAULTS["replications"].default
DEFAULT_SEED: int = _RUN_DEFAULTS["seed"].default
DEFAULT_SCENARIO: str = inspect.signature(load_scenario).parameters["path"].default

CLI = "command line"
ROLES = " | ".join(Role)


def text_table(df: pd.DataFrame) -> str:
    """``df`` as plain text with every column left-aligned (cells shown with ``str``)."""
    cells = df.astype(str)
    widths = {c: max([len(str(c)), *cells[c].str.len()]) for c in cells.columns}
    fmt = {c: (lambda v, w=widths[c]: v.ljust(w)) for c in cells.columns}
    text = cells.to_string(index=False, justify="left", formatters=fmt)
    return "\n".join(line.rstrip() for line in text.splitlines())


def register(app: typer.Typer) -> None:
    """Add the ``run`` and ``params`` commands to the ``inspire-sim`` app."""
    app.command("run")(run_command)
    app.command("params")(params_command)


# ----------------------------------------------------------------------------------------
# inspire-sim run
# ----------------------------------------------------------------------------------------


def _check_positive(value: int | None, option: str, what: str, hi: float | None = None) -> None:
    """Raise InputError unless ``value`` is None or a whole number in 1..hi."""
    if value is None or (value >= 1 and (hi is None or value <= hi)):
        return
    allowed = f"1..{int(hi)}" if hi is not None else "1 or more"
    raise InputError(
        f"must be a positive number of {what}, got {value}", source=CLI, field=option, fix=f"give {option} {allowed}"
    )


def _check_options(replications: int, seed: int, steps: int | None) -> None:
    _check_positive(replications, "--replications", "replications")
    _check_positive(steps, "--steps", "months", spec_by_name()["steps"].hi)
    if seed < 0:
        raise InputError(f"must not be negative, got {seed}", source=CLI, field="--seed", fix="give --seed 0 or more")


def _output_dir(out: Path | None, scenario_name: str) -> Path:
    """``--out``, or ``runs/<safe scenario name>``; refused if it holds something else than run output."""
    from ...outdir import claim, safe_name

    return claim(out if out is not None else Path("runs") / safe_name(scenario_name, "run"), "run")


def _simulate(scenario, replications: int, seed: int, steps: int | None, quiet: bool, batch: int | str = "auto"):
    """Run the replications (``batch`` at a time) with a progress bar (on stderr)."""
    from tqdm import tqdm

    with tqdm(total=replications, desc=scenario.name, unit="run", disable=quiet, file=sys.stderr) as bar:
        return run_replications(scenario, replications, seed=seed, steps=steps, progress=bar.update, batch=batch)


def _number(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"


def _label(name: str) -> str:
    """A reader's label: the report guide's title, else the name in words (``_real``: same label)."""
    from ...core.metrics import REAL_SUFFIX
    from ...reports.report.guide import GUIDE

    base = name.removesuffix(REAL_SUFFIX)
    if base in GUIDE:
        return GUIDE[base][0]
    words = base.replace("__", ": ").replace("_", " ").capitalize()
    fixed = {"oi": "OI", "smes": "SMEs", "sme": "SME", "top1pct": "top 1%"}
    return " ".join(fixed.get(w.lower(), w) for w in words.split(" "))


def _lever_of(indicator: str, kinds: list[str]) -> str | None:
    """The lever kind a lever indicator (``take_up_<kind>``, ``awarded_<kind>``, ``spend_<kind>``) belongs to."""
    name = indicator.removesuffix("_real")
    for prefix in ("take_up_", "awarded_", "spend_"):
        if name.startswith(prefix) and name[len(prefix) :] in kinds:
            return name[len(prefix) :]
    return None


def format_summary(
    summary: pd.DataFrame,
    partner_types: bool = False,
    levers_on: set[str] | None = None,
    kinds: list[str] | None = None,
) -> str:
    """The summary table as plain text: indicator (in words), statistic, unit, mean, 95% CI, name.

    Counts of the simulated population are shown in real-population units (their ``_real`` twin),
    shares as percentages (intervals clipped to 0-100%), counts as whole numbers, no scientific
    notation. The 16 counts of partnerships by partner type x stage (``pt_*``) are shown only with
    ``partner_types`` (they are in summary.csv and the heatmap figure). summary.csv keeps every row.
    With ``levers_on`` (the lever kinds the scenario runs) and ``kinds`` (every lever kind with
    columns), an indicator of a lever that is off reads "lever off"; an indicator undefined in
    every run reads "undefined", one defined in a single run "n/a (1 run)".
    """
    from ...core.metrics import REAL_SUFFIX
    from ...reports.report.format import fmt_value, is_money

    names = set(summary["indicator"])
    keep = ~summary["indicator"].isin([n.removesuffix(REAL_SUFFIX) for n in names if n.endswith(REAL_SUFFIX)])
    rows = summary[keep] if partner_types else summary[keep & ~summary["indicator"].str.startswith("pt_")]

    def value(v: float, unit: str) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "n/a"
        if unit == "share":
            v = min(max(float(v), 0.0), 1.0)
        if unit.startswith("real ") or unit == "EUR":
            v = max(float(v), 0.0)  # counts and spending are never negative (a t-interval can be)
        return fmt_value(v, "real SMEs" if unit.startswith("real ") and not is_money(unit) else unit)

    off = [
        levers_on is not None and (lever := _lever_of(name, kinds or [])) is not None and lever not in levers_on
        for name in rows["indicator"]
    ]

    def interval(lo: float, hi: float, n: int, u: str, is_off: bool) -> str:
        if is_off:
            return "lever off"
        if n == 0:
            return "undefined"
        return "n/a (1 run)" if n < 2 else f"[{value(lo, u)}, {value(hi, u)}]"

    ci = [
        interval(lo, hi, n, u, o)
        for lo, hi, n, u, o in zip(rows["ci_low"], rows["ci_high"], rows["n"], rows["unit"], off, strict=True)
    ]
    table = pd.DataFrame(
        {
            "indicator": [_label(n) for n in rows["indicator"]],
            "statistic": rows["statistic"],
            "unit": ["%" if u == "share" else u for u in rows["unit"]],
            "mean": [
                "lever off" if o else value(v, u) for v, u, o in zip(rows["mean"], rows["unit"], off, strict=True)
            ],
            "95% CI": ci,
            "name": rows["indicator"],
        }
    )
    return text_table(table)


def _write_outputs(
    results, summary: pd.DataFrame, out: Path, command: dict, figures: bool, base: dict | None = None
) -> list[Path]:
    """Write figures, summary.csv, the Parquet tables and manifest.json into ``out``."""
    from ...results import save_runs

    try:
        out.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        written = []
        if figures:
            from ...reports.plots import save_figures

            written += save_figures(results, out / "figures")  # the same layout as compare: OUT/figures/*.png
        command["timings"]["figures_s"] = round(time.perf_counter() - t, 3)
        summary.to_csv(out / "summary.csv", index=False)
        save_runs(results, out, extra={"command": command}, base=base)
    except OSError as exc:
        raise InputError(
            f"cannot write results ({exc.strerror or exc})",
            source=str(out),
            field="--out",
            fix="choose a writable directory",
        ) from None
    return written


def _n_smes(value: str, scenario: str, overrides: dict) -> int:
    """``--n-smes``: a positive whole number, or ``full`` (the real SMEs of the scenario's countries)."""
    text = value.strip().lower().replace("_", "").replace(",", "")
    if text == "full":
        from ...costs import full_scale_smes

        return full_scale_smes(load_scenario(scenario, **overrides))
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not (math.isfinite(number) and number == int(number)):  # a whole number: the scenario checks its bounds
        raise InputError(
            f"must be a whole number of SMEs or 'full', got {value!r}",
            source=CLI,
            field="--n-smes",
            fix="e.g. --n-smes 20000, or --n-smes full for every real SME at 1:1",
        )
    return int(number)


def _check_cost(scen: object, replications: int, steps: int | None, batch: int) -> None:
    """Print the estimate of a run that would take over a minute; refuse one that would not fit in memory."""
    from ...costs import ANNOUNCE_SECONDS, estimate, memory_problem

    p = scen.params  # type: ignore[attr-defined]
    months = int(p.burn_in) + int(steps if steps is not None else p.steps)
    est = estimate(int(p.n_smes), months, replications, batch)
    problem = memory_problem(est)
    if problem is not None:
        message, fix = problem
        raise InputError(message, source=CLI, field="--n-smes", fix=fix)
    if est.seconds > ANNOUNCE_SECONDS:
        print(f"inspire-sim: {est.line()}", file=sys.stderr, flush=True)


def run_command(
    scenario: Annotated[
        str, typer.Argument(help="Scenario file, or the name of a shipped scenario.")
    ] = DEFAULT_SCENARIO,
    replications: Annotated[
        int, typer.Option("--replications", "-r", help="Number of replications.")
    ] = DEFAULT_REPLICATIONS,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Root seed; replication seeds are spawned from it.")
    ] = DEFAULT_SEED,
    steps: Annotated[
        int | None, typer.Option("--steps", "-t", help="Months to simulate (default: the scenario's steps).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/<scenario name>).")
    ] = None,
    n_smes: Annotated[
        str | None,
        typer.Option(
            "--n-smes",
            "-n",
            help="Number of SMEs (default: the scenario's n_smes), or 'full': every real SME of 10-249 persons "
            "employed in the scenario's countries, each simulated (the EU-27 at 1:1: 1.77 M).",
            metavar="N|full",
        ),
    ] = None,
    sets: SetOption = None,
    batch: BatchOption = None,
    figures: FiguresOption = True,
    progress: ProgressOption = True,
    partner_types: Annotated[
        bool, typer.Option("--partner-types", help="Also print partnerships by partner type x stage.")
    ] = False,
) -> None:
    """Simulate SCENARIO, print the indicators (mean, 95% CI over replications), write --out.

    --out gets one Parquet file per table (with a replication column), manifest.json, summary.csv and PNG
    figures in OUT/figures (as compare); `inspire-sim rerun OUT` reproduces it.

    Example: inspire-sim run national_funding -r 20 --set n_smes=5000 --out runs/nf
    """
    from ...manifest import base_manifest
    from ...results import summarize
    from ...run import check_batch, resolve_batch

    _check_options(replications, seed, steps)
    try:
        check_batch(batch, "--batch")
    except InputError as exc:
        raise exc.with_source(CLI) from None
    overrides = parse_sets(sets)
    if n_smes is not None:
        overrides["n_smes"] = _n_smes(n_smes, scenario, overrides)
    scen = load_scenario(scenario, **overrides)
    size = min(resolve_batch(batch, scen.params.n_smes), replications)
    _check_cost(scen, replications, steps, size)
    out_dir = _output_dir(out, scen.name)
    t0 = time.perf_counter()
    results = _simulate(scen, replications, seed, steps, not progress, size)
    command = {
        "name": "run",
        "scenario": scenario,
        "replications": replications,
        "seed": seed,
        "steps": steps,
        "n_smes": n_smes,
        "set": overrides,
        "out": str(out_dir),
        "batch": size,
        "timings": {"simulate_s": round(time.perf_counter() - t0, 3)},
    }
    summary = summarize(results)
    typer.echo(
        f"{scen.name}: {replications} replication(s), {len(results[0].timeseries)} months, {scen.params.n_smes} SMEs"
    )
    from ...core.policies import lever_kinds, resolve_kind

    levers_on = {resolve_kind(p.kind) for p in scen.policies}
    typer.echo(format_summary(summary, partner_types, levers_on=levers_on, kinds=lever_kinds()))
    base = base_manifest("run", seed=seed, scenarios=[scen])
    written = _write_outputs(results, summary, out_dir, command, figures, base)
    typer.echo(
        f"wrote {out_dir}: Parquet tables, manifest.json, summary.csv"
        + (f", {len(written)} figures in {out_dir / 'figures'}" if written else "")
    )


# ----------------------------------------------------------------------------------------
# inspire-sim params
# ----------------------------------------------------------------------------------------


def _bounds(lo: float | None, hi: float | None) -> str:
    fmt = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"  # noqa: E731
    return f"[{fmt(lo)}, {fmt(hi)}]" if (lo, hi) != (None, None) else ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


PARAMS_CLIP = {"default": 14, "unit": 14, "bounds": 16}
"""Widest shown default, unit and bounds in the terminal table (full values: --csv, --json)."""
PARAMS_MIN_CLIP = 8
SOURCE_MIN = 24
"""Below this width the source goes on its own, wrapped line under the parameter."""


def params_frame(role: str | None = None) -> pd.DataFrame:
    """The parameter table with the ranges as two columns each (``lo, hi``, ``sa_lo, sa_hi``)."""
    table = parameter_table(role)
    sa = [r if isinstance(r, (tuple, list)) else (None, None) for r in table["sa_range"]]
    out = table.drop(columns=["sa_range"])
    out.insert(int(out.columns.get_loc("hi")) + 1, "sa_lo", pd.array([a for a, _ in sa], dtype="Float64"))
    out.insert(int(out.columns.get_loc("sa_lo")) + 1, "sa_hi", pd.array([b for _, b in sa], dtype="Float64"))
    return out


def params_text(table: pd.DataFrame, width: int) -> str:
    """The terminal table, fitted to ``width`` columns.

    One section per scenario table (``[model]``, ``[support_funding]``, ...) as in a scenario
    file, then per parameter: name, default, unit, bounds, role, source. Long defaults, units
    and bounds are clipped (to fit ``width``); when little room is left the source goes on its
    own wrapped line. Every value in full: ``--csv`` or ``--json``.
    """
    import textwrap

    section, short = zip(*(n.split(".", 1) for n in table["name"]), strict=True) if len(table) else ((), ())
    full = {
        "name": ["  " + n for n in short],
        "default": [str(v) for v in table["default"]],
        "unit": [str(v) for v in table["unit"]],
        "bounds": [_bounds(lo, hi) for lo, hi in zip(table["lo"], table["hi"], strict=True)],
        "role": [str(v) for v in table["role"]],
    }
    natural = {c: max([len(c), *(len(v) for v in vals)]) for c, vals in full.items()}
    clip = {c: min(natural[c], PARAMS_CLIP.get(c, natural[c])) for c in full}
    while sum(clip.values()) + len(clip) > width and any(clip[c] > PARAMS_MIN_CLIP for c in PARAMS_CLIP):
        widest = max(PARAMS_CLIP, key=lambda c: clip[c])
        clip[widest] -= 1
    room = width - sum(clip.values()) - len(clip)
    inline = room >= SOURCE_MIN
    cols = [*full, "source"] if inline else list(full)
    header = " ".join(c.ljust(clip.get(c, 0)) for c in cols).rstrip()
    lines = [header]
    last = None
    for i, src in enumerate(table["source"].astype(str)):
        if section[i] != last:
            lines.append(f"[{section[i]}]")
            last = section[i]
        cells = [_clip(full[c][i], clip[c]).ljust(clip[c]) for c in full]
        if inline:
            lines.append(" ".join([*cells, _clip(src, room)]).rstrip())
        else:
            lines.append(" ".join(cells).rstrip())
            lines += textwrap.wrap(src, width=width, initial_indent="      ", subsequent_indent="      ")
    return "\n".join(lines)


def params_command(
    role: Annotated[str | None, typer.Option("--role", help=f"Only parameters of this role: {ROLES}.")] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="Every column as CSV (ranges as lo, hi and sa_lo, sa_hi; description).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Every column as a JSON list of records.")] = False,
) -> None:
    """Print the parameter table: name, default, unit, bounds, role, source (fitted to the terminal).

    Example: inspire-sim params --role lever; inspire-sim params --csv > params.csv
    """
    import shutil

    if role is not None and role not in list(Role):
        raise InputError(f"unknown role {role!r}", source=CLI, field="--role", fix=unknown_key_fix(role, list(Role)))
    if csv and as_json:
        raise InputError("--csv and --json exclude each other", source=CLI, field="--json", fix="give one of them")
    table = params_frame(role)
    if csv:
        typer.echo(table.to_csv(index=False), nl=False)
    elif as_json:
        typer.echo(table.to_json(orient="records", indent=1))
    else:
        typer.echo(params_text(table, shutil.get_terminal_size((100, 24)).columns))

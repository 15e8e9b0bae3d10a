"""Evidence that the model is right: patterns with knockouts, targets, scale invariance, convergence.

:func:`validate` runs a scenario and reports, for a reader deciding whether to trust it:

- **patterns** (P1-P8, :mod:`inspire_sim.analyses.patterns`): each measure's value and acceptance band;
  where a measure declares a *knockout* (parameter overrides that switch its mechanism off),
  the value under the knockout and whether the measure then fails, as it must;
- **null model**: every knockout at once; how many measures still pass (fewer is better);
- **targets** (:mod:`inspire_sim.analyses.targets`): the model against survey facts with intervals over
  replications (or over posterior draws with ``posterior``), calibration targets and held-out
  ones (out of sample) apart;
- **scale invariance**: shares at two numbers of simulated SMEs (they must agree within
  ``SCALE_TOLERANCE``);
- **replication convergence**: how the mean and its 95% interval settle as replications grow;
- **plausibility in real units** (:mod:`inspire_sim.analyses.plausibility`): the headline figures in
  real units next to their published references and sources, each with a pass band.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.scenario import Scenario, load_scenario
from ..core.streams import replicate_seed
from ..runpool import run_batched
from .patterns import MEASURES, check_patterns, null_model_overrides, secondary_measures
from .plausibility import display_rows, plausibility_table
from .plausibility import summary_sentence as plausibility_sentence
from .targets import TargetSet, check_against, load_targets, target_value

SCALE_TOLERANCE = 0.015  # shares at two population sizes must agree within this (issue: population scale)
SCALE_SHARES = ("cooperating_share", "cross_border_share", "project_success_rate", "oi_active_share")
CONVERGENCE = ("cooperating_share", "cross_border_share", "project_success_rate")


@dataclass
class ValidationResult:
    """Tables of a validation run (see the module docstring)."""

    scenario: str
    replications: int
    patterns: pd.DataFrame
    null_model: pd.DataFrame
    secondary: pd.DataFrame
    targets: pd.DataFrame
    scale: pd.DataFrame
    convergence: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    plausibility: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def null_passes(self) -> int:
        return int(self.null_model["passes"].sum()) if len(self.null_model) else 0


def _replicate(scen: Scenario, n: int, seed: int, workers: int | None, progress: Any = None) -> list[Any]:
    """``n`` replications of ``scen`` (seeds ``replicate_seed(seed, r)``), batched (``batch = "auto"``)."""
    jobs = [(scen, replicate_seed(seed, r)) for r in range(n)]
    return run_batched(jobs, record_partnerships=True, batch="auto", workers=workers, progress=progress)


def knockouts() -> dict[str, dict[str, Any]]:
    """Each measure's knockout overrides, by measure name."""
    return {m.name: dict(m.knockout) for m in MEASURES if m.knockout}


KNOCKOUT_MARGIN_SE = 3.0
"""A knockout *fails* its measure when the value lies outside the band by more than this many standard
errors (over the knockout's replications): a failure by noise is no evidence (issue 20)."""


def replication_se(measure: Any, runs: list[Any]) -> float:
    """Standard error of ``measure`` over replications: the sd of its value in each run / sqrt(runs)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = np.array([measure.compute([r]) for r in runs], dtype=float)
    vals = vals[np.isfinite(vals)]
    return float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else float("nan")


def outside_by(value: float, lo: float, hi: float, se: float) -> float:
    """How far ``value`` lies outside [lo, hi], in standard errors (negative: inside; inf: outside, se 0).

    A value that cannot be computed (nan: no such events under the knockout) counts as outside.
    """
    if not np.isfinite(value):
        return float("inf")
    gap = max(lo - value, value - hi)
    if se > 0:
        return float(gap / se)
    return float("inf") if gap > 0 else float("-inf")


def pattern_table(
    scen: Scenario, runs: list[Any], replications: int, seed: int, workers: int | None, progress: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patterns with knockouts, and the null model's verdicts."""
    base = check_patterns(runs).rename(columns={"passed": "passes"})
    by_name = {m.name: m for m in MEASURES}
    kos = knockouts()
    groups: dict[tuple[tuple[str, Any], ...], list[str]] = {}
    for name, ko in kos.items():
        groups.setdefault(tuple(sorted(ko.items())), []).append(name)
    ko_value: dict[str, float] = {}
    ko_se: dict[str, float] = {}
    for key, names in groups.items():
        ko_runs = _replicate(scen.with_overrides(dict(key)), replications, seed, workers, progress)
        for name in names:
            ko_value[name] = float(by_name[name].compute(ko_runs))
            ko_se[name] = replication_se(by_name[name], ko_runs)
    base["mechanism"] = [by_name[n].mechanism for n in base["measure"]]
    base["knockout"] = ["; ".join(f"{k}={v}" for k, v in kos.get(n, {}).items()) for n in base["measure"]]
    base["knockout_value"] = [ko_value.get(n, np.nan) for n in base["measure"]]
    base["knockout_se"] = [ko_se.get(n, np.nan) for n in base["measure"]]
    base["knockout_margin_se"] = [
        outside_by(ko_value[r.measure], r.lo, r.hi, ko_se[r.measure]) if r.measure in ko_value else np.nan
        for r in base.itertuples()
    ]
    base["knockout_fails"] = [
        bool(r.knockout_margin_se > KNOCKOUT_MARGIN_SE) if r.measure in ko_value else None for r in base.itertuples()
    ]
    null = pd.DataFrame()
    if kos:
        null_runs = _replicate(scen.with_overrides(null_model_overrides()), replications, seed, workers, progress)
        null = check_patterns(null_runs).rename(columns={"passed": "passes"})
    base = base.rename(columns={"lo": "low", "hi": "high"})
    cols = ["measure", "pattern", "value", "low", "high", "passes", "mechanism", "knockout", "knockout_value",
            "knockout_fails", "knockout_se", "knockout_margin_se", "meaning"]  # fmt: skip
    return base[cols], null


def target_table(targets: TargetSet, runs: list[Any]) -> pd.DataFrame:
    """Each target against the model: mean, its standard error and the 5-95% range over runs, within ± 2 sd,
    held out or not. ``model_se`` (sd over runs / sqrt(runs)) shows how much of a gap is the model's own
    sampling noise (large for the smallest countries, which few simulated SMEs stand for)."""
    rows = []
    for t in targets.targets:
        vals = np.array([target_value(t, r) for r in runs], dtype=float)
        vals = vals[np.isfinite(vals)]
        mean = float(vals.mean()) if len(vals) else np.nan
        rows.append(
            {
                "target": t.name,
                "held_out": t.held_out,
                "value": t.value,
                "sd": t.sd,
                "low": t.value - 2 * t.sd,
                "high": t.value + 2 * t.sd,
                "model_mean": mean,
                "model_se": float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else np.nan,
                "model_q05": float(np.quantile(vals, 0.05)) if len(vals) else np.nan,
                "model_q95": float(np.quantile(vals, 0.95)) if len(vals) else np.nan,
                "z": (mean - t.value) / t.sd,
                "within_2sd": bool(abs(mean - t.value) <= 2 * t.sd),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def _late_share(col: str) -> Callable[[Any], float]:
    return lambda r: float(r.timeseries[col].iloc[len(r.timeseries) // 2 :].mean())


def scale_table(
    scen: Scenario, sizes: tuple[int, int], replications: int, seed: int, workers: int | None, progress: Any = None
) -> pd.DataFrame:
    """Shares (second half of the run) at two population sizes, paired by replicate seed."""
    small = _replicate(scen.with_overrides({"n_smes": sizes[0]}), replications, seed, workers, progress)
    large = _replicate(scen.with_overrides({"n_smes": sizes[1]}), replications, seed, workers, progress)
    rows = []
    for col in SCALE_SHARES:
        if col not in small[0].timeseries:
            continue
        a = np.array([_late_share(col)(r) for r in small])
        b = np.array([_late_share(col)(r) for r in large])
        diff = float(b.mean() - a.mean())
        se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))) if len(a) > 1 else np.nan
        rows.append(
            {
                "indicator": col,
                f"n_{sizes[0]}": float(a.mean()),
                f"n_{sizes[1]}": float(b.mean()),
                "difference": diff,
                "se": se,
                "tolerance": SCALE_TOLERANCE,
                "agrees": bool(abs(diff) <= SCALE_TOLERANCE),
            }
        )
    return pd.DataFrame(rows)


def convergence_table(runs: list[Any]) -> pd.DataFrame:
    """Running mean and 95% CI half-width of key shares as replications accumulate."""
    rows = []
    for col in CONVERGENCE:
        if col not in runs[0].timeseries:
            continue
        vals = np.array([_late_share(col)(r) for r in runs])
        for k in range(2, len(vals) + 1):
            v = vals[:k]
            half = float(stats.t.ppf(0.975, k - 1) * v.std(ddof=1) / np.sqrt(k))
            rows.append({"indicator": col, "replications": k, "mean": float(v.mean()), "ci_half_width": half})
    return pd.DataFrame(rows)


def validate(
    scenario: str | Path | Scenario = "baseline",
    *,
    targets: str | Path | TargetSet = "eu_cis",
    replications: int = 10,
    seed: int = 0,
    n_smes: int | None = None,
    steps: int | None = None,
    scale: tuple[int, int] | None = (2000, 20000),
    scale_replications: int = 4,
    knockout_replications: int | None = None,
    workers: int | None = None,
    progress: Any = None,
) -> ValidationResult:
    """Run the scenario and every check; return the tables (see :func:`write_outputs`)."""
    overrides: dict[str, Any] = {}
    if n_smes is not None:
        overrides["n_smes"] = n_smes
    if steps is not None:
        overrides["steps"] = steps
    scen = (
        scenario.with_overrides(overrides) if isinstance(scenario, Scenario) else load_scenario(scenario, **overrides)
    )
    tset = targets if isinstance(targets, TargetSet) else load_targets(targets)
    runs = _replicate(scen, replications, seed, workers, progress)
    check_against(tset, runs[0])
    patterns, null = pattern_table(scen, runs, knockout_replications or replications, seed, workers,
                                   progress)  # fmt: skip
    scale_df = (
        scale_table(scen, scale, scale_replications, seed, workers, progress) if scale is not None else pd.DataFrame()
    )
    return ValidationResult(
        scenario=scen.name,
        replications=replications,
        patterns=patterns,
        null_model=null,
        secondary=secondary_measures(runs),
        targets=target_table(tset, runs),
        scale=scale_df,
        convergence=convergence_table(runs),
        plausibility=plausibility_table(runs),
        info={
            "targets": tset.name,
            "targets_hash": tset.file_hash,
            "seed": seed,
            "n_smes": scen.params.n_smes,
            "steps": scen.params.steps,
            "scale_sizes": list(scale) if scale else None,
        },
    )


def summary_sentences(v: ValidationResult) -> list[str]:
    """Plain-language verdicts, one per check."""
    p = v.patterns
    out = [
        f"{int(p['passes'].sum())} of {len(p)} pattern measures hold in {v.scenario} ({v.replications} replications)."
    ]
    ko = p[p["knockout_fails"].notna()]
    if len(ko):
        fails = int(ko["knockout_fails"].astype(bool).sum())
        out.append(
            f"{fails} of {len(ko)} knockouts make their measure fail by more than {KNOCKOUT_MARGIN_SE:g} standard "
            "errors, as they should."
        )
    if len(v.null_model):
        out.append(f"The null model (all mechanisms off) passes {v.null_passes} of {len(v.null_model)} measures.")
    for held, label in ((False, "calibration targets"), (True, "held-out targets")):
        t = v.targets[v.targets["held_out"] == held]
        if len(t):
            out.append(f"{int(t['within_2sd'].sum())} of {len(t)} {label} are within 2 sd of the model's mean.")
    if len(v.scale):
        ok = int(v.scale["agrees"].sum())
        out.append(f"{ok} of {len(v.scale)} shares agree within {SCALE_TOLERANCE} between the two population sizes.")
    if len(v.plausibility):
        out.append(plausibility_sentence(v.plausibility))
    return out


def write_outputs(v: ValidationResult, out: str | Path, *, figures: bool = True) -> dict[str, Path]:
    """patterns.csv, targets.csv, scale.csv, convergence.csv, null_model.csv, secondary.csv, plausibility.csv,
    report.md / report.html, figures."""
    from jinja2 import Environment, PackageLoader

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        k: out / f"{k}.csv"
        for k in ("patterns", "targets", "scale", "convergence", "null_model", "secondary", "plausibility")
    }
    for k, path in paths.items():
        getattr(v, k).to_csv(path, index=False)
    figs: list[str] = []
    if figures:
        from . import validate_plots

        figs = [
            p.relative_to(out).as_posix()
            for p in validate_plots.write_figures(v.targets, v.convergence, out / "figures")
        ]
    ctx = {
        "v": v,
        "sentences": summary_sentences(v),
        "figures": figs,
        "tolerance": SCALE_TOLERANCE,
        "plausibility": display_rows(v.plausibility) if len(v.plausibility) else [],
    }
    # escape everything, Markdown too: names come from user files (a raw "<script>" must never pass through);
    # Markdown escapes <, > and & once on output and keeps quotes and apostrophes as they are
    loader = PackageLoader("inspire_sim.analyses", "templates")
    env = Environment(loader=loader, autoescape=True)
    md_env = Environment(loader=loader, autoescape=False, finalize=lambda x: html.escape(str(x), quote=False))
    for e in (env, md_env):
        e.filters["num"] = _num
    paths["report_md"] = out / "report.md"
    paths["report_html"] = out / "report.html"
    paths["report_md"].write_text(md_env.get_template("validate.md.j2").render(**ctx), encoding="utf-8")
    paths["report_html"].write_text(env.get_template("validate.html.j2").render(**ctx), encoding="utf-8")
    return paths


def _num(x: Any) -> str:
    """A number for a report: 3 significant digits, never scientific notation for ordinary values."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 0.001 else f"{x:.4f}"

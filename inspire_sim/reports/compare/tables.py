"""The comparison's tables: effects per indicator and country, costs, ceilings, cost-effectiveness."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...analyses.decision import decide
from ...errors import InputError
from ...results import RunResult, indicator_statistic, mean_ci, reduce_series, run_statistics
from .budget import SPEND_PREFIX, _spend_table, levers_of, plan_ceilings
from .segments import region_effects, segment_table, targeting_table
from .stats import BOOT_SALT, CONFIDENCE, N_BOOT, bootstrap_ratio, paired_ci, reading, relevance_threshold, welch_ci

HEADLINE = (
    "cooperating_share",
    "cross_border_share",
    "new_partnerships_real",
    "new_cross_border_real",
    "successes_real",
    "project_success_rate",
    "scaling_up_reached_real",
    "mean_confidence",
    "retry_rate_after_failure",
    "exits_real",
    "spend_total",
)
"""Indicators of the headline table, counts in real-population units (the full table holds every
indicator, simulated counts included)."""


def country_weights(result: RunResult) -> dict[str, float]:
    """Real SMEs per simulated SME in each country (the run manifest's ``population.weight``).

    A run without a population in its manifest (a hand-made test run) counts 1:1.
    """
    w = (result.manifest or {}).get("population", {}).get("weight") or {}
    return {str(k): float(v) for k, v in w.items()}


def real_series(result: RunResult, name: str) -> pd.Series:
    """A run's monthly series of ``name`` in real-population units (``metrics.real_name``)."""
    from ...core.metrics import real_name

    ts = result.timeseries
    real = real_name(name)
    return ts[real if real in ts.columns else name].astype("float64")


@dataclass(frozen=True)
class Outcome:
    """A countable outcome of a run that a plan pays for."""

    name: str
    unit: str  # singular, e.g. "successful OI project"
    plural: str
    of_run: Callable[[RunResult], float]
    of_country: Callable[[RunResult], pd.Series]  # country -> count


def _to_real(r: RunResult, counts: pd.Series) -> pd.Series:
    """Simulated counts by country -> real counts (times the country's weight)."""
    w = country_weights(r)
    counts = counts.astype("float64")
    counts.index = counts.index.astype(str)
    return counts * pd.Series({c: w.get(c, 1.0) for c in counts.index}, dtype="float64")


def _country_sum(col: str) -> Callable[[RunResult], pd.Series]:
    return lambda r: _to_real(r, r.countries.groupby("country", observed=False)[col].sum())


def _country_final(col: str) -> Callable[[RunResult], pd.Series]:
    def f(r: RunResult) -> pd.Series:
        c = r.countries
        last = c[c["step"] == c["step"].max()]
        return _to_real(r, last.groupby("country", observed=False)[col].sum())

    return f


def _country_cross_border(r: RunResult) -> pd.Series:
    p = r.partnerships
    if not len(p):
        return pd.Series(dtype="float64")
    return _to_real(r, p[p["cross_border"].astype(bool)].groupby("lead_country", observed=False).size())


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "oi_projects_started",
            "OI project started",
            "OI projects started",
            lambda r: float(real_series(r, "new_partnerships").sum()),
            _country_sum("new_partnerships"),
        ),
        Outcome(
            "successful_projects",
            "successful OI project",
            "successful OI projects",
            lambda r: float(real_series(r, "successes").sum()),
            _country_sum("successes"),
        ),
        Outcome(
            "cross_border_partnerships",
            "cross-border partnership",
            "cross-border partnerships",
            lambda r: float(real_series(r, "new_cross_border").sum()),
            _country_cross_border,
        ),
        Outcome(
            "smes_reaching_scaling_up",
            "SME reaching scaling-up",
            "SMEs reaching scaling-up",
            lambda r: float(real_series(r, "scaling_up_reached").iloc[-1]),
            _country_final("scaling_up_reached"),
        ),
    )
}
"""The outcomes of the cost-effectiveness table (cumulative over the run, real-population counts:
``metrics.real_name``; by country, simulated counts times the country's weight)."""


@dataclass
class Comparison:
    """A baseline and plans, their runs, and the tables of the comparison.

    Attributes:
        baseline: label of the baseline.
        labels: labels of the compared plans (unique; in command-line order).
        results: label -> replications (baseline included), paired by index.
        scenarios: label -> the Scenario (if known; used for plan descriptions and ceilings).
        indicators: one row per (scenario, indicator): ``statistic, unit, baseline_mean,
            scenario_mean, effect, ci_low, ci_high, unpaired_ci_low, unpaired_ci_high,
            relative_change, higher_is_better, relevance_threshold, relevance, relevant, clear, reading, n``
            (``relevant``: the effect reaches the practical-relevance threshold; ``clear``: the 95% CI
            excludes 0; ``reading``: both in words, :func:`~inspire_sim.reports.compare.stats.reading`).
        countries: as ``indicators`` with a ``country`` column, for the per-country indicators.
        costs: one row per (scenario incl. baseline, lever, country): mean spending over the
            run (EUR), 95% CI.
        ceilings: one row per (scenario incl. baseline, lever): ceiling from the plan's caps,
            mean spent, utilisation.
        cost_effectiveness: one row per (scenario, outcome): additional outcome (mean, CI),
            additional cost (mean, CI), eur_per_unit (ratio of means) with bootstrap CI,
            share of bootstrap resamples with no gain, status.
        country_cost_effectiveness: the same per country.
        segments: effects by region group and by sector (:func:`.segments.segment_table`).
        region_effects: effect on successful projects per NUTS-2 region (:func:`.segments.region_effects`).
        targeting: for each targeted plan, every plan's effect inside and outside its cells
            (:func:`.segments.targeting_table`).
        decision: for each policy goal of :data:`inspire_sim.analyses.goals.GOALS`, the plans ranked
            (:func:`inspire_sim.analyses.decision.decide`: effect in real units with CI, cost per additional
            outcome, probability of beating the baseline and the next-best plan).
        parameter_uncertainty: with a posterior (``compare(..., posterior=DIR)``), per goal and plan:
            the effect at the posterior median with its noise-only CI, the effect over posterior
            draws with its total CI, and the probability of beating the baseline; else empty.
        meta: seeds, replications, months, SMEs, bootstrap settings, timings.
        plausibility: per scenario, the headline figures in real units against real-world references
            with a pass band and verdict; for voucher plans the cost per additional OI project against
            the CPB voucher evaluations (:func:`.plausibility.comparison_plausibility`).
    """

    baseline: str
    labels: list[str]
    results: dict[str, list[RunResult]]
    scenarios: dict[str, Any] = field(default_factory=dict)
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    countries: pd.DataFrame = field(default_factory=pd.DataFrame)
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    ceilings: pd.DataFrame = field(default_factory=pd.DataFrame)
    cost_effectiveness: pd.DataFrame = field(default_factory=pd.DataFrame)
    country_cost_effectiveness: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    region_effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    targeting: pd.DataFrame = field(default_factory=pd.DataFrame)
    decision: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameter_uncertainty: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)
    plausibility: pd.DataFrame = field(default_factory=pd.DataFrame)  # see .plausibility

    @property
    def all_labels(self) -> list[str]:
        return [self.baseline, *self.labels]

    def headline(self) -> pd.DataFrame:
        """The indicator rows of :data:`HEADLINE`, in that order."""
        rows = self.indicators[self.indicators["indicator"].isin(HEADLINE)].copy()
        rows["_o"] = rows["indicator"].map({n: i for i, n in enumerate(HEADLINE)})
        rows["_s"] = rows["scenario"].map({n: i for i, n in enumerate(self.labels)})
        return rows.sort_values(["_s", "_o"]).drop(columns=["_o", "_s"]).reset_index(drop=True)

    def save_tables(self, directory: str | Path) -> list[Path]:
        """Write the tables as CSV (and meta as JSON) into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in (
            "indicators",
            "countries",
            "costs",
            "ceilings",
            "cost_effectiveness",
            "country_cost_effectiveness",
            "segments",
            "region_effects",
            "targeting",
            "decision",
            "parameter_uncertainty",
        ):
            table = getattr(self, name)
            if name in ("parameter_uncertainty", "targeting") and table.empty:
                continue
            path = out / f"{name}.csv"
            table.to_csv(path, index=False)
            paths.append(path)
        if not self.plausibility.empty:  # headline figures in real units against references (.plausibility)
            self.plausibility.to_csv(out / "plausibility.csv", index=False)
            paths.append(out / "plausibility.csv")
        path = out / "comparison.json"
        path.write_text(json.dumps(self.meta, indent=2, default=str) + "\n", encoding="utf-8")
        return [*paths, path]


def _check_paired(baseline: list[RunResult], runs: list[RunResult], label: str) -> None:
    if len(runs) != len(baseline):
        raise ValueError(f"{label}: {len(runs)} replications, baseline {len(baseline)}: not paired")
    for r, (a, b) in enumerate(zip(baseline, runs, strict=True)):
        sa, sb = a.manifest.get("seed"), b.manifest.get("seed")
        if sa is not None and sb is not None and sa != sb:
            raise ValueError(
                f"{label}: replication {r} has seed {sb}, the baseline {sa}: not paired "
                "(run every scenario with the same seed)"
            )
        if len(a.timeseries) != len(b.timeseries):
            raise ValueError(
                f"{label}: replication {r} has {len(b.timeseries)} months, the baseline "
                f"{len(a.timeseries)}: compare runs of the same length"
            )


def _effect_rows(
    base: pd.DataFrame, plan: pd.DataFrame, label: str, names: list[str], confidence: float, real: bool = False
) -> list[dict[str, Any]]:
    """Rows of effects for columns ``names`` of two (replication x column) frames (``real``: the
    extensive columns hold real-population counts)."""
    from ...core.metrics import INDICATORS, indicators_for

    known = INDICATORS | indicators_for([n.removeprefix(SPEND_PREFIX) for n in names if n.startswith(SPEND_PREFIX)])

    b = base[names].to_numpy(dtype="float64")
    s = plan[names].to_numpy(dtype="float64")
    mean_b, _, _ = mean_ci(b, confidence)
    mean_s, _, _ = mean_ci(s, confidence)
    eff, lo, hi = paired_ci(s - b, confidence)
    ulo, uhi = welch_ci(s, b, confidence)
    n = np.sum(~np.isnan(s - b), axis=0)
    rows = []
    for j, name in enumerate(names):
        ind = known.get(name)
        unit = ind.unit if ind else ""
        if real and ind is not None and ind.extensive:
            unit = f"real {unit}"
        stat, unit = indicator_statistic(name, unit)
        better = ind.higher_is_better if ind else None
        rel = eff[j] / mean_b[j] if np.isfinite(mean_b[j]) and mean_b[j] != 0 else np.nan
        threshold, relevance = relevance_threshold(unit, float(mean_b[j]))
        clear = bool(np.isfinite(lo[j]) and np.isfinite(hi[j]) and (lo[j] > 0 or hi[j] < 0))
        rows.append(
            {
                "scenario": label,
                "indicator": name,
                "statistic": stat,
                "unit": unit,
                "baseline_mean": mean_b[j],
                "scenario_mean": mean_s[j],
                "effect": eff[j],
                "ci_low": lo[j],
                "ci_high": hi[j],
                "unpaired_ci_low": ulo[j],
                "unpaired_ci_high": uhi[j],
                "relative_change": rel,
                "higher_is_better": better,
                "relevance_threshold": threshold,
                "relevance": relevance,
                "relevant": bool(np.isfinite(threshold) and abs(eff[j]) >= threshold and eff[j] != 0),
                "clear": clear,
                "reading": reading(eff[j], lo[j], hi[j], threshold, better),
                "n": int(n[j]),
            }
        )
    return rows


def _country_statistics(result: RunResult) -> pd.DataFrame:
    """country x indicator: one number per run (same rule as :func:`run_statistics`); counts in
    real-population units (times the country's weight)."""
    from ...core.metrics import COUNTRY_INDICATORS, INDICATORS

    c = result.countries
    groups = c.sort_values("step").groupby("country", observed=False)
    cols = {}
    for name in COUNTRY_INDICATORS:
        stat, _ = indicator_statistic(name, INDICATORS[name].unit)
        cols[name] = groups[name].agg(lambda col, stat=stat: reduce_series(col, stat))
    out = pd.DataFrame(cols).astype("float64")
    out.index = out.index.astype(str)
    w = country_weights(result)
    scale = pd.Series({k: w.get(k, 1.0) for k in out.index}, dtype="float64")
    for name in COUNTRY_INDICATORS:
        if INDICATORS[name].extensive:
            out[name] = out[name] * scale
    return out


def _countries(result: RunResult) -> list[str]:
    col = result.countries["country"] if "country" in result.countries else pd.Series(dtype="object")
    return [str(c) for c in (col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique())]


LEVEL_CELL, LEVEL_LEVER, LEVEL_COUNTRY, LEVEL_PLAN = "lever x country", "lever", "country", "plan"
ALL = "all"
"""The ``level`` of a row of ``costs.csv`` / ``ceilings.csv``. Each level on its own adds up to the
plan's spending (sum the rows of ONE level, never across levels); aggregate rows say ``all`` in
the lever or country column."""


def _check_inputs(baseline: list[RunResult], plans: dict[str, Sequence[RunResult]], baseline_label: str) -> list[str]:
    """Refuse unpaired or incomparable replications; return the countries."""
    if len(baseline) < 2:
        raise InputError(
            f"needs at least 2 replications (got {len(baseline)})",
            field="replications",
            fix="give 2 or more replications (10 or more for policy advice)",
        )
    if baseline_label in plans:
        raise ValueError(f"a plan is labelled like the baseline ({baseline_label!r})")
    for label, runs in plans.items():
        _check_paired(baseline, list(runs), label)
    countries = _countries(baseline[0])
    for label, runs in plans.items():
        other = _countries(runs[0])
        if sorted(other) != sorted(countries):
            raise InputError(
                f"countries differ from the baseline's ({', '.join(other)} vs {', '.join(countries)})",
                source=label,
                fix="compare plans over the same countries as the baseline",
            )
    return countries


def _run_statistics(result: RunResult) -> pd.Series:
    """:func:`~inspire_sim.results.run_statistics` plus the run's own spending columns (user levers)."""
    out = run_statistics(result)
    ts = result.timeseries
    extra = {c: float(ts[c].sum()) for c in ts.columns if c.startswith(SPEND_PREFIX) and c not in out.index}
    return pd.concat([out, pd.Series(extra, dtype="float64")]) if extra else out


def _indicator_table(comp: Comparison, confidence: float) -> pd.DataFrame:
    per_run = {k: pd.DataFrame([_run_statistics(r) for r in v]) for k, v in comp.results.items()}
    columns = list(dict.fromkeys(c for df in per_run.values() for c in df.columns))
    spend = {c: 0.0 for c in columns if c.startswith(SPEND_PREFIX)}  # a lever a plan lacks spent nothing
    per_run = {k: df.reindex(columns=columns).fillna(spend) for k, df in per_run.items()}
    base = per_run[comp.baseline]
    rows: list[dict[str, Any]] = []
    for label in comp.labels:
        rows += _effect_rows(base, per_run[label], label, list(base.columns), confidence)
    return pd.DataFrame(rows)


def _country_table(comp: Comparison, countries: list[str], confidence: float) -> pd.DataFrame:
    from ...core.metrics import COUNTRY_INDICATORS

    cstats = {k: [_country_statistics(r) for r in v] for k, v in comp.results.items()}
    rows: list[dict[str, Any]] = []
    for label in comp.labels:
        for country in countries:
            b = pd.DataFrame([s.loc[country] for s in cstats[comp.baseline]]).reset_index(drop=True)
            s = pd.DataFrame([x.loc[country] for x in cstats[label]]).reset_index(drop=True)
            for row in _effect_rows(b, s, label, list(COUNTRY_INDICATORS), confidence, real=True):
                rows.append({"scenario": row.pop("scenario"), "country": country, **row})
    return pd.DataFrame(rows)


def _spend_cube(comp: Comparison, countries: list[str], levers: list[str]) -> dict[str, np.ndarray]:
    """label -> replications x levers x countries: spending over the run (real EUR)."""
    shape = (len(levers), len(countries))
    return {
        k: np.stack([_spend_table(r, countries, levers).to_numpy().reshape(shape) for r in v])
        for k, v in comp.results.items()
    }


def _cost_tables(
    comp: Comparison, cube: dict[str, np.ndarray], countries: list[str], levers: list[str], confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy ``costs`` table (mean and CI per level) and the ``ceilings`` table."""
    steps = len(comp.results[comp.baseline][0].timeseries)
    cost_rows: list[dict[str, Any]] = []
    ceil_rows: list[dict[str, Any]] = []
    for label, c in cube.items():
        n = c.shape[0]
        blocks = (
            (LEVEL_CELL, [(lv, ct) for lv in levers for ct in countries], c.reshape(n, -1)),
            (LEVEL_LEVER, [(lv, ALL) for lv in levers], c.sum(axis=2)),
            (LEVEL_COUNTRY, [(ALL, ct) for ct in countries], c.sum(axis=1)),
            (LEVEL_PLAN, [(ALL, ALL)], c.sum(axis=(1, 2))[:, None]),
        )
        for level, keys, m in blocks:
            mean, lo, hi = mean_ci(m, confidence)
            for k, (lever, country) in enumerate(keys):
                cost_rows.append(
                    {
                        "scenario": label,
                        "level": level,
                        "lever": lever,
                        "country": country,
                        "eur": mean[k],
                        "ci_low": lo[k],
                        "ci_high": hi[k],
                    }
                )
        if label not in comp.scenarios:
            continue
        ceilings = plan_ceilings(comp.scenarios[label], steps, levers)
        spent = c.sum(axis=2).mean(axis=0)
        for j, lever in enumerate(levers):
            ceil_rows.append(_ceiling_row(label, LEVEL_LEVER, lever, float(spent[j]), ceilings.get(lever, np.nan)))
        # the plan as a whole: the sum of its measures' ceilings, capped by a plan-wide total_budget
        cap = sum(ceilings.values())
        plan_cap = getattr(comp.scenarios[label], "total_budget", None)
        cap = min(cap, plan_cap) if plan_cap is not None else cap
        ceil_rows.append(_ceiling_row(label, LEVEL_PLAN, ALL, float(spent.sum()), cap))
    return pd.DataFrame(cost_rows), pd.DataFrame(ceil_rows)


def _ceiling_row(label: str, level: str, lever: str, spent: float, cap: float) -> dict[str, Any]:
    return {
        "scenario": label,
        "level": level,
        "lever": lever,
        "spent_eur": spent,
        "ceiling_eur": cap,
        "utilisation": spent / cap if cap and np.isfinite(cap) else np.nan,
    }


def _cost_effectiveness_tables(
    comp: Comparison, cube: dict[str, np.ndarray], countries: list[str], seed: int, n_boot: int, confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole EU, then per country (spending booked in the country, outcomes of its SMEs)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), BOOT_SALT]))
    results, base = comp.results, comp.baseline
    cost_total = {
        k: np.array([r.timeseries["spend_total"].sum() for r in v], dtype="float64") for k, v in results.items()
    }
    cost_country = {k: c.sum(axis=1) for k, c in cube.items()}
    out_total = {
        k: {o.name: np.array([o.of_run(r) for r in v], dtype="float64") for o in OUTCOMES.values()}
        for k, v in results.items()
    }
    out_country = {
        k: {
            o.name: np.stack([o.of_country(r).reindex(countries, fill_value=0.0).to_numpy(dtype="float64") for r in v])
            for o in OUTCOMES.values()
        }
        for k, v in results.items()
    }
    ce_rows, cce_rows = [], []
    for label in comp.labels:
        d_cost = cost_total[label] - cost_total[base]
        for o in OUTCOMES.values():
            d_out = out_total[label][o.name] - out_total[base][o.name]
            ce_rows.append({"scenario": label, **_ce_row(o, d_cost, d_out, rng, n_boot, confidence)})
        c_cost = cost_country[label] - cost_country[base]
        for o in OUTCOMES.values():
            c_out = out_country[label][o.name] - out_country[base][o.name]
            for j, country in enumerate(countries):
                row = _ce_row(o, c_cost[:, j], c_out[:, j], rng, n_boot, confidence)
                cce_rows.append({"scenario": label, "country": country, **row})
    return pd.DataFrame(ce_rows), pd.DataFrame(cce_rows)


def compare_results(
    baseline: Sequence[RunResult],
    plans: dict[str, Sequence[RunResult]],
    *,
    baseline_label: str = "baseline",
    scenarios: dict[str, Any] | None = None,
    seed: int = 0,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    meta: dict[str, Any] | None = None,
) -> Comparison:
    """Compare paired replications of plans with the baseline's (see the package docstring).

    ``baseline`` and each list in ``plans`` must hold the same number of replications,
    run with the same seeds (replication ``r`` paired with replication ``r``).
    ``seed`` seeds the bootstrap of the cost-effectiveness CIs.
    """
    baseline = list(baseline)
    countries = _check_inputs(baseline, plans, baseline_label)
    results = {baseline_label: baseline} | {k: list(v) for k, v in plans.items()}
    comp = Comparison(baseline=baseline_label, labels=list(plans), results=results, scenarios=dict(scenarios or {}))
    comp.indicators = _indicator_table(comp, confidence)
    comp.countries = _country_table(comp, countries, confidence)
    levers = levers_of(r for runs in comp.results.values() for r in runs)
    cube = _spend_cube(comp, countries, levers)
    comp.costs, comp.ceilings = _cost_tables(comp, cube, countries, levers, confidence)
    comp.cost_effectiveness, comp.country_cost_effectiveness = _cost_effectiveness_tables(
        comp, cube, countries, seed, n_boot, confidence
    )
    comp.segments = segment_table(comp.results, baseline_label, comp.labels, confidence)
    comp.region_effects = region_effects(comp.results, baseline_label, comp.labels, confidence=confidence)
    comp.targeting = targeting_table(comp.results, comp.scenarios, baseline_label, comp.labels, confidence=confidence)
    comp.decision = decide(comp.results, baseline_label, comp.labels, seed=seed)
    first = baseline[0].manifest
    comp.meta = {
        "baseline": baseline_label,
        "scenarios": list(plans),
        "replications": len(baseline),
        "seed": seed,
        "replication_seeds": [r.manifest.get("seed") for r in baseline],
        "months": len(baseline[0].timeseries),
        "n_smes": int(baseline[0].timeseries["n_smes"].iloc[0]) if len(baseline[0].timeseries) else None,
        "represented_smes": _represented(baseline[0]),
        "levers": levers,
        "countries": countries,
        "confidence": confidence,
        "bootstrap": {
            "resamples": n_boot,
            "seed": [int(seed), BOOT_SALT],
            "method": "paired bootstrap over replications, percentile interval",
        },
        "version": first.get("version"),
        "git_revision": first.get("git_revision"),
    } | (meta or {})
    from .plausibility import comparison_plausibility

    comp.plausibility = comparison_plausibility(comp)
    return comp


def _represented(result: RunResult) -> int | None:
    pop = (result.manifest or {}).get("population", {}).get("represented_smes")
    return round(sum(pop.values())) if pop else None


def _ce_row(
    o: Outcome, d_cost: np.ndarray, d_out: np.ndarray, rng: np.random.Generator, n_boot: int, confidence: float
) -> dict[str, Any]:
    (g,), (glo,), (ghi,) = paired_ci(d_out[:, None], confidence)
    (c,), (clo,), (chi,) = paired_ci(d_cost[:, None], confidence)
    ratio, rlo, rhi, no_gain = np.nan, np.nan, np.nan, np.nan
    if g <= 0:
        status = "no gain"
    elif c <= 0:
        status = "saves money"
    else:
        ratio = c / g
        rlo, rhi, no_gain = bootstrap_ratio(d_cost, d_out, rng, n_boot, confidence)
        status = "cost per unit" if glo > 0 else "uncertain gain"
    return {
        "outcome": o.name,
        "unit": o.unit,
        "additional": g,
        "additional_ci_low": glo,
        "additional_ci_high": ghi,
        "additional_cost_eur": c,
        "additional_cost_ci_low": clo,
        "additional_cost_ci_high": chi,
        "eur_per_unit": ratio,
        "eur_per_unit_ci_low": rlo,
        "eur_per_unit_ci_high": rhi,
        "bootstrap_no_gain_share": no_gain,
        "status": status,
    }

"""Deployment-plan comparisons: paired effects with confidence intervals, costs and
cost-effectiveness against a baseline.

Every scenario is run with the same replication seeds (``run.replication_seeds``), so
replication ``r`` of a plan and replication ``r`` of the baseline share their random
streams (common random numbers) and differ only by the plan. The comparison therefore
works on **paired differences** ``d_r = plan_r - baseline_r``:

* *effect* = mean of ``d_r``; its 95% confidence interval is the Student-t interval
  of that mean over the ``R`` replications (``t_{0.975, R-1} * sd(d) / sqrt(R)``);
* *unpaired CI* = Welch's t-interval for the difference of the two means, as if the
  runs had independent seeds. It is reported beside the paired one to show what
  common random numbers buy (the paired interval is usually much narrower);
* *relative change* = effect / baseline mean (NaN when the baseline mean is 0).

Each run is reduced to one number per indicator as in ``inspire-sim run``
(:func:`inspire_sim.results.indicator_statistic`): spending = total EUR over the run;
other monthly flows = mean per month; shares, stocks and cumulative counts = value in
the final month. Per-country effects use the same rule on ``RunResult.countries``.

**Cost-effectiveness.** Over the whole run, for every plan and replication:
*additional cost* = plan spending - baseline spending (all levers, EUR) and
*additional outcome* = plan count - baseline count of

* successful OI projects (sum of ``successes``),
* cross-border partnerships started (sum of ``new_cross_border``),
* SMEs that reached scaling-up (final ``scaling_up_reached``, a cumulative count).

The point estimate is the incremental cost-effectiveness ratio *mean additional cost /
mean additional outcome* (EUR per additional unit). Its 95% CI comes from a **paired
bootstrap over replications**: ``n_boot`` (default 2000) resamples of the replication
indices with replacement, drawn from ``numpy.random.default_rng(SeedSequence([seed,
0xB007]))`` (reproducible for a given ``--seed``), the ratio recomputed on each (plan
and baseline of a replication always move together), percentile interval. A resample
whose mean additional outcome is not positive buys nothing: its ratio counts as +inf,
so when more than 2.5% of the resamples show no gain, the upper bound is unbounded.
Non-positive effects are reported honestly as *no gain* (never as a negative cost per
unit); a plan that gains and costs less than the baseline is reported as *saves money*.

**Budget accounting.** The model enforces each measure's own caps
(``budget_per_step``, ``total_budget``). :func:`plan_ceilings` computes each lever's
ceiling over the run from the scenario (sum over its measures of the smaller of
``total_budget`` and ``budget_per_step`` x active months); the cost table reports
spending against it (utilisation). A single cap shared by all measures of a plan is
not a model feature.

**Running.** :func:`run_plans` runs the (scenario x replication) tasks through the
experiment runner's execution backends (:func:`inspire_sim.experiments.execute.make_backend`:
sequential, local processes, Dask) and keeps every run in a resumable store: one
results directory (:func:`inspire_sim.results.save_run`) per scenario and seed under
``STORE/runs/<scenario>-<key>/seed-<seed>/``, where ``key`` hashes the resolved
scenario, the number of months and the code revision. Re-running reuses stored runs;
stopping half-way loses at most the runs in flight.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .results import RunResult, indicator_statistic, mean_ci, run_statistics

CONFIDENCE = 0.95
N_BOOT = 2000
BOOT_SALT = 0xB007

HEADLINE = (
    "cooperating_share",
    "cross_border_share",
    "new_partnerships",
    "new_cross_border",
    "successes",
    "project_success_rate",
    "scaling_up_reached",
    "mean_confidence",
    "retry_rate_after_failure",
    "business_results_total",
    "exits",
    "spend_total",
)
"""Indicators of the headline table (the full table holds every indicator)."""


@dataclass(frozen=True)
class Outcome:
    """A countable outcome of a run that a plan pays for."""

    name: str
    unit: str  # singular, e.g. "successful OI project"
    plural: str
    of_run: Callable[[RunResult], float]
    of_country: Callable[[RunResult], pd.Series]  # country -> count


def _country_sum(col: str) -> Callable[[RunResult], pd.Series]:
    return lambda r: r.countries.groupby("country", observed=False)[col].sum().astype("float64")


def _country_final(col: str) -> Callable[[RunResult], pd.Series]:
    def f(r: RunResult) -> pd.Series:
        c = r.countries
        last = c[c["step"] == c["step"].max()]
        return last.groupby("country", observed=False)[col].sum().astype("float64")

    return f


def _country_cross_border(r: RunResult) -> pd.Series:
    p = r.partnerships
    if not len(p):
        return pd.Series(dtype="float64")
    return p[p["cross_border"].astype(bool)].groupby("lead_country", observed=False).size().astype("float64")


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "successful_projects",
            "successful OI project",
            "successful OI projects",
            lambda r: float(r.timeseries["successes"].sum()),
            _country_sum("successes"),
        ),
        Outcome(
            "cross_border_partnerships",
            "cross-border partnership",
            "cross-border partnerships",
            lambda r: float(r.timeseries["new_cross_border"].sum()),
            _country_cross_border,
        ),
        Outcome(
            "smes_reaching_scaling_up",
            "SME reaching scaling-up",
            "SMEs reaching scaling-up",
            lambda r: float(r.timeseries["scaling_up_reached"].iloc[-1]),
            _country_final("scaling_up_reached"),
        ),
    )
}
"""The outcomes of the cost-effectiveness table (cumulative over the run)."""


# ----------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------


def paired_ci(diffs: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t CI of paired differences (rows = replications)."""
    return mean_ci(np.asarray(diffs, dtype="float64"), confidence, axis=0)


def welch_ci(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Welch t-interval for mean(a) - mean(b), columns independently (NaNs ignored)."""
    import warnings

    from scipy import stats

    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        na, nb = np.sum(~np.isnan(a), axis=0), np.sum(~np.isnan(b), axis=0)
        va, vb = np.nanvar(a, axis=0, ddof=1) / na, np.nanvar(b, axis=0, ddof=1) / nb
        diff = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
        se = np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        dof = np.where(se > 0, dof, np.maximum(na + nb - 2, 1))
        half = stats.t.ppf(0.5 + confidence / 2, dof) * se
    half = np.where((na >= 2) & (nb >= 2), half, np.nan)
    return diff - half, diff + half


def bootstrap_ratio(
    d_cost: np.ndarray,
    d_out: np.ndarray,
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Paired-bootstrap percentile CI of mean(d_cost) / mean(d_out) and the share of
    resamples with no gain (mean d_out <= 0, ratio = +inf)."""
    d_cost = np.asarray(d_cost, dtype="float64")
    d_out = np.asarray(d_out, dtype="float64")
    n = len(d_out)
    idx = rng.integers(0, n, size=(n_boot, n))
    c = d_cost[idx].mean(axis=1)
    g = d_out[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(g > 0, c / g, np.inf)
    ratio = np.sort(ratio)
    alpha = (1 - confidence) / 2
    lo = ratio[int(math.floor(alpha * n_boot))]
    hi = ratio[min(n_boot - 1, int(math.ceil((1 - alpha) * n_boot)) - 1)]
    return float(lo), float(hi), float(np.mean(g <= 0))


def verdict(lo: float, hi: float, higher_is_better: bool | None) -> str:
    """Plain words for a paired CI: 'better' / 'worse' / 'higher' / 'lower' / 'no clear change' / 'no change'."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    if lo == 0 and hi == 0:
        return "no change"
    if lo > 0:
        return {True: "better", False: "worse"}.get(higher_is_better, "higher")
    if hi < 0:
        return {True: "worse", False: "better"}.get(higher_is_better, "lower")
    return "no clear change"


# ----------------------------------------------------------------------------------------
# The comparison
# ----------------------------------------------------------------------------------------


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
            relative_change, higher_is_better, verdict, n``.
        countries: as ``indicators`` with a ``country`` column, for the per-country indicators.
        costs: one row per (scenario incl. baseline, lever, country): mean spending over the
            run (EUR), 95% CI.
        ceilings: one row per (scenario incl. baseline, lever): ceiling from the plan's caps,
            mean spent, utilisation.
        cost_effectiveness: one row per (scenario, outcome): additional outcome (mean, CI),
            additional cost (mean, CI), eur_per_unit (ratio of means) with bootstrap CI,
            share of bootstrap resamples with no gain, verdict.
        country_cost_effectiveness: the same per country.
        meta: seeds, replications, months, SMEs, bootstrap settings, timings.
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
    meta: dict[str, Any] = field(default_factory=dict)

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
        ):
            path = out / f"{name}.csv"
            getattr(self, name).to_csv(path, index=False)
            paths.append(path)
        path = out / "comparison.json"
        path.write_text(json.dumps(self.meta, indent=2, default=str) + "\n", encoding="utf-8")
        return paths + [path]


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
    base: pd.DataFrame, plan: pd.DataFrame, label: str, names: list[str], confidence: float
) -> list[dict[str, Any]]:
    """Rows of effects for columns ``names`` of two (replication x column) frames."""
    from .metrics import INDICATORS

    b = base[names].to_numpy(dtype="float64")
    s = plan[names].to_numpy(dtype="float64")
    mean_b, _, _ = mean_ci(b, confidence)
    mean_s, _, _ = mean_ci(s, confidence)
    eff, lo, hi = paired_ci(s - b, confidence)
    ulo, uhi = welch_ci(s, b, confidence)
    n = np.sum(~np.isnan(s - b), axis=0)
    rows = []
    for j, name in enumerate(names):
        ind = INDICATORS.get(name)
        unit = ind.unit if ind else ""
        stat, unit = indicator_statistic(name, unit)
        better = ind.higher_is_better if ind else None
        rel = eff[j] / mean_b[j] if np.isfinite(mean_b[j]) and mean_b[j] != 0 else np.nan
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
                "verdict": verdict(lo[j], hi[j], better),
                "n": int(n[j]),
            }
        )
    return rows


def _country_statistics(result: RunResult) -> pd.DataFrame:
    """country x indicator: one number per run (same rule as :func:`run_statistics`)."""
    from .metrics import COUNTRY_INDICATORS, INDICATORS

    c = result.countries
    groups = c.sort_values("step").groupby("country", observed=False)
    cols = {}
    for name in COUNTRY_INDICATORS:
        stat, _ = indicator_statistic(name, INDICATORS[name].unit)
        g = groups[name]
        cols[name] = {"final month": g.last(), "mean per month": g.mean(), "total over run": g.sum()}[stat]
    return pd.DataFrame(cols).astype("float64")


def _spend_table(result: RunResult, countries: list[str]) -> pd.DataFrame:
    """lever x country total spending over the run (EUR), zeros included."""
    from .params import LEVERS

    sp = result.spend
    if len(sp):
        tab = sp.groupby(["lever", "country"], observed=False)["eur"].sum()
    else:
        tab = pd.Series(dtype="float64")
    idx = pd.MultiIndex.from_product([list(LEVERS), countries], names=["lever", "country"])
    return tab.reindex(idx, fill_value=0.0).astype("float64")


def measure_ceiling(policy: Any, steps: int) -> float:
    """Most a measure can spend over ``steps`` months (EUR): the smaller of its
    ``total_budget`` and ``budget_per_step`` x active months; inf when neither caps it."""
    end = min(policy.end if policy.end is not None else steps, steps)
    months = max(0, end - policy.start)
    if months == 0:
        return 0.0
    cap = math.inf
    if policy.budget_per_step is not None:
        cap = policy.budget_per_step * months
    if policy.total_budget is not None:
        cap = min(cap, policy.total_budget)
    return cap


def plan_ceilings(scenario: Any, steps: int) -> dict[str, float]:
    """Ceiling of each lever's spending over ``steps`` months (EUR): the sum of
    :func:`measure_ceiling` over the scenario's measures of that lever."""
    from .params import LEVERS

    out = dict.fromkeys(LEVERS, 0.0)
    for p in scenario.policies:
        out[p.kind] += measure_ceiling(p, steps)
    return out


def _countries(result: RunResult) -> list[str]:
    col = result.countries["country"] if "country" in result.countries else pd.Series(dtype="object")
    return [str(c) for c in (col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique())]


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
    """Compare paired replications of plans with the baseline's (see the module docstring).

    ``baseline`` and each list in ``plans`` must hold the same number of replications,
    run with the same seeds (replication ``r`` paired with replication ``r``).
    ``seed`` seeds the bootstrap of the cost-effectiveness CIs.
    """
    from .metrics import COUNTRY_INDICATORS
    from .params import LEVERS

    baseline = list(baseline)
    if len(baseline) < 2:
        raise InputError(
            f"needs at least 2 replications (got {len(baseline)})",
            field="replications",
            fix="give 2 or more replications (10 or more for policy advice)",
        )
    if baseline_label in plans:
        raise ValueError(f"a plan is labelled like the baseline ({baseline_label!r})")
    results = {baseline_label: baseline} | {k: list(v) for k, v in plans.items()}
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

    comp = Comparison(baseline=baseline_label, labels=list(plans), results=results, scenarios=dict(scenarios or {}))
    per_run = {k: pd.DataFrame([run_statistics(r) for r in v]) for k, v in results.items()}
    names = list(per_run[baseline_label].columns)
    rows: list[dict[str, Any]] = []
    for label in plans:
        rows += _effect_rows(per_run[baseline_label], per_run[label], label, names, confidence)
    comp.indicators = pd.DataFrame(rows)

    # per country
    cstats = {k: [_country_statistics(r) for r in v] for k, v in results.items()}
    crow: list[dict[str, Any]] = []
    for label in plans:
        for country in countries:
            b = pd.DataFrame([s.loc[country] for s in cstats[baseline_label]]).reset_index(drop=True)
            s = pd.DataFrame([x.loc[country] for x in cstats[label]]).reset_index(drop=True)
            for row in _effect_rows(b, s, label, list(COUNTRY_INDICATORS), confidence):
                crow.append({"scenario": row.pop("scenario"), "country": country, **row})
    comp.countries = pd.DataFrame(crow)

    # costs by lever and country, and against the plan's ceilings
    cost_rows = []
    ceil_rows = []
    steps = len(baseline[0].timeseries)
    spend = {k: [_spend_table(r, countries) for r in v] for k, v in results.items()}
    idx = spend[baseline_label][0].index
    for label, runs in results.items():
        tabs = np.stack([t.to_numpy() for t in spend[label]])  # R x (L*C)
        mean, lo, hi = mean_ci(tabs, confidence)
        for k, (lever, country) in enumerate(idx):
            cost_rows.append(
                {
                    "scenario": label,
                    "lever": lever,
                    "country": country,
                    "eur": mean[k],
                    "ci_low": lo[k],
                    "ci_high": hi[k],
                }
            )
        by_lever = pd.DataFrame(tabs.T, index=idx).groupby(level="lever", observed=False, sort=False).sum().T
        ceilings = plan_ceilings(comp.scenarios[label], steps) if label in comp.scenarios else {}
        for lever in LEVERS:
            spent = float(by_lever[lever].mean())
            cap = ceilings.get(lever, np.nan)
            ceil_rows.append(
                {
                    "scenario": label,
                    "lever": lever,
                    "spent_eur": spent,
                    "ceiling_eur": cap,
                    "utilisation": spent / cap if cap and np.isfinite(cap) else np.nan,
                }
            )
        # the plan as a whole: the sum of its measures' ceilings, capped by a plan-wide total_budget
        if ceilings:
            cap = sum(ceilings.values())
            plan_cap = getattr(comp.scenarios[label], "total_budget", None)
            cap = min(cap, plan_cap) if plan_cap is not None else cap
            spent = float(by_lever.to_numpy().sum(axis=1).mean())
            ceil_rows.append(
                {
                    "scenario": label,
                    "lever": "plan total",
                    "spent_eur": spent,
                    "ceiling_eur": cap,
                    "utilisation": spent / cap if cap and np.isfinite(cap) else np.nan,
                }
            )
    comp.costs = pd.DataFrame(cost_rows)
    comp.ceilings = pd.DataFrame(ceil_rows)

    # cost-effectiveness (whole EU, then per country: spending booked in the country,
    # outcomes of its SMEs)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), BOOT_SALT]))
    cost_total = {
        k: np.array([r.timeseries["spend_total"].sum() for r in v], dtype="float64") for k, v in results.items()
    }
    cost_country = {
        k: np.stack(
            [t.groupby(level="country", observed=False, sort=False).sum().reindex(countries).to_numpy() for t in v]
        )
        for k, v in spend.items()
    }
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
    for label in plans:
        d_cost = cost_total[label] - cost_total[baseline_label]
        for o in OUTCOMES.values():
            d_out = out_total[label][o.name] - out_total[baseline_label][o.name]
            ce_rows.append({"scenario": label, **_ce_row(o, d_cost, d_out, rng, n_boot, confidence)})
        c_cost = cost_country[label] - cost_country[baseline_label]
        for o in OUTCOMES.values():
            c_out = out_country[label][o.name] - out_country[baseline_label][o.name]
            for j, country in enumerate(countries):
                cce_rows.append(
                    {
                        "scenario": label,
                        "country": country,
                        **_ce_row(o, c_cost[:, j], c_out[:, j], rng, n_boot, confidence),
                    }
                )
    comp.cost_effectiveness = pd.DataFrame(ce_rows)
    comp.country_cost_effectiveness = pd.DataFrame(cce_rows)

    first = baseline[0].manifest
    comp.meta = {
        "baseline": baseline_label,
        "scenarios": list(plans),
        "replications": len(baseline),
        "seed": seed,
        "replication_seeds": [r.manifest.get("seed") for r in baseline],
        "months": steps,
        "n_smes": int(baseline[0].timeseries["n_smes"].iloc[0]) if len(baseline[0].timeseries) else None,
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
    return comp


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


# ----------------------------------------------------------------------------------------
# Running the plans through the experiment runner's backends, with a resumable store
# ----------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:60] or "scenario"


def scenario_key(scenario: Any, steps: int, code: str | None = None) -> str:
    """Hash of what determines a run besides its seed: resolved scenario, months, code."""
    from . import __version__
    from .manifest import git_revision

    data = scenario.to_dict()
    data.pop("path", None)
    blob = json.dumps(
        {
            "scenario": data,
            "steps": int(steps),
            "version": __version__,
            "code": code if code is not None else git_revision(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def run_and_store(args: dict[str, Any], seed: int) -> dict[str, float]:
    """Worker side (a ``module:function`` model of the experiment runner): run one
    (scenario, replication) and save it atomically to its store directory."""
    from .results import save_run
    from .run import run

    scen = args["scenarios"][args["key"]]
    target = Path(args["dirs"][args["key"]]) / f"seed-{seed}"
    t0 = time.perf_counter()
    res = run(scen, seed=seed, steps=args["steps"])
    res.manifest["replication"] = int(args["replication"])
    res.manifest["root_seed"] = int(args["root_seed"])
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    save_run(res, tmp)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return {"months": float(len(res.timeseries)), "seconds": time.perf_counter() - t0}


def run_plans(
    scenarios: Sequence[Any],
    replications: int,
    *,
    seed: int = 0,
    steps: int | None = None,
    workers: int | None = 1,
    store: str | Path | None = None,
    fresh: bool = False,
    progress: bool = False,
    backend: Any = None,
    scheduler: str | None = None,
    cluster: str | None = None,
) -> tuple[list[list[RunResult]], dict[str, Any]]:
    """Run ``replications`` replications of each scenario with common seeds.

    Tasks go to the experiment runner's backend (``workers=1`` sequential in this
    process, ``N`` local processes, ``scheduler``/``cluster`` Dask as in
    :func:`~inspire_sim.experiments.execute.make_backend`, or a given ``backend``;
    workers write to ``store``, which must be visible to them). Runs are stored under
    ``store`` (a temporary directory when None) and reused when present unless
    ``fresh``. Returns the replications per scenario (in order) and run information.
    """
    from .experiments.execute import RunContext, make_backend
    from .experiments.spec import Output
    from .manifest import git_revision
    from .results import load_run
    from .run import replication_seeds

    seeds = replication_seeds(seed, replications)
    tmp = None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="inspire-compare-")
        store = tmp.name
    root = Path(store) / "runs"
    code = git_revision()
    keys, dirs, by_key = [], {}, {}
    for scen in scenarios:
        n_steps = steps if steps is not None else scen.params.steps
        key = scenario_key(scen, n_steps, code)
        keys.append(key)
        by_key[key] = scen
        dirs[key] = str(root / f"{_slug(scen.name)}-{key}")
        Path(dirs[key]).mkdir(parents=True, exist_ok=True)
    tasks, index = [], {}
    for key in dict.fromkeys(keys):
        for r, s in enumerate(seeds):
            done = (Path(dirs[key]) / f"seed-{s}" / "manifest.json").is_file()
            if done and not fresh:
                continue
            index[len(tasks)] = (key, r)
            tasks.append((len(tasks), s, {"key": key, "replication": r}))
    info: dict[str, Any] = {
        "runs_total": len(set(keys)) * replications,
        "runs_executed": len(tasks),
        "runs_reused": len(set(keys)) * replications - len(tasks),
        "store": str(root),
    }
    t0 = time.perf_counter()
    if tasks:
        ctx = RunContext(
            route="model",
            outputs=[Output(indicator="months")],
            model_ref="inspire_sim.compare:run_and_store",
            fixed={"scenarios": by_key, "dirs": dirs, "steps": steps, "root_seed": int(seed)},
        )
        own = backend is None
        backend = backend or make_backend(workers=workers, scheduler=scheduler, cluster=cluster)
        info["backend"] = backend.describe()
        failed = []
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="run", desc="compare", disable=not progress, dynamic_ncols=True)
        try:
            for res in backend.execute(ctx, tasks):
                if res["status"] != "ok":
                    key, r = index[res["run_id"]]
                    failed.append(f"{by_key[key].name} replication {r}: {res['error']}")
                bar.update(1)
        finally:
            bar.close()
            if own:
                backend.close()
        if failed:
            raise RuntimeError(f"{len(failed)} run(s) failed; first: {failed[0]}")
    info["simulate_s"] = round(time.perf_counter() - t0, 3)
    out = []
    try:
        for key in keys:
            out.append([load_run(Path(dirs[key]) / f"seed-{s}") for s in seeds])
    finally:
        if tmp is not None:
            tmp.cleanup()
    return out, info


# ----------------------------------------------------------------------------------------
# Loading and checking scenarios; the one-call API
# ----------------------------------------------------------------------------------------


def load_plans(
    names: Sequence[str],
    *,
    steps: int | None = None,
    n_smes: int | None = None,
    sets: dict[str, Any] | None = None,
) -> list[Any]:
    """Load BASELINE and the plans, applying ``steps``/``n_smes`` and the ``sets`` overrides
    (dotted names, as ``--set``) to every one; check they are comparable.

    Raises :class:`InputError` for fewer than two scenarios, unknown files, different
    countries, horizons or SME numbers (without the option that aligns them).
    """
    from .scenario import load_scenario

    if len(names) < 2:
        raise InputError(
            f"needs a baseline and at least one scenario (got {len(names)})",
            field="SCENARIO",
            fix="e.g. inspire-sim compare baseline national_funding",
        )
    overrides = dict(sets or {}) | {k: v for k, v in {"steps": steps, "n_smes": n_smes}.items() if v is not None}
    scens = [load_scenario(n, **overrides) for n in names]
    base = scens[0]
    for name, s in zip(names[1:], scens[1:], strict=True):
        missing = [c for c in base.country_names if c not in s.country_names]
        extra = [c for c in s.country_names if c not in base.country_names]
        if missing or extra:
            what = "; ".join(
                x
                for x in [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"extra {', '.join(extra)}" if extra else "",
                ]
                if x
            )
            raise InputError(
                f"countries differ from the baseline {names[0]!r} ({what})",
                source=name,
                field="countries",
                fix='compare plans over the baseline\'s countries (extends = "baseline.toml")',
            )
        if s.params.steps != base.params.steps:
            raise InputError(
                f"runs {s.params.steps} months, the baseline {base.params.steps}",
                source=name,
                field="model.steps",
                fix="give --steps to run every scenario for the same months",
            )
        if s.params.n_smes != base.params.n_smes:
            raise InputError(
                f"has {s.params.n_smes} SMEs, the baseline {base.params.n_smes}",
                source=name,
                field="model.n_smes",
                fix="give --n-smes to simulate the same number of SMEs",
            )
    return scens


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario names made unique ('baseline', 'baseline (2)', ...)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def compare(
    baseline: str | Any,
    scenarios: Sequence[str | Any],
    *,
    replications: int = 10,
    seed: int = 0,
    steps: int | None = None,
    n_smes: int | None = None,
    workers: int | None = 1,
    store: str | Path | None = None,
    fresh: bool = False,
    progress: bool = False,
    n_boot: int = N_BOOT,
    scheduler: str | None = None,
    cluster: str | None = None,
) -> Comparison:
    """Run and compare: ``compare("baseline", ["national_funding"], replications=10)``.

    Scenarios are names/paths (loaded and checked with :func:`load_plans`) or
    :class:`~inspire_sim.scenario.Scenario` objects.
    """
    if not isinstance(replications, (int, np.integer)) or isinstance(replications, bool) or replications < 2:
        raise InputError(
            f"needs at least 2 replications (got {replications!r})",
            field="--replications",
            fix="give --replications 2 or more (10 or more for policy advice)",
        )
    items = [baseline, *scenarios]
    if all(isinstance(x, (str, Path)) for x in items):
        scens = load_plans([str(x) for x in items], steps=steps, n_smes=n_smes)
    else:
        from .scenario import load_scenario

        if len(items) < 2:
            raise InputError("needs a baseline and at least one scenario", field="SCENARIO")
        over = {k: v for k, v in {"steps": steps, "n_smes": n_smes}.items() if v is not None}
        scens = [load_scenario(x, **over) if isinstance(x, (str, Path)) else x.with_overrides(over) for x in items]
    labels = unique_labels([s.name for s in scens])
    t0 = time.perf_counter()
    runs, info = run_plans(
        scens,
        replications,
        seed=seed,
        steps=steps,
        workers=workers,
        store=store,
        fresh=fresh,
        progress=progress,
        scheduler=scheduler,
        cluster=cluster,
    )
    t1 = time.perf_counter()
    comp = compare_results(
        runs[0],
        dict(zip(labels[1:], runs[1:], strict=True)),
        baseline_label=labels[0],
        scenarios=dict(zip(labels, scens, strict=True)),
        seed=seed,
        n_boot=n_boot,
        meta={"runs": info},
    )
    comp.meta["timings"] = {"simulate_s": round(t1 - t0, 3), "analyse_s": round(time.perf_counter() - t1, 3)}
    return comp

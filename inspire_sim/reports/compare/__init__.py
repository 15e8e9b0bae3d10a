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
*additional cost* = plan spending - baseline spending (all levers, real EUR) and
*additional outcome* = plan count - baseline count, in real-population units
(``metrics.real_name``: ``successes_real`` etc.; by country, simulated counts times the
country's weight from the run manifest), of

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

**Modules.** :mod:`.stats` (intervals, bootstrap, readings of effects), :mod:`.budget` (ceilings and
spending), :mod:`.tables` (the :class:`Comparison` and its tables), :mod:`.store` (the runner and
its resumable store), :mod:`.plans` (loading and checking plans; :func:`compare`), :mod:`.plausibility`
(every scenario's headline figures in real units against real-world references).

**Decision.** ``Comparison.decision`` ranks the plans for each policy goal
(:func:`inspire_sim.analyses.decision.decide`); every indicator row also carries a *reading*: clear (CI
excludes 0) and relevant (effect at least the practical-relevance threshold,
:func:`.stats.relevance_threshold`).

**Parameter uncertainty.** ``compare(..., posterior=DIR)`` runs replication ``r`` of every
scenario with posterior draw ``r`` (same draw, same seed) and once more at the posterior
medians; ``Comparison.parameter_uncertainty`` holds noise-only and total intervals.

**Running.** :func:`run_plans` runs the (scenario x replication) tasks through the
experiment runner's execution backends (:func:`inspire_sim.experiments.execute.make_backend`:
sequential, local processes, Dask) and keeps every run in a resumable store: one
results directory (:func:`inspire_sim.results.save_run`) per scenario and seed under
``STORE/runs/<scenario>-<key>/seed-<seed>/``, where ``key`` hashes the resolved
scenario (with its posterior draw, if any), the number of months and the code revision. Re-running reuses stored runs;
stopping half-way loses at most the runs in flight.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import measure_ceiling, plan_ceilings
    from .plans import check_comparable, compare, load_plans, unique_labels
    from .stats import (
        BOOT_SALT,
        CONFIDENCE,
        N_BOOT,
        bootstrap_ratio,
        paired_ci,
        reading,
        relevance_threshold,
        welch_ci,
    )
    from .store import run_and_store, run_plans, scenario_key
    from .tables import HEADLINE, OUTCOMES, Comparison, Outcome, compare_results

_WHERE = {
    **dict.fromkeys(("measure_ceiling", "plan_ceilings"), "budget"),
    **dict.fromkeys(("check_comparable", "compare", "load_plans", "unique_labels"), "plans"),
    **dict.fromkeys(
        ("BOOT_SALT", "CONFIDENCE", "N_BOOT", "bootstrap_ratio", "paired_ci", "reading", "relevance_threshold"),
        "stats",
    ),
    "welch_ci": "stats",
    **dict.fromkeys(("run_and_store", "run_plans", "scenario_key"), "store"),
    **dict.fromkeys(("HEADLINE", "OUTCOMES", "Comparison", "Outcome", "compare_results"), "tables"),
}


def __getattr__(name: str) -> Any:
    """The package's names, imported on first use: a worker that only runs and stores runs
    (``store``), or a caller that only loads plans (``plans``), does not import
    the tables, the decision statistics and scipy.stats (~0.3 s)."""
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BOOT_SALT",
    "CONFIDENCE",
    "HEADLINE",
    "N_BOOT",
    "OUTCOMES",
    "Comparison",
    "Outcome",
    "bootstrap_ratio",
    "check_comparable",
    "compare",
    "compare_results",
    "load_plans",
    "measure_ceiling",
    "paired_ci",
    "plan_ceilings",
    "reading",
    "relevance_threshold",
    "run_and_store",
    "run_plans",
    "scenario_key",
    "unique_labels",
    "welch_ci",
]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

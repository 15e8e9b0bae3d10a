"""Loading plans, checking they are comparable with the baseline (:func:`~inspire_sim.core.scenario.check_comparable`),
and the one-call :func:`compare`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...core.scenario import check_comparable
from ...errors import InputError
from .stats import N_BOOT

if TYPE_CHECKING:
    from .tables import Comparison


def load_plans(
    names: Sequence[str],
    *,
    steps: int | None = None,
    n_smes: int | None = None,
    sets: dict[str, Any] | None = None,
    allow_different_populations: bool = False,
) -> list[Any]:
    """Load BASELINE and the plans, applying ``steps``/``n_smes`` and the ``sets`` overrides
    (dotted names, as ``--set``) to every one; check they are comparable (:func:`check_comparable`).

    Raises :class:`InputError` for fewer than two scenarios, unknown files, different countries
    or horizons, and (unless ``allow_different_populations``) different populations or initial
    conditions.
    """
    from ...core.scenario import load_scenario

    if len(names) < 2:
        raise InputError(
            f"needs a baseline and at least one scenario (got {len(names)})",
            field="SCENARIO",
            fix="e.g. inspire-sim compare baseline national_funding",
        )
    overrides = dict(sets or {}) | {k: v for k, v in {"steps": steps, "n_smes": n_smes}.items() if v is not None}
    scens = [load_scenario(n, **overrides) for n in names]
    for name, s in zip(names[1:], scens[1:], strict=True):
        check_comparable(scens[0], s, names[0], name, allow_different_populations=allow_different_populations)
    return scens


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario names made unique ('baseline', 'baseline (2)', ...)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _uncertainty_table(total: Comparison, noise: Comparison) -> pd.DataFrame:
    """Per goal and plan: the effect at the posterior median with its noise-only CI, the effect over
    posterior draws with its total CI, and the probability of beating the baseline over the draws."""
    key = ["goal", "plan"]
    a = noise.decision.set_index(key)[["effect", "effect_low", "effect_high", "p_beats_baseline"]]
    b = total.decision.set_index(key)[["goal_label", "unit", "effect", "effect_low", "effect_high", "p_beats_baseline"]]
    out = pd.DataFrame(
        {
            "goal_label": b["goal_label"],
            "unit": b["unit"],
            "effect_median_world": a["effect"],
            "noise_low": a["effect_low"],
            "noise_high": a["effect_high"],
            "effect": b["effect"],
            "total_low": b["effect_low"],
            "total_high": b["effect_high"],
            "p_beats_baseline": b["p_beats_baseline"],
            "p_beats_baseline_median_world": a["p_beats_baseline"],
        }
    )
    return out.reset_index()


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
    allow_different_populations: bool = False,
    posterior: str | Path | None = None,
    batch: int | str | None = "auto",
) -> Comparison:
    """Run and compare: ``compare("baseline", ["national_funding"], replications=10)``.

    Scenarios are names/paths (loaded with :func:`load_plans`) or
    :class:`~inspire_sim.core.scenario.Scenario` objects; either way each plan is checked against the
    baseline with :func:`check_comparable`.

    ``posterior`` (the ``--out`` folder of ``inspire-sim calibrate``): parameter uncertainty. Replication
    ``r`` of the baseline and of every plan runs with the same posterior draw ``r``
    (:func:`posterior_draws`) and the same seed; the returned comparison is over these draws (its
    intervals cover noise and parameters). Every scenario is also run at the posterior median
    (:func:`posterior_median`) for the noise-only intervals; ``Comparison.parameter_uncertainty`` puts
    the two side by side.

    ``batch``: runs per batch (``"auto"``, N, or 1 = no batching; see
    :func:`~inspire_sim.reports.compare.store.run_plans`); the comparison does not depend on it.
    """
    from ...run import check_batch

    check_batch(batch)
    if not isinstance(replications, (int, np.integer)) or isinstance(replications, bool) or replications < 2:
        raise InputError(
            f"needs at least 2 replications (got {replications!r})",
            field="--replications",
            fix="give --replications 2 or more (10 or more for policy advice)",
        )
    items = [baseline, *scenarios]
    if all(isinstance(x, (str, Path)) for x in items):
        scens = load_plans(
            [str(x) for x in items],
            steps=steps,
            n_smes=n_smes,
            allow_different_populations=allow_different_populations,
        )
    else:
        from ...core.scenario import load_scenario

        if len(items) < 2:
            raise InputError("needs a baseline and at least one scenario", field="SCENARIO")
        over = {k: v for k, v in {"steps": steps, "n_smes": n_smes}.items() if v is not None}
        scens = [load_scenario(x, **over) if isinstance(x, (str, Path)) else x.with_overrides(over) for x in items]
        for s in scens[1:]:
            check_comparable(
                scens[0], s, scens[0].name, s.name, allow_different_populations=allow_different_populations
            )
    labels = unique_labels([s.name for s in scens])
    draws, median = None, None
    if posterior is not None:
        from ...analyses.robust import posterior_draws, posterior_median

        median = posterior_median(posterior)
        draws = posterior_draws(posterior, replications, seed)
    t0 = time.perf_counter()

    from .store import run_plans
    from .tables import compare_results

    def run_and_compare(scenarios: list[Any], draws: list[dict[str, float]] | None) -> Comparison:
        runs, info = run_plans(
            scenarios,
            replications,
            seed=seed,
            steps=steps,
            workers=workers,
            store=store,
            fresh=fresh,
            progress=progress,
            scheduler=scheduler,
            cluster=cluster,
            draws=draws,
            batch=batch,
        )
        return compare_results(
            runs[0],
            dict(zip(labels[1:], runs[1:], strict=True)),
            baseline_label=labels[0],
            scenarios=dict(zip(labels, scenarios, strict=True)),
            seed=seed,
            n_boot=n_boot,
            meta={"runs": info},
        )

    if median is None:
        comp = run_and_compare(scens, None)
    else:
        noise = run_and_compare([s.with_overrides(median) for s in scens], None)
        comp = run_and_compare(scens, draws)
        comp.parameter_uncertainty = _uncertainty_table(comp, noise)
        comp.meta["posterior"] = {
            "folder": str(posterior),
            "median": median,
            "draws": draws,
            "noise_only_runs": noise.meta["runs"],
        }
    comp.meta["timings"] = {"compare_s": round(time.perf_counter() - t0, 3)}
    return comp

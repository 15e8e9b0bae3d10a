"""Loading plans, checking they are comparable with the baseline, and the one-call :func:`compare`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .stats import N_BOOT
from .store import run_plans
from .tables import Comparison, compare_results


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
    from ..scenario import load_scenario

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
        from ..scenario import load_scenario

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

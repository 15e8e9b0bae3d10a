"""Running the model: one run, or replications with common random numbers."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .allocator import reuse_freed_memory
from .core.scenario import Scenario, load_scenario
from .errors import InputError
from .manifest import run_manifest
from .results import RunResult


def _as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    if scenario is None:
        return load_scenario("baseline")
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    return scenario


def _check_positive(value: int | None, name: str) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
        raise InputError(f"must be a positive integer (got {value!r})", field=name, fix=f"give {name} >= 1")


def run(
    scenario: Scenario | str | Path | None = None,
    *,
    seed: int = 0,
    steps: int | None = None,
    record_partnerships: bool = True,
    progress: Callable[[int], Any] | None = None,
    model_cls: type | None = None,
    tables: Collection[str] | None = None,
) -> RunResult:
    """Run one simulation and return its :class:`RunResult`.

    Args:
        scenario: a :class:`Scenario`, a scenario file / shipped name, or None for the baseline.
        seed: the run's seed (same seed, same scenario => identical results).
        steps: reporting months to simulate (default: the scenario's ``steps``), after the
            scenario's ``burn_in`` months (run when the model is built).
        record_partnerships: keep the per-project log.
        progress: optional callback called with 1 after each month.
        model_cls: a subclass of :class:`~inspire_sim.core.model.InspireModel` to run instead of it.
        tables: the result tables to build (names in :attr:`RunResult.TABLES`); None: all of them.
            The others are left empty (``pd.DataFrame()``); those built are the same as with all.

    Without ``model_cls`` the run goes through the engine the Mesa model wraps
    (:class:`~inspire_sim.core.simulation.Simulation`, no Mesa agents): the same results as
    ``InspireModel(scenario, seed=seed)`` stepped ``steps`` times, without Mesa's cost.
    """
    scen = _as_scenario(scenario)
    _check_positive(steps, "steps")
    wanted = check_tables(tables)
    n_steps = steps if steps is not None else scen.params.steps
    t0 = time.perf_counter()
    if model_cls is None:
        from .core.simulation import Simulation

        sim = Simulation(scen, [seed], record_partnerships)
        _record_only(sim, wanted)
        with reuse_freed_memory(sim.world.n):  # after the set-up: its temporaries go back to the OS
            sim.burn_in()
            t_init = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in range(n_steps):
                sim.step()
                if progress is not None:
                    progress(1)
            t_run = time.perf_counter() - t0
            timings = {"init_s": round(t_init, 4), "run_s": round(t_run, 4)}
            return result_of(sim, 0, scen, seed, n_steps, timings, wanted, final=True)
    model = model_cls(scen, seed=seed, record_partnerships=record_partnerships)
    t_init = time.perf_counter() - t0
    t_run = model.run_months(n_steps, progress)
    timings = {"init_s": round(t_init, 4), "run_s": round(t_run, 4)}
    return result_of(model.sim, 0, scen, seed, n_steps, timings, wanted)


def _record_only(sim: Any, tables: frozenset[str]) -> None:
    """Let ``sim``'s recorder keep only the monthly detail that ``tables`` are built from (the time series
    is always recorded and is the same either way)."""
    sim.recorder.detail = sim.recorder.detail & tables


def check_tables(tables: Collection[str] | None) -> frozenset[str]:
    """The result tables asked for (see :func:`run`), validated; None means all of :attr:`RunResult.TABLES`."""
    if tables is None:
        return frozenset(RunResult.TABLES)
    names = [tables] if isinstance(tables, str) else list(tables)
    unknown = [t for t in names if t not in RunResult.TABLES]
    if unknown:
        raise InputError(
            f"unknown result table(s) {', '.join(map(repr, unknown))}",
            field="tables",
            fix=f"give some of {', '.join(RunResult.TABLES)} (or None for all)",
        )
    return frozenset(names)


def result_of(
    sim: Any,
    r: int,
    scen: Scenario,
    seed: int,
    steps: int,
    timings: dict[str, Any],
    tables: frozenset[str] = frozenset(RunResult.TABLES),
    *,
    final: bool = False,
) -> RunResult:
    """The :class:`RunResult` of run ``r`` of a :class:`~inspire_sim.core.simulation.Simulation`.

    Only the result tables named in ``tables`` are built; the others are empty DataFrames.
    ``final``: the simulation ends here (a single run): the state no table reads is freed first
    (:meth:`~inspire_sim.core.simulation.Simulation.release_unreported`), its project log is freed
    while the partnership table is built and the SME table takes the state's arrays without copying
    them (the peak memory of large runs), so the partnership table is built first.
    """
    if final:
        sim.release_unreported()
    w, rec = sim.world, sim.recorder
    manifest = run_manifest(scen, seed=seed, steps=steps, timings=timings) | {
        "burn_in": int(w.burn_in),
        "population": {
            "represented_smes": dict(zip(w.country_names, w.represented.tolist(), strict=True)),
            "weight": dict(zip(w.country_names, w.weight.tolist(), strict=True)),
        },
    }
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "timeseries": lambda: rec.timeseries(r),
        "smes": lambda: sim.smes_table(r, final=final),
        "partnerships": lambda: w.projects.table(
            w.country_names, r, w.region_names, list(w.params.sectors), consume=final
        ),
        "panel": lambda: rec.panel(r),
        "spend": lambda: rec.spend(r),
        "countries": lambda: rec.countries(r),
        "regions": lambda: rec.regions(r),
    }
    order = sorted(RunResult.TABLES, key=lambda name: name != "partnerships")  # the log is freed before the SME table
    built = {name: builders[name]() if name in tables else pd.DataFrame() for name in order}
    return RunResult(**built, manifest=manifest)


DEFAULT_BATCH_SMES = 50_000
"""Default of :func:`batch_size_for`: batch runs until a batch holds about this many simulated SMEs."""


def batch_size_for(n_smes: int, batch: int | None = None) -> int:
    """Runs per batch for runs of ``n_smes`` SMEs: ``batch`` if given, else ``DEFAULT_BATCH_SMES // n_smes`` (1-64).

    Small runs gain most from batching (their per-month cost is mostly fixed overhead);
    a run of 50,000 SMEs or more is already vectorised enough and runs alone.
    """
    if batch is not None:
        _check_positive(batch, "batch")
        return int(batch)
    return int(min(64, max(1, DEFAULT_BATCH_SMES // max(int(n_smes), 1))))


BATCH_FIX = (
    'give "auto" for about 50,000 simulated SMEs per batch, a number of runs per batch, or 1 to run one at a time'
)
"""The fix named when a batch setting is refused (the CLI option ``--batch``, the spec field ``batch``)."""


def check_batch(value: Any, field: str = "batch") -> int | str:
    """The execution setting ``batch``, validated: ``"auto"`` (also for None) or a whole number >= 1.

    Strings of digits (from a command line) are read as numbers. Anything else raises an
    :class:`InputError` naming ``field``.
    """
    if value is None:
        return "auto"
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        if text.isdigit():
            value = int(text)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise InputError(f'must be "auto" or a whole number >= 1 (got {value!r})', field=field, fix=BATCH_FIX)


def resolve_batch(value: Any, n_smes: int, field: str = "batch") -> int:
    """Runs per batch for the setting ``value`` (see :func:`check_batch`) and runs of ``n_smes`` SMEs.

    ``"auto"`` gives :func:`batch_size_for` ``(n_smes)``; a number gives itself; 1 turns
    batching off. Every entry point that runs many simulations takes this one setting;
    results never depend on it (each batched run equals the same run alone).
    """
    b = check_batch(value, field)
    return batch_size_for(n_smes, None if b == "auto" else int(b))


def run_batch(
    scenarios: Scenario | str | Path | list[Scenario] | None,
    seeds: list[int],
    *,
    steps: int | None = None,
    record_partnerships: bool = True,
    progress: Callable[[int], Any] | None = None,
    tables: Collection[str] | None = None,
) -> list[RunResult]:
    """Run one simulation per seed, batched: results in the order of ``seeds``.

    ``scenarios`` is one scenario for every seed, or a list with one scenario per seed.
    Runs that can share a batch (the same scenario, differing only in the seed) run as one
    vectorised population (:class:`~inspire_sim.core.simulation.Simulation`); each result is
    identical to ``run(scenario, seed=seed, ...)`` alone, timings aside (the manifest's
    ``timings`` are the batch's, shared out per run, and ``batch`` says which batch it ran in).
    A scenario with a lever that cannot be batched (``Policy.batchable`` False, e.g. a user
    lever) runs its seeds one by one. ``progress`` is called with the number of runs finished.
    ``tables``: the result tables to build (see :func:`run`; a sweep needs only ``("timeseries",)``).
    """
    from .core.runparams import batch_key
    from .core.simulation import Simulation

    scens = list(scenarios) if isinstance(scenarios, list) else [_as_scenario(scenarios)] * len(seeds)
    if len(scens) != len(seeds):
        raise InputError(
            f"{len(scens)} scenarios for {len(seeds)} seeds", field="scenarios", fix="give one scenario per seed"
        )
    _check_positive(steps, "steps")
    seeds = [int(s) for s in seeds]
    wanted = check_tables(tables)
    groups: dict[str, list[int]] = {}
    for i, scen in enumerate(scens):
        groups.setdefault(batch_key(scen), []).append(i)
    out: list[RunResult | None] = [None] * len(seeds)
    for members in groups.values():
        scen = scens[members[0]]
        n_steps = steps if steps is not None else scen.params.steps
        if len(members) > 1 and not batchable(scen):
            for i in members:
                out[i] = run(scen, seed=seeds[i], steps=steps, record_partnerships=record_partnerships, tables=wanted)
                if progress is not None:
                    progress(1)
            continue
        t0 = time.perf_counter()
        sim = Simulation([scens[i] for i in members], [seeds[i] for i in members], record_partnerships)
        _record_only(sim, wanted)
        with reuse_freed_memory(sim.world.n):
            sim.burn_in()
            t_init = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in range(n_steps):
                sim.step()
            t_run = time.perf_counter() - t0
            share = len(members)
            timings = {"init_s": round(t_init / share, 4), "run_s": round(t_run / share, 4)}
            for r, i in enumerate(members):
                res = result_of(sim, r, scens[i], seeds[i], n_steps, timings, wanted)
                res.manifest["batch"] = {"size": share, "index": r}
                out[i] = res
        if progress is not None:
            progress(len(members))
    return [res for res in out if res is not None]


def batchable(scen: Scenario) -> bool:
    """Whether runs of ``scen`` can share a batch: every lever it uses is ``Policy.batchable``."""
    from .core.policies import unbatchable_levers

    return not unbatchable_levers(scen.policies)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of ``replications`` runs derived from ``seed`` (the same for every scenario and entry point)."""
    from .core.streams import replicate_seeds

    _check_positive(replications, "replications")
    return replicate_seeds(seed, replications)


def run_replications(
    scenario: Scenario | str | Path | None = None,
    replications: int = 10,
    *,
    seed: int = 0,
    steps: int | None = None,
    progress: Callable[[int], Any] | None = None,
    batch: int | str | None = "auto",
    **kwargs: Any,
) -> list[RunResult]:
    """Run ``replications`` runs with seeds from :func:`replication_seeds`.

    Two scenarios run with the same ``seed`` get the same replication seeds, so their
    replications are paired (common random numbers).

    ``batch`` (the execution setting, see :func:`resolve_batch`): the runs go to
    :func:`run_batch` this many at a time (``"auto"``: :func:`batch_size_for` the scenario's
    SMEs; 1: one at a time); the results do not depend on it. With ``model_cls`` the runs
    go one at a time through :func:`run`. ``progress`` is called with the number of runs finished.
    """
    scen = _as_scenario(scenario)
    seeds = replication_seeds(seed, replications)
    size = resolve_batch(batch, scen.params.n_smes)
    model_cls = kwargs.pop("model_cls", None)
    if model_cls is not None:  # run_batch runs InspireModel only
        size = 1
        kwargs["model_cls"] = model_cls
    out: list[RunResult] = []
    for start in range(0, len(seeds), size):
        chunk = seeds[start : start + size]
        if size == 1:
            res = [run(scen, seed=chunk[0], steps=steps, **kwargs)]
            if progress is not None:
                progress(1)
        else:
            res = run_batch(scen, chunk, steps=steps, progress=progress, **kwargs)
        for rep, r in enumerate(res, start=start):
            r.manifest["replication"] = rep
            r.manifest["root_seed"] = int(seed)
        out.extend(res)
    return out

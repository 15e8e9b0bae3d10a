"""Calibration by approximate Bayesian computation (ABC-SMC with pyabc) against a targets file.

:func:`calibrate` fits the model's uncertain parameters to the fitted (not held-out) targets of
a :class:`~inspire_sim.analyses.targets.TargetSet`:

- priors: uniform over each parameter's ``sa_range`` (its plausible range in ``params.py``);
- distance: Euclidean over standardised summaries, ``(model - target) / sd`` for every target;
- sampler: pyabc's single-core, multicore (``workers``) or Dask (``scheduler``) sampler;
- history: pyabc's SQLite database ``abc.db`` in the output folder; calling :func:`calibrate`
  again on the same folder with the same settings resumes after the last finished population
  (a population interrupted half-way is sampled again).

Each simulation is reproducible from its parameters: its seed is derived from the root seed and
the parameter values (:func:`particle_seed`). pyabc's own proposals use numpy's global
generator, so two calibrations are statistically, not bitwise, alike.

Outputs (:func:`write_outputs`): ``posterior.parquet`` (draws with weights), ``calibrated.toml``
(a scenario extending the base with the posterior medians), ``predictive.csv`` (posterior
predictive against every target, held-out ones included) and figures (marginals, pairs,
predictive, identifiability) drawn by :mod:`inspire_sim.analyses.calibrate_plots`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import ParamSpec
from ..core.scenario import Scenario, load_scenario, resolve_path
from ..core.streams import replicate_seed
from ..errors import InputError, unknown_key_fix
from ..levers import spec_by_name, uncertain_model_parameters
from .targets import Target, TargetSet, check_against, load_targets, summarise

DB_NAME = "abc.db"
MISSING_PENALTY_SD = 10.0  # a summary the run cannot produce counts as this many sd off target


@dataclass(frozen=True)
class CalibrationSettings:
    """What defines a calibration (a resumed calibration must match it)."""

    targets_hash: str
    scenario: str
    params: tuple[str, ...]
    population_size: int
    n_smes: int
    steps: int
    replications: int
    seed: int

    def key(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


@dataclass
class CalibrationResult:
    """A finished (or resumed) calibration: posterior draws, weights and bookkeeping."""

    posterior: pd.DataFrame  # one row per particle: the parameters (dotted names) and "weight"
    populations: pd.DataFrame  # t, epsilon, samples, particles, acceptance
    settings: CalibrationSettings
    priors: dict[str, tuple[float, float]]
    out: Path
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    def median(self) -> dict[str, float]:
        """Weighted posterior median of each parameter."""
        return {n: weighted_quantile(self.posterior[n], self.posterior["weight"], 0.5) for n in self.priors}

    def interval(self, level: float = 0.9) -> dict[str, tuple[float, float]]:
        """Weighted central posterior interval of each parameter."""
        lo, hi = (1 - level) / 2, (1 + level) / 2
        w = self.posterior["weight"]
        return {
            n: (weighted_quantile(self.posterior[n], w, lo), weighted_quantile(self.posterior[n], w, hi))
            for n in self.priors
        }


def weighted_quantile(values: Any, weights: Any, q: float) -> float:
    """Quantile ``q`` of ``values`` under ``weights`` (inverse of the weighted CDF, midpoint rule)."""
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    order = np.argsort(v)
    v, w = v[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def resolve_params(names: list[str] | None) -> list[ParamSpec]:
    """Parameter specs for ``names`` (dotted or bare model names); default: every uncertainty."""
    if not names:
        return uncertain_model_parameters()
    table = spec_by_name()
    out: list[ParamSpec] = []
    for n in names:
        if n not in table:
            raise InputError("unknown parameter", field=f"--params {n}", fix=unknown_key_fix(n, table))
        s = table[n]
        if s.group != "model":
            raise InputError(
                "only model parameters can be calibrated",
                field=f"--params {n}",
                fix="calibrate uncertain model parameters; lever settings are policy choices",
            )
        if s.sa_range is None and (s.lo is None or s.hi is None):
            raise InputError("has no sa_range or bounds to use as a prior", field=f"--params {n}", fix="pick another")
        if s.integer:
            raise InputError("is an integer parameter; ABC here fits continuous ones", field=f"--params {n}")
        if s not in out:
            out.append(s)
    return out


def _prior_bounds(s: ParamSpec) -> tuple[float, float]:
    lo, hi = s.sa_range if s.sa_range is not None else (s.lo, s.hi)
    return float(lo), float(hi)  # type: ignore[arg-type]


def _key(name: str) -> str:
    """pyabc parameter key of a dotted name (pyabc keys are identifiers)."""
    return name.replace(".", "__")


def particle_seed(root_seed: int, params: dict[str, float]) -> int:
    """A run seed determined by the root seed and the parameter values (same particle, same run)."""
    text = ";".join(f"{k}={float(v)!r}" for k, v in sorted(params.items()))
    return replicate_seed(root_seed, zlib.crc32(text.encode("utf-8")))


class Simulator:
    """The model as pyabc sees it: parameters -> standardised-able summaries of the targets.

    Picklable (pyabc ships it to worker processes and Dask workers). ``batch`` (runs per
    :func:`~inspire_sim.run.run_batch` call, the execution setting; not part of the settings,
    results do not depend on it): a particle's replications run as one batch.
    """

    def __init__(
        self,
        base: Scenario,
        targets: list[Target],
        names: list[str],
        settings: CalibrationSettings,
        batch: int | str | None = "auto",
    ) -> None:
        self.base = base
        self.targets = targets
        self.names = names
        self.settings = settings
        self.batch = batch

    def scenario(self, values: dict[str, float]) -> Scenario:
        return self.base.with_overrides({**values, "n_smes": self.settings.n_smes, "steps": self.settings.steps})

    def simulate(self, values: dict[str, float], seed: int) -> dict[str, float]:
        """Mean summaries over the settings' replications, from root ``seed``."""
        return self.simulate_many([(values, seed)])[0]

    def simulate_many(self, particles: list[tuple[dict[str, float], int]]) -> list[dict[str, float]]:
        """:meth:`simulate` of each ``(values, seed)``; every particle x replicate is one run, and
        the runs go to :func:`~inspire_sim.runpool.run_batched` in batches (in this process)."""
        from ..runpool import run_batched

        reps = self.settings.replications
        jobs = []
        for values, seed in particles:
            scen = self.scenario(values)
            jobs += [(scen, replicate_seed(seed, r)) for r in range(reps)]
        runs = run_batched(jobs, record_partnerships=True, batch=self.batch, workers=1)
        return [summarise(self.targets, runs[i * reps : (i + 1) * reps]) for i in range(len(particles))]

    def __call__(self, par: Any) -> dict[str, float]:
        values = {n: float(par[_key(n)]) for n in self.names}
        out = self.simulate(values, particle_seed(self.settings.seed, values))
        # a summary the run cannot produce (e.g. no partnerships at all) is far from its target
        return {
            t.name: (out[t.name] if math.isfinite(out[t.name]) else t.value + MISSING_PENALTY_SD * t.sd)
            for t in self.targets
        }


def _sampler(workers: int | None, scheduler: str | None) -> Any:
    from pyabc.sampler import MulticoreEvalParallelSampler, SingleCoreSampler

    if scheduler:
        from dask.distributed import Client
        from pyabc.sampler import DaskDistributedSampler

        return DaskDistributedSampler(dask_client=Client(scheduler))
    n = workers if workers is not None else (os.cpu_count() or 1)
    return SingleCoreSampler() if n <= 1 else MulticoreEvalParallelSampler(n_procs=n)


def _check_positive(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"must be a positive whole number (got {value!r})", field=name, fix=f"give {name} >= 1")


def calibrate(
    targets: TargetSet | str | Path,
    out: str | Path,
    *,
    scenario: str | Path = "baseline",
    params: list[str] | None = None,
    populations: int = 6,
    population_size: int = 100,
    n_smes: int | None = None,
    steps: int | None = None,
    replications: int = 1,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    min_acceptance_rate: float = 0.005,
    progress: bool = False,
    batch: int | str | None = "auto",
) -> CalibrationResult:
    """Fit ``params`` to the fitted targets by ABC-SMC; write and return the posterior.

    Args:
        targets: a :class:`TargetSet`, a targets file, or a shipped name (``"eu_cis"``).
        out: output folder (created); holds ``abc.db`` so an interrupted run resumes.
        scenario: the base scenario (name or file).
        params: dotted or bare model parameter names; default every uncertain parameter.
        populations: ABC-SMC generations in total (a resumed run adds only the missing ones).
        population_size: accepted particles per generation.
        n_smes, steps: simulated SMEs and months per run (default: the scenario's).
        replications: runs averaged per particle (more = less simulation noise, slower).
        seed: root seed of the simulations.
        workers: local processes (1 = single core; default all cores); ``scheduler``: a Dask
            scheduler address instead.
        min_acceptance_rate: stop early when fewer proposals than this are accepted.
        batch: runs per batch (``"auto"``, N, or 1 = no batching; :func:`~inspire_sim.run.resolve_batch`).
            pyabc evaluates one particle at a time, so a batch holds one particle's replications
            (and, in :func:`predictive`, the draws' runs). Not part of the settings: results do
            not depend on it.
    """
    import pyabc

    from ..run import check_batch

    check_batch(batch)
    for name, val in (
        ("populations", populations),
        ("population_size", population_size),
        ("replications", replications),
    ):
        _check_positive(val, f"--{name.replace('_', '-')}")
    tset = targets if isinstance(targets, TargetSet) else load_targets(targets)
    fitted = tset.fitted()
    if not fitted:
        raise InputError("every target is held out", field="held_out", fix="keep at least one target for fitting")
    specs = resolve_params(params)
    base = load_scenario(scenario)
    settings = CalibrationSettings(
        targets_hash=tset.file_hash,
        scenario=str(resolve_path(scenario).resolve()),
        params=tuple(s.name for s in specs),
        population_size=population_size,
        n_smes=int(n_smes if n_smes is not None else base.params.n_smes),
        steps=int(steps if steps is not None else base.params.steps),
        replications=replications,
        seed=int(seed),
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / DB_NAME
    key_file = out / "calibration_settings.json"
    resuming = db.exists() and key_file.exists()
    if resuming and json.loads(key_file.read_text()) != settings.key():
        raise InputError(
            "holds a calibration with other settings",
            source=str(out),
            field="--out",
            fix="use a new --out folder, or the same targets, scenario, parameters and sizes to resume",
        )
    priors = {s.name: _prior_bounds(s) for s in specs}
    sim = Simulator(base, fitted, [s.name for s in specs], settings, batch)
    # fail fast (one line) on a target the model cannot map, before any sampling
    check_against(tset, _probe_run(sim))
    prior = pyabc.Distribution(**{_key(n): pyabc.RV("uniform", lo, hi - lo) for n, (lo, hi) in priors.items()})
    distance = pyabc.PNormDistance(p=2, fixed_weights={t.name: 1.0 / t.sd for t in fitted})
    if not progress:
        logging.getLogger("ABC").setLevel(logging.WARNING)
        logging.getLogger("pyabc").setLevel(logging.WARNING)
    sampler = _sampler(workers, scheduler)
    abc = pyabc.ABCSMC(sim, prior, distance, population_size=population_size, sampler=sampler)
    t0 = time.perf_counter()
    try:
        if resuming:
            history = abc.load(f"sqlite:///{db}", 1)
            remaining = populations - (history.max_t + 1)
        else:
            key_file.write_text(json.dumps(settings.key(), indent=2) + "\n")
            history = abc.new(f"sqlite:///{db}", {t.name: t.value for t in fitted})
            remaining = populations
        if remaining > 0:
            history = abc.run(max_nr_populations=remaining, min_acceptance_rate=min_acceptance_rate)
    finally:
        client = getattr(sampler, "client", None)  # the Dask client we opened (pyabc leaves it open)
        if scheduler and client is not None:
            client.close()
    seconds = time.perf_counter() - t0
    result = _result(history, priors, settings, out, seconds)
    from ..run import resolve_batch

    result.info["batch"] = min(resolve_batch(batch, settings.n_smes), replications)  # runs per run_batch call
    return result


def _probe_run(sim: Simulator) -> Any:
    from ..run import run

    return run(sim.base.with_overrides({"n_smes": min(sim.settings.n_smes, 300), "steps": 13}), seed=0)


def _result(
    history: Any, priors: dict[str, tuple[float, float]], settings: CalibrationSettings, out: Path, seconds: float
) -> CalibrationResult:
    df, w = history.get_distribution(m=0, t=history.max_t)
    post = pd.DataFrame({n: df[_key(n)].to_numpy(dtype=float) for n in priors})
    post["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    pops["acceptance"] = pops["particles"] / pops["samples"].where(pops["samples"] > 0)
    return CalibrationResult(
        posterior=post,
        populations=pops[["t", "epsilon", "samples", "particles", "acceptance"]],
        settings=settings,
        priors=priors,
        out=out,
        seconds=seconds,
        info={"generations": int(history.max_t + 1), "simulations": int(history.total_nr_simulations)},
    )


def predictive(
    result: CalibrationResult, targets: TargetSet, draws: int = 20, seed: int = 1, batch: int | str | None = "auto"
) -> pd.DataFrame:
    """Posterior predictive: ``draws`` particles (by weight) run again against every target.

    Returns one row per target: value, sd, low/high (± 2 sd), model median and 5-95% interval,
    whether the median lies within ± 2 sd, and whether the target was held out. The draws' runs
    (draws x replications) go to :func:`~inspire_sim.run.run_batch` in batches of ``batch``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x9E37]))
    post = result.posterior
    idx = rng.choice(len(post), size=draws, replace=True, p=post["weight"].to_numpy())
    base = load_scenario(result.settings.scenario)
    sim = Simulator(base, targets.targets, list(result.priors), result.settings, batch)
    particles = [
        ({n: float(post[n].iloc[i]) for n in result.priors}, replicate_seed(seed, k)) for k, i in enumerate(idx)
    ]
    sims = pd.DataFrame(sim.simulate_many(particles))
    out = []
    for t in targets.targets:
        s = sims[t.name].dropna()
        med = float(s.median()) if len(s) else float("nan")
        out.append(
            {
                "target": t.name,
                "value": t.value,
                "sd": t.sd,
                "low": t.value - 2 * t.sd,
                "high": t.value + 2 * t.sd,
                "model_median": med,
                "model_q05": float(s.quantile(0.05)) if len(s) else float("nan"),
                "model_q95": float(s.quantile(0.95)) if len(s) else float("nan"),
                "within_2sd": bool(abs(med - t.value) <= 2 * t.sd),
                "held_out": t.held_out,
            }
        )
    return pd.DataFrame(out)


def calibrated_scenario_text(result: CalibrationResult, name: str = "calibrated") -> str:
    """TOML of a scenario extending the base scenario with the posterior medians."""
    base = Path(result.settings.scenario)
    rel = os.path.relpath(base, result.out.resolve())
    lines = [
        f"# Written by inspire-sim calibrate: posterior medians of {len(result.priors)} parameters",
        f"# from {result.info.get('generations', '?')} ABC-SMC generations; the draws are in posterior.parquet.",
        f'name = "{name}"',
        f'description = "{base.stem} with parameters calibrated by ABC-SMC (inspire-sim calibrate)"',
        f'extends = "{rel}"',
        "inherit_policies = true",
        "",
        "[model]",
    ]
    for n, v in result.median().items():
        lines.append(f"{n.removeprefix('model.')} = {float(v)!r}")
    return "\n".join(lines) + "\n"


def write_outputs(
    result: CalibrationResult, targets: TargetSet, *, figures: bool = True, predictive_draws: int = 20
) -> dict[str, Path]:
    """Write posterior, calibrated scenario, predictive table, summary and figures into ``result.out``."""
    out = result.out
    paths = {
        "posterior": out / "posterior.parquet",
        "calibrated": out / "calibrated.toml",
        "predictive": out / "predictive.csv",
        "summary": out / "summary.csv",
        "populations": out / "populations.csv",
    }
    result.posterior.to_parquet(paths["posterior"], index=False)
    paths["calibrated"].write_text(calibrated_scenario_text(result))
    load_scenario(paths["calibrated"])  # the written scenario must load
    pred = predictive(result, targets, draws=predictive_draws)
    pred.to_csv(paths["predictive"], index=False)
    interval = result.interval(0.9)
    summary = pd.DataFrame(
        [
            {
                "parameter": n,
                "prior_low": lo,
                "prior_high": hi,
                "median": result.median()[n],
                "q05": interval[n][0],
                "q95": interval[n][1],
                "width_ratio": (interval[n][1] - interval[n][0]) / (0.9 * (hi - lo)) if hi > lo else float("nan"),
            }
            for n, (lo, hi) in result.priors.items()
        ]
    )
    summary.to_csv(paths["summary"], index=False)
    result.populations.to_csv(paths["populations"], index=False)
    if figures:
        from . import calibrate_plots

        paths.update(
            calibrate_plots.write_figures(
                result.posterior, result.priors, result.median(), pred, summary, out / "figures"
            )
        )
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "kind": "calibrate",
                "settings": result.settings.key(),
                "targets": targets.name,
                "seconds": round(result.seconds, 2),
                **result.info,
            },
            indent=2,
        )
        + "\n"
    )
    return paths

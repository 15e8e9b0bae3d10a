"""Designs: grid, Latin hypercube (scipy.stats.qmc), Sobol' and Morris (SALib).

Every design is first drawn in the unit hypercube and then mapped to factor values
(range x distribution, integer rounding, or a discrete set of levels), so one mapping
serves every design and Morris elementary effects are computed in unit space (effect
of a move across the whole range; comparable between factors of different units).

Runs are design points x replications; ``run_id = point_id * replications +
replicate``. Each run's seed is drawn from ``SeedSequence(root_seed,
spawn_key=(replicate,))``: every design point of a replicate shares its seed
(common random numbers: differences between points are due to the factors, not to
noise). With ``common_random_numbers = false`` the key is ``(point_id, replicate)``.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .spec import ExperimentSpec, Factor


def _unit_to_values(f: Factor, u: np.ndarray) -> np.ndarray:
    """Map unit-interval draws to the factor's values."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    if f.levels is not None:
        k = len(f.levels)
        idx = np.minimum((u * k).astype(int), k - 1)
        return np.array(f.levels, dtype=object)[idx]
    assert f.range is not None  # validated: a factor has levels or a range
    lo, hi = f.range
    if f.distribution == "uniform" and f.integer:
        a, b = math.ceil(lo), math.floor(hi)
        return np.minimum(np.floor(a + u * (b - a + 1)), b).astype(np.int64)
    if f.distribution == "uniform":
        x = lo + u * (hi - lo)
    elif f.distribution == "loguniform":
        x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    else:  # triangular
        from scipy.stats import triang

        peak = f.peak if f.peak is not None else (lo + hi) / 2
        x = triang(c=(peak - lo) / (hi - lo), loc=lo, scale=hi - lo).ppf(u)
    if f.integer:
        return np.clip(np.rint(x), math.ceil(lo), math.floor(hi)).astype(np.int64)
    return x


def _grid_values(f: Factor) -> list[Any]:
    if f.levels is not None:
        return list(f.levels)
    assert f.range is not None and f.points is not None  # validated for grid designs
    lo, hi = f.range
    vals = np.linspace(lo, hi, f.points)
    if f.integer:
        return sorted({int(v) for v in np.rint(vals)})
    return [float(v) for v in vals]


def _native(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass
class Design:
    """The design points of a spec (no runs yet)."""

    kind: str
    factors: list[str]
    points: pd.DataFrame  # one row per point: point_id + factor columns
    unit: np.ndarray | None  # points in the unit hypercube (lhs/sobol/morris)
    problem: dict[str, Any]  # SALib problem over the unit hypercube
    replications: int

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    def params(self, point_id: int) -> dict[str, Any]:
        return {name: _native(self.points[name].iat[point_id]) for name in self.factors}


def build_design(spec: ExperimentSpec) -> Design:
    """Draw the design of ``spec`` (deterministic given the spec's root seed)."""
    d = spec.design
    names = spec.factor_names
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    unit = None
    if d.kind == "grid":
        combos = list(itertools.product(*[_grid_values(f) for f in spec.factors]))
        cols = {n: pd.Series([c[i] for c in combos]) for i, n in enumerate(names)}
    else:
        if d.kind == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(len(names), optimization=d.optimization, rng=spec.seed).random(d.samples)
        elif d.kind == "sobol":
            from SALib.sample import sobol

            unit = sobol.sample(problem, d.samples, calc_second_order=d.second_order, scramble=True, seed=spec.seed)
        else:
            from SALib.sample import morris

            unit = morris.sample(
                problem, d.samples, num_levels=d.num_levels, optimal_trajectories=d.optimal_trajectories, seed=spec.seed
            )
        cols = {
            n: pd.Series(_unit_to_values(f, unit[:, i]))
            for i, (n, f) in enumerate(zip(names, spec.factors, strict=True))
        }
    points = pd.DataFrame({"point_id": np.arange(len(next(iter(cols.values()))), dtype=np.int64)})
    for n, s in cols.items():
        points[n] = s.infer_objects() if s.dtype == object else s
    return Design(d.kind, names, points, unit, problem, spec.replications)


DEFAULT_MAX_RUNS = 1_000_000
"""Largest design (points x replications) a sweep accepts unless told otherwise (``--max-runs``)."""

BYTES_PER_RUN = 600  # run table, task tuple, store record and result row (measured order of magnitude)


def planned_points(spec: ExperimentSpec) -> int:
    """Number of design points, computed from the spec without drawing the design."""
    d = spec.design
    k = len(spec.factors)
    if d.kind == "grid":
        return math.prod(len(f.levels) if f.levels is not None else int(f.points or 0) for f in spec.factors)
    n = int(d.samples or 0)
    if d.kind == "lhs":
        return n
    if d.kind == "sobol":
        return n * (2 * k + 2 if d.second_order else k + 2)
    return int(d.optimal_trajectories or n) * (k + 1)


def check_size(spec: ExperimentSpec, max_runs: int = DEFAULT_MAX_RUNS) -> int:
    """Refuse a design larger than ``max_runs`` runs, or whose tables would not fit in
    memory, before anything is drawn or run; returns the number of runs."""
    from ..errors import InputError

    runs = planned_points(spec) * spec.replications
    if runs > max_runs:
        raise InputError(
            f"the design has {runs:,} runs ({planned_points(spec):,} points x {spec.replications} replications), "
            f"more than the limit of {max_runs:,}",
            source=spec.source,
            field="design",
            fix=f"shrink the design or the replications, or raise the limit with --max-runs {runs} (max_runs=)",
        )
    try:
        avail = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        avail = 0
    need = runs * (BYTES_PER_RUN + 8 * (len(spec.factors) + len(spec.outputs)))
    if avail and need > avail // 2:
        raise InputError(
            f"the design's {runs:,} runs need about {need / 2**30:.1f} GiB for their tables, "
            f"more than half of this machine's {avail / 2**30:.1f} GiB",
            source=spec.source,
            field="design",
            fix="shrink the design or the replications, or split it into several specs",
        )
    return runs


def run_seed(root_seed: int, point_id: int, replicate: int, common: bool = True) -> int:
    """The seed of one run: :func:`inspire_sim.core.streams.replicate_seed` (common: shared by all points)."""
    from ..core.streams import replicate_seed

    return replicate_seed(root_seed, replicate, None if common else point_id)


def run_table(spec: ExperimentSpec, design: Design) -> pd.DataFrame:
    """All runs: run_id, point_id, replicate, seed (factor values via point_id)."""
    r = design.replications
    point = np.repeat(np.arange(design.n_points, dtype=np.int64), r)
    rep = np.tile(np.arange(r, dtype=np.int64), design.n_points)
    seeds = {}
    out = np.empty(len(point), dtype=np.int64)
    for i, (p, k) in enumerate(zip(point, rep, strict=True)):
        key = (int(k),) if spec.common_random_numbers else (int(p), int(k))
        if key not in seeds:
            seeds[key] = run_seed(spec.seed, int(p), int(k), spec.common_random_numbers)
        out[i] = seeds[key]
    return pd.DataFrame(
        {"run_id": np.arange(len(point), dtype=np.int64), "point_id": point, "replicate": rep, "seed": out}
    )

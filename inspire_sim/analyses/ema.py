"""EMA Workbench adapters: the INSPIRE model as an EMA ``Model``, and sweep output for PRIM.

Optional extra: ``pip install 'inspire-sim[ema]'`` (``ema_workbench``). Uncertainties and levers
come from the parameter registry (``params.py``: bounds from ``sa_range``, else the validation
bounds; integer parameters become ``IntegerParameter``); outcomes are (indicator, statistic,
window) as in experiment specs, reduced with :func:`inspire_sim.results.reduce_series`::

    from ema_workbench import perform_experiments
    from inspire_sim.analyses.ema import build_model, sweep_to_ema

    model = build_model(outcomes=[("cooperating_share", "mean", (49, 60))], steps=60, n_smes=1000)
    experiments, outcomes = perform_experiments(model, scenarios=50)

    experiments, outcomes = sweep_to_ema("runs/policy_grid")   # an `inspire-sim sweep` folder
    from ema_workbench.analysis import prim
    box = prim.Prim(experiments, outcomes["cooperating_share_mean"] < 0.2).find_box()

EMA Workbench 3 wants parameter names that are Python identifiers: :func:`build_model` names
them ``model__search_rate`` for ``model.search_rate`` (:func:`ema_name`, :func:`dotted_name`);
:func:`sweep_to_ema` keeps the sweep's dotted column names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import ParamSpec
from ..errors import InputError, unknown_key_fix
from ..levers import parameter_specs, spec_by_name

OutcomeSpec = tuple[str, str, tuple[int, int] | None]
"""(indicator, statistic, window): ``statistic`` is final, mean or cumulative; window months a..b."""


def _import_ema() -> Any:
    try:
        import ema_workbench
    except ModuleNotFoundError:
        raise InputError(
            "needs the EMA Workbench", field="inspire_sim.analyses.ema", fix="pip install 'inspire-sim[ema]'"
        ) from None
    return ema_workbench


def _bounds(s: ParamSpec) -> tuple[float, float]:
    if s.sa_range is not None:
        return float(s.sa_range[0]), float(s.sa_range[1])
    if s.lo is not None and s.hi is not None:
        return float(s.lo), float(s.hi)
    raise InputError("has no sa_range or bounds", field=s.name, fix="give it an sa_range in params.py")


def _specs(names: Sequence[str] | None, role: str) -> list[ParamSpec]:
    if names is None:
        return [s for s in parameter_specs() if s.role == role and (s.sa_range is not None or role == "lever")]
    known = spec_by_name()
    for n in names:
        if n not in known:
            raise InputError("unknown parameter", field=n, fix=unknown_key_fix(n, known))
    return [known[n] for n in names]


def ema_name(dotted: str) -> str:
    """The EMA (identifier) name of a dotted parameter name: ``model.search_rate`` -> ``model__search_rate``."""
    return dotted.replace(".", "__")


def dotted_name(name: str) -> str:
    """The dotted parameter name of an EMA name (inverse of :func:`ema_name`)."""
    return name.replace("__", ".")


def parameters(names: Sequence[str] | None = None, role: str = "uncertainty") -> list[Any]:
    """EMA parameters for ``names`` or every registry parameter of ``role`` (with bounds), named by :func:`ema_name`."""
    ema = _import_ema()
    out = []
    for s in _specs(names, role):
        if isinstance(s.default, bool):
            continue  # switches are not sampled
        lo, hi = _bounds(s)
        if s.integer:
            out.append(ema.IntegerParameter(ema_name(s.name), int(np.ceil(lo)), int(np.floor(hi))))
        else:
            out.append(ema.RealParameter(ema_name(s.name), lo, hi))
    return out


def outcome_name(spec: OutcomeSpec) -> str:
    """The outcome's column name: ``<indicator>_<statistic>`` (as in sweep results)."""
    return f"{spec[0]}_{spec[1]}"


@dataclass
class InspireFunction:
    """The model run behind an EMA ``Model`` (picklable, so EMA's process pools can use it).

    Called with the sampled parameters (dotted names) and, for a ``ReplicatorModel``, a ``seed``;
    returns one number per outcome.
    """

    outcomes: list[OutcomeSpec]
    scenario: str = "baseline"
    fixed: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def __call__(self, **values: Any) -> dict[str, float]:
        from ..core.scenario import load_scenario
        from ..core.streams import replicate_seed
        from ..results import reduce_series
        from ..run import run

        seed = values.pop("seed", None)
        seed = replicate_seed(self.seed, 0) if seed is None else int(seed)
        scen = load_scenario(self.scenario, **self.fixed).with_overrides({dotted_name(k): v for k, v in values.items()})
        ts = run(scen, seed=seed).timeseries
        return {
            outcome_name(o): reduce_series(ts[o[0]], o[1], ts["step"], o[2] if o[1] != "final" else None)
            for o in self.outcomes
        }


def build_model(
    uncertainties: Sequence[str] | None = None,
    levers: Sequence[str] | None = (),
    outcomes: Sequence[OutcomeSpec] = (("cooperating_share", "final", None),),
    *,
    scenario: str = "baseline",
    replications: int = 1,
    seed: int = 0,
    name: str = "inspire",
    **fixed: Any,
) -> Any:
    """An EMA ``Model`` (``ReplicatorModel`` when ``replications > 1``) of the INSPIRE model.

    ``uncertainties``: dotted names (default: every ``uncertainty`` parameter with an
    ``sa_range``); ``levers``: dotted names (``None``: every ``lever`` parameter; default none);
    ``outcomes``: (indicator, statistic, window) tuples; ``fixed``: overrides applied to
    ``scenario`` for every run (e.g. ``steps=60, n_smes=1000``). Replicate ``r`` uses
    ``streams.replicate_seed(seed, r)``, the same seeds as ``run``, ``compare`` and ``sweep``.
    """
    ema = _import_ema()
    from ..core.metrics import INDICATORS
    from ..core.streams import replicate_seeds

    for o in outcomes:
        if o[0] not in INDICATORS:
            raise InputError("unknown indicator", field=o[0], fix=unknown_key_fix(o[0], INDICATORS))
        if o[1] not in ("final", "mean", "cumulative"):
            raise InputError("unknown statistic", field=o[1], fix="use final, mean or cumulative")
    func = InspireFunction([tuple(o) for o in outcomes], scenario, dict(fixed), seed)  # type: ignore[misc]
    if replications > 1:
        model = ema.ReplicatorModel(name, function=func)
        model.replications = [{"seed": s} for s in replicate_seeds(seed, replications)]
    else:
        model = ema.Model(name, function=func)
    model.uncertainties = parameters(uncertainties, "uncertainty")
    if levers is None or levers:
        model.levers = parameters(levers, "lever")
    model.outcomes = [ema.ScalarOutcome(outcome_name(o)) for o in outcomes]
    return model


def ema_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with EMA-ready dtypes: numbers as float64, text and booleans as categories.

    PRIM and the other EMA analyses accept float and categorical columns; integer columns
    (e.g. a grid over a capacity) and pandas' ``str`` columns make them fail.
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(str).astype("category")
        else:
            out[col] = s.astype("float64")
    return out


def sweep_to_ema(out_dir: str | Path, *, include_failed: bool = False) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """``(experiments, outcomes)`` of an ``inspire-sim sweep`` folder, in EMA-ready dtypes.

    ``experiments``: one row per run, the design's factor columns (:func:`ema_frame` dtypes);
    ``outcomes``: output column -> float64 array. Failed and timed-out runs are left out unless
    ``include_failed`` (their outcomes are NaN).
    """
    folder = Path(out_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        runs = pd.read_parquet(folder / "results.parquet")
    except FileNotFoundError as exc:
        raise InputError(
            f"no sweep results ({Path(exc.filename).name} missing)",
            source=str(folder),
            fix="give a folder written by inspire-sim sweep",
        ) from None
    factors = list(manifest["design"]["factors"])
    outputs = list(manifest["outputs"])
    if not include_failed:
        runs = runs[runs["status"] == "ok"]
    runs = runs.sort_values("run_id").reset_index(drop=True)
    experiments = ema_frame(runs[factors])
    outcomes = {name: runs[name].to_numpy(dtype="float64") for name in outputs}
    return experiments, outcomes

"""Per-run model parameters of a batch: design points that share their structure run together.

A batch may hold runs whose scenarios differ in behavioural model parameters (the design
points of a sensitivity analysis, the particles of a calibration): :class:`RunParams` keeps,
for every parameter, one Python number when all runs share it and an (R,) array of the
runs' values when they differ. The phases read parameters through a :class:`ParamView` at
the rows they work on, ``world.param_view(run_of_each_row)``: a shared parameter is the
same Python number the run alone would use, a varying one is each row's run's value, so
element by element every run computes what it computes alone. Expressions that apply
non-elementary functions to parameters (``log``, ``exp``, powers) go through
:meth:`ParamView.derived`, which evaluates them per run on Python numbers exactly as the run
alone does.

Parameters that shape the arrays of a batch (:data:`BATCH_STRUCTURAL`) must be equal in all
runs; parameters used only when a run is initialised may differ freely (each run is
initialised alone, from its own scenario).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .params import ModelParams

BATCH_STRUCTURAL = frozenset(
    {
        "n_smes",
        "steps",
        "burn_in",
        "partners_per_sme",
        "share_peer",
        "share_psr",
        "share_large_firm",
        "share_crowd",
        "sectors",
        "persona_dims",
        "n_candidates",
        "memory_slots",
        "panel_size",
    }
)
"""Model parameters that set the shapes of a batch's arrays: equal in every run of a batch."""

LEVER_STRUCTURAL = frozenset(
    {"kind", "label", "countries", "regions", "sectors", "target_stages", "start", "end"}
    | {"screening_pool", "extra_candidates"}  # the shapes of the candidate arrays
)
"""Lever parameters every run of a batch shares (targeting, timing, array shapes); numeric others may differ."""


class RunParams:
    """The model parameters of the R runs of a batch (see the module docstring)."""

    def __init__(self, params: Sequence[ModelParams]) -> None:
        self.runs = len(params)
        self.first = params[0]
        self.by_run = list(params)
        self.varying: dict[str, np.ndarray] = {}
        for name in type(self.first).model_fields:
            values = [getattr(p, name) for p in params]
            if any(v != values[0] for v in values[1:]):
                if name in BATCH_STRUCTURAL or not all(isinstance(v, (int, float)) for v in values):
                    raise ValueError(f"model.{name} differs between the runs of a batch")
                self.varying[name] = np.array(values)

    def view(self, run: np.ndarray | int | None) -> ParamView:
        """The parameters at rows of runs ``run`` (an index array, or one run)."""
        return ParamView(self, run)

    def of(self, run: int) -> ModelParams:
        """Run ``run``'s own :class:`~inspire_sim.core.params.ModelParams`."""
        return self.by_run[run]


class ParamView:
    """Parameters read at rows of given runs: shared ones as numbers, varying ones as arrays by row."""

    __slots__ = ("_rp", "_run")

    def __init__(self, rp: RunParams, run: np.ndarray | int | None) -> None:
        self._rp = rp
        self._run = run

    def __getattr__(self, name: str) -> Any:
        values = self._rp.varying.get(name)
        if values is None:
            return getattr(self._rp.first, name)
        if self._run is None:
            raise AttributeError(
                f"model.{name} differs between the runs of this batch: read it with world.param_view(run_of_rows)"
            )
        return values[self._run]

    def derived(self, fn: Callable[..., Any], *names: str) -> Any:
        """``fn(*values)`` of parameters ``names``: one number if they are shared, else per row.

        Each run's value is ``fn`` of that run's Python numbers, exactly as the run alone computes it.
        """
        if not any(n in self._rp.varying for n in names):
            return fn(*(getattr(self._rp.first, n) for n in names))
        per_run = np.array([fn(*(getattr(p, n) for n in names)) for p in self._rp.by_run])
        if self._run is None:
            raise AttributeError(f"model.{names} differ between the runs of this batch: use world.param_view")
        return per_run[self._run]


def batch_key(scenario: Any) -> str:
    """Scenarios with the same key can share a batch.

    The key is the resolved scenario without its name, file and overrides, and without the
    behavioural model parameters and numeric lever parameters, which the phases and levers
    read per run: design points that differ only in those run together.
    """
    d = scenario.to_dict()
    for k in ("name", "description", "path", "file_hash", "overrides"):
        d.pop(k, None)
    d["model"] = {k: v for k, v in d["model"].items() if k in BATCH_STRUCTURAL or not _number(v)}
    d["policies"] = [{k: v for k, v in pol.items() if k in LEVER_STRUCTURAL or not _number(v)} for pol in d["policies"]]
    return json.dumps(d, sort_keys=True, default=str)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def derived(p: Any, fn: Callable[..., Any], *names: str) -> Any:
    """``fn`` of parameters ``names`` of ``p``, a :class:`ParamView` or plain parameters (:meth:`ParamView.derived`)."""
    if isinstance(p, ParamView):
        return p.derived(fn, *names)
    return fn(*(getattr(p, n) for n in names))


__all__ = ["BATCH_STRUCTURAL", "LEVER_STRUCTURAL", "ParamView", "RunParams", "batch_key", "derived"]

"""SALib problems built from the parameter registry (one definition: ``params.py``).

:func:`salib_problem` is the classic SALib problem dict; :func:`problem_spec` wraps it in SALib's
``ProblemSpec`` (method chaining: sample, evaluate, analyze); :func:`model_function` gives the
function to evaluate, running the INSPIRE model once per sample row::

    import inspire_sim as I

    sp = I.problem_spec(["model.search_rate", "model.home_bias"], outputs=["cooperating_share"])
    sp.sample_sobol(64)
    sp.evaluate(I.problem.model_function(sp, "cooperating_share", steps=60, n_smes=1000))
    sp.analyze_sobol()
    print(sp)

For large designs, replications, resume and clusters use ``inspire-sim sensitivity`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError, unknown_key_fix
from ..levers import salib_problem, spec_by_name

__all__ = ["model_function", "problem_spec", "salib_problem"]


def _check_names(names: Sequence[str] | None) -> list[str] | None:
    if names is None:
        return None
    known = spec_by_name()
    for n in names:
        if n not in known:
            raise InputError("unknown parameter", field=n, fix=unknown_key_fix(n, known))
    return list(names)


def problem_spec(
    names: Sequence[str] | None = None, role: str | None = "uncertainty", outputs: Sequence[str] = ("Y",)
) -> Any:
    """A SALib ``ProblemSpec`` over ``names`` (dotted) or every parameter of ``role`` with a ``sa_range``.

    Bounds are the parameters' plausible ranges (``sa_range``, else their validation bounds), as in
    :func:`salib_problem`; ``outputs`` names the model outputs (one column of ``Y`` each).
    Unknown names raise :class:`~inspire_sim.errors.InputError`.
    """
    from SALib import ProblemSpec

    problem = salib_problem(_check_names(names), role=role)
    return ProblemSpec({**problem, "outputs": list(outputs)})


def model_function(
    problem: Any,
    indicator: str,
    statistic: str = "final",
    *,
    scenario: str = "baseline",
    seed: int = 0,
    **fixed: Any,
) -> Callable[[np.ndarray], np.ndarray]:
    """``f(X) -> Y`` for SALib: run the model once per row of ``X`` and reduce ``indicator``.

    Row ``i`` sets the problem's parameters (by dotted name) on ``scenario`` with ``fixed``
    overrides (e.g. ``steps=60, n_smes=1000``) and runs with seed ``streams.replicate_seed(seed,
    0)`` for every row (common random numbers across rows). ``statistic``: ``final``, ``mean`` or
    ``cumulative`` (:func:`inspire_sim.results.reduce_series`).
    """
    from ..core.scenario import load_scenario
    from ..core.streams import replicate_seed
    from ..results import reduce_series
    from ..run import run

    names = list(problem["names"])
    specs = spec_by_name()
    base = load_scenario(scenario, **fixed)
    run_seed = replicate_seed(seed, 0)

    def f(X: np.ndarray) -> np.ndarray:
        out = np.empty(len(X), dtype="float64")
        for i, row in enumerate(np.asarray(X, dtype="float64")):
            values = {n: round(v) if specs[n].integer else float(v) for n, v in zip(names, row, strict=True)}
            ts = run(base.with_overrides(values), seed=run_seed).timeseries
            out[i] = reduce_series(ts[indicator], statistic)
        return out

    return f

"""The lever registry, assembled: the shipped levers loaded in order, and the table of every parameter.

The registry itself (``register_lever``, the ``@lever`` decorator, the dicts of params and policy
classes by kind) lives with the :class:`~inspire_sim.core.policies.Policy` base class, in the core,
so that the model builds a scenario's policies without importing any lever. It is *filled* here:
importing this module (which ``import inspire_sim`` always does, in every process, worker processes
included) imports the five shipped lever modules, whose decorators register them, in this order
(the order of the ``spend_*`` columns), and records them as the shipped ones. A user lever named in
a scenario as ``"module:Class"`` registers itself when the scenario is validated.

The parameter table (:func:`parameter_specs` and what reads it) covers the model's parameters and
every lever registered at the time of the call, shipped or not: ``inspire-sim params``, SALib
problems, the app's sliders and docs/ODD.md read it.
"""

# isort: skip_file
from __future__ import annotations

from typing import Any

from . import support_funding, brokering, matchmaking, toolbox, failure_recovery  # noqa: F401  (they register)

from ..core.params import ParamSpec, by_name, tabulate
from ..core.policies import LEVER_PARAMS, LEVER_POLICIES, declare_shipped

SHIPPED: tuple[str, ...] = declare_shipped(tuple(LEVER_POLICIES))
"""Kinds of the shipped levers, in registration order (their ``spend_*`` columns always exist).
Nothing else can have registered yet: a user lever's module imports inspire_sim, hence this, first."""

LEVERS = LEVER_PARAMS
"""Params class of every registered lever, by kind (a live view of the registry)."""


def parameter_specs() -> list[ParamSpec]:
    """Every parameter: the model's, then each registered lever's (budget_per_step of every lever)."""
    return tabulate(LEVERS)


def spec_by_name() -> dict[str, ParamSpec]:
    """Specs keyed by dotted name; model parameters also by their bare field name."""
    return by_name(parameter_specs())


def parameter_table(role: str | None = None):
    """The parameters as a pandas DataFrame (name, default, unit, bounds, role, source, doc)."""
    import pandas as pd

    rows = [
        {
            "name": s.name,
            "default": s.default,
            "unit": s.unit,
            "lo": s.lo,
            "hi": s.hi,
            "sa_range": s.sa_range,
            "role": s.role,
            "source": s.source,
            "description": s.doc,
        }
        for s in parameter_specs()
        if role is None or s.role == role
    ]
    return pd.DataFrame(rows)


def uncertain_model_parameters() -> list[ParamSpec]:
    """The model's uncertain, continuous parameters with a plausible range (``sa_range``).

    The default factors of calibration (priors) and of robustness analyses (plausible worlds).
    """
    return [
        s for s in parameter_specs() if s.group == "model" and s.role == "uncertainty" and s.sa_range and not s.integer
    ]


def salib_problem(names: list[str] | None = None, role: str | None = "uncertainty") -> dict[str, Any]:
    """A SALib problem dict over ``names`` (dotted) or all parameters of ``role``.

    Bounds come from each parameter's ``sa_range`` (plausible range), falling back to
    its validation bounds.
    """
    table = spec_by_name()
    if names is None:
        specs = [s for s in parameter_specs() if s.role == role and s.sa_range is not None]
    else:
        specs = [table[n] for n in names]
    bounds = []
    for s in specs:
        if s.sa_range is not None:
            bounds.append([float(s.sa_range[0]), float(s.sa_range[1])])
        elif s.lo is not None and s.hi is not None:
            bounds.append([float(s.lo), float(s.hi)])
        else:
            raise ValueError(f"parameter {s.name} has no sa_range or bounds for a SALib problem")
    return {"num_vars": len(specs), "names": [s.name for s in specs], "bounds": bounds}


__all__ = [
    "LEVERS",
    "SHIPPED",
    "ParamSpec",
    "parameter_specs",
    "parameter_table",
    "salib_problem",
    "spec_by_name",
    "uncertain_model_parameters",
]

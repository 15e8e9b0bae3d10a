"""The policy levers: one self-contained plug-in module per lever, their registry, and the lever-author API.

Importing this package (``import inspire_sim`` always does) loads and registers the shipped levers
(:mod:`.registry`). A lever of your own is a module of your own::

    from inspire_sim.levers import Policy, PolicyParams, Role, lever, param

    class CoachingParams(PolicyParams):
        capacity: int = param(5_000, lo=0, hi=10**9, unit="real SMEs/month", role=Role.LEVER, source="...")

    @lever(CoachingParams)
    class Coaching(Policy):
        kind = "coaching"
        ...

named in a scenario as ``kind = "mymodule:Coaching"`` (see ``tests/user_levers.py`` and docs/architecture.md).

May import: :mod:`inspire_sim.core` (a lever works through the hooks of :class:`Policy` and the
world's arrays) and the base modules (:mod:`inspire_sim.errors`); nothing above (the runner,
experiments, analyses, reports, app, cli). The core never imports this package: it only reads the
registry the levers fill. Adding a lever touches no other module: see docs/architecture.md.
"""

from ..core.params import PolicyParams, Role, param
from ..core.policies import Policy, lever, register_lever, unregister_lever
from .registry import (
    LEVERS,
    SHIPPED,
    ParamSpec,
    parameter_specs,
    parameter_table,
    salib_problem,
    spec_by_name,
    uncertain_model_parameters,
)

__all__ = [
    "LEVERS",
    "SHIPPED",
    "ParamSpec",
    "Policy",
    "PolicyParams",
    "Role",
    "lever",
    "param",
    "parameter_specs",
    "parameter_table",
    "register_lever",
    "salib_problem",
    "spec_by_name",
    "uncertain_model_parameters",
    "unregister_lever",
]

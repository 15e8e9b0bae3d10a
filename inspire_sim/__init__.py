"""inspire_sim: agent-based simulation of open-innovation ecosystems of European SMEs.

Public API::

    from inspire_sim import load_scenario, run, run_batch, run_replications
    result = run(load_scenario("baseline"), seed=0)
    results = run_batch(load_scenario("baseline", n_smes=1000), seeds=[1, 2, 3])  # one vectorised batch
    result.timeseries        # one row per month, indicator columns
    salib_problem()          # SALib problem dict of the uncertain parameters (sa_range bounds)
    problem_spec(["model.search_rate"], outputs=["cooperating_share"])  # SALib ProblemSpec
"""

import importlib

# isort: off
from . import levers  # noqa: F401  (first: loads and registers the shipped levers, in every process)

# isort: on
from .analyses import problem
from .analyses.problem import problem_spec
from .core.scenario import Scenario, load_scenario
from .errors import InputError
from .levers import salib_problem
from .manifest import PACKAGE_VERSION as __version__  # noqa: F401  (the one definition is in manifest)
from .results import RunResult
from .run import run, run_batch, run_replications  # binds the functions over the submodule's name, once and for all

__all__ = [
    "InputError",
    "InspireModel",
    "RunResult",
    "Scenario",
    "load_scenario",
    "problem",
    "problem_spec",
    "run",
    "run_batch",
    "run_replications",
    "salib_problem",
]


def __getattr__(name):
    """Import the model (and Mesa) on first use, keeping the CLI quick."""
    if name == "InspireModel":
        return importlib.import_module(".core.model", __name__).InspireModel
    raise AttributeError(f"module 'inspire_sim' has no attribute {name!r}")

"""inspire_sim: agent-based simulation of open-innovation ecosystems of European SMEs.

Public API::

    from inspire_sim import load_scenario, run, run_replications
    result = run(load_scenario("baseline"), seed=0)
    result.timeseries        # one row per month, indicator columns
"""

import importlib

from .errors import InputError
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = ["InputError", "InspireModel", "RunResult", "Scenario", "load_scenario", "run", "run_replications"]

_LAZY = {
    "run": ".run",
    "run_replications": ".run",
    "RunResult": ".results",
    "InspireModel": ".model",
}


def __getattr__(name):
    """Import the heavy parts (Mesa, the model) on first use, keeping the CLI quick."""
    if name not in _LAZY:
        raise AttributeError(f"module 'inspire_sim' has no attribute {name!r}")
    mod = importlib.import_module(_LAZY[name], __name__)
    for other, where in _LAZY.items():  # importing .run set the module as `run`: bind the functions
        if where == _LAZY[name]:
            globals()[other] = getattr(mod, other)
    return globals()[name]

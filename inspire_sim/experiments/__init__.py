"""Experiments: sweeps, replications and SALib sensitivity analyses of the INSPIRE
model (or of any ``module:function`` model), on local processes or a Dask cluster,
with a resumable Parquet store.

>>> from inspire_sim.experiments import load_spec, run_sensitivity
>>> res = run_sensitivity("ishigami", "runs/ishigami", workers=2)   # doctest: +SKIP
>>> res.indices.head()                                              # doctest: +SKIP

See docs/experiments.md.
"""

from .analysis import sensitivity_indices, summarize, wide_indices
from .design import DEFAULT_MAX_RUNS, Design, build_design, check_size, run_seed, run_table
from .execute import DEFAULT_TIMEOUT, Backend, DaskBackend, LocalProcesses, Sequential, make_backend
from .spec import ExperimentSpec, Factor, Output, load_spec, spec_from_dict
from .store import RunStore
from .sweep import SweepInterrupted, SweepResult, format_summary, run_sensitivity, run_sweep

__all__ = [
    "DEFAULT_MAX_RUNS",
    "DEFAULT_TIMEOUT",
    "Backend",
    "DaskBackend",
    "Design",
    "ExperimentSpec",
    "Factor",
    "LocalProcesses",
    "Output",
    "RunStore",
    "Sequential",
    "SweepInterrupted",
    "SweepResult",
    "build_design",
    "check_size",
    "format_summary",
    "load_spec",
    "make_backend",
    "run_seed",
    "run_sensitivity",
    "run_sweep",
    "run_table",
    "sensitivity_indices",
    "spec_from_dict",
    "summarize",
    "wide_indices",
]

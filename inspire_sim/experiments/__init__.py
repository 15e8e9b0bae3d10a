"""Experiments: sweeps, replications and SALib sensitivity analyses of the INSPIRE
model (or of any ``module:function`` model), on local processes or a Dask cluster,
with a resumable Parquet store.

>>> from inspire_sim.experiments import load_spec, run_sensitivity
>>> res = run_sensitivity("ishigami", "runs/ishigami", workers=2)   # doctest: +SKIP
>>> res.indices.head()                                              # doctest: +SKIP

See docs/experiments.md. The command-line side (``inspire-sim sweep`` and ``sensitivity``) is in
:mod:`inspire_sim.cli.commands.sweep_cmd`.

May import: the runner (:mod:`inspire_sim.run`, :mod:`inspire_sim.results`,
:mod:`inspire_sim.runpool`), the levers, the core and the base modules (:mod:`inspire_sim.errors`,
:mod:`inspire_sim.outdir`, :mod:`inspire_sim.manifest`). Not the analyses (a sibling layer: neither
imports the other), reports, app or CLI. Its figures (:mod:`.plots`) receive the sweep's tables.
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

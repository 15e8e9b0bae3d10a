"""Data tables that ship with the package (no code; the lowest layer with :mod:`inspire_sim.errors`).

Reserved for the country, region and sector tables (CSV/TOML, every figure with its source). A
wheel also carries here the shipped ``scenarios/``, ``experiments/`` and ``targets/`` TOML files,
copied at build time by ``setup.py`` from the repository's top-level folders (the source of truth;
a checkout or editable install reads those directly: see :func:`inspire_sim.core.scenario.shipped_dir`).

May import: nothing of the package.
"""

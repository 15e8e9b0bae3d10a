"""The model core: parameters, scenarios, the world's arrays, the rules, the Mesa model and one run.

What lives here (one concept per module): :mod:`.params` (every parameter's single definition),
:mod:`.scenario` (TOML -> validated :class:`~.scenario.Scenario`), :mod:`.state` (enums, field
layouts), :mod:`.streams` (named random streams), :mod:`.rules` (the behavioural formulas),
:mod:`.world` (the simulated population as arrays), :mod:`.projects`, :mod:`.population` (building
the initial world), :mod:`.runparams` (per-run parameter views of a batch), :mod:`.matching`
(partner search), :mod:`.lifecycle` (upkeep, projects, stages), :mod:`.policies` (the
:class:`~.policies.Policy` base class with its hooks, and the lever registry), :mod:`.metrics`
(indicators and the recorder), :mod:`.simulation` (one month = the phases in order), :mod:`.agents`
and :mod:`.model` (the Mesa view: ``InspireModel``).

May import: :mod:`inspire_sim.errors` and :mod:`inspire_sim.data`, and nothing else of the package.
In particular the core never imports the levers (it reads the registry they fill:
``policies.LEVER_POLICIES``, ``policies.shipped_kinds()``), the runner, experiments, analyses,
reports, the app or the CLI. The package imports nothing here, so ``import inspire_sim.core.params``
does not pull Mesa in (``InspireModel`` is imported on first use).
"""

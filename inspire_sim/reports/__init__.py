"""Reports: comparisons of deployment plans and what turns results into figures and documents.

:mod:`.compare` (plans against a baseline with common random numbers: paired effects, costs,
the decision table, and the resumable store of their runs), :mod:`.report` (the comparison report:
HTML, Markdown, figures, from Jinja2 templates), :mod:`.plots` (figures of runs), :mod:`.cartogram`
(tile maps of Europe), :mod:`.pdf` (printing a report with Chromium).

May import: everything below: :mod:`inspire_sim.analyses`, :mod:`inspire_sim.experiments`
(``compare`` runs plans through the experiment runner's backends), the runner, the levers, the
core and the base modules. Never the app or the CLI. Nothing is imported here: a worker process
that only runs and stores a comparison's runs does not import the tables or matplotlib.
"""

"""Analyses of the model: evidence and decisions built on many runs.

:mod:`.patterns` (P1-P8 pattern checks), :mod:`.targets` (survey facts to calibrate against),
:mod:`.calibrate` (ABC-SMC with pyabc) and its figures :mod:`.calibrate_plots`, :mod:`.validate`
(patterns, knockouts, targets, scale, convergence) and its figures :mod:`.validate_plots`,
:mod:`.trial` (virtual lottery trials of a lever), :mod:`.robust` (plans over plausible worlds,
PRIM; posterior worlds and draws), :mod:`.goals` and :mod:`.decision` (policy goals, ranking plans),
:mod:`.problem` (SALib ``ProblemSpec``), :mod:`.ema` (the model as an EMA Workbench model),
:mod:`.plausibility` (headline figures in real units against sourced real-world references).
The HTML/Markdown templates of the validation and trial reports are in ``templates/``.

May import: the layers below (:mod:`inspire_sim.core`, :mod:`inspire_sim.levers`, the runner
:mod:`inspire_sim.run` / :mod:`inspire_sim.results` / :mod:`inspire_sim.runpool`, and the base:
:mod:`inspire_sim.errors`, :mod:`inspire_sim.outdir`, :mod:`inspire_sim.manifest`). Not the
experiments (a sibling layer: neither imports the other), reports, app or CLI. Figures modules
receive tables, never the analysis that made them. Nothing is imported here: each analysis loads
its heavy dependencies (pyabc, ema_workbench, matplotlib) when used.
"""

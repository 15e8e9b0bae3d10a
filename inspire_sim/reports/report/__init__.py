"""The comparison report: a self-contained HTML page, the same in Markdown, PNG figures.

:func:`write_report` writes into a directory::

    report.html        opens offline: CSS inline, figures embedded as base64 PNG, no JS
    report.md          the same content; figures linked from figures/
    figures/*.png      every figure as a PNG file
    *.csv, comparison.json   the tables of the comparison (Comparison.save_tables)

Figures (matplotlib ``Figure`` objects, no pyplot state): indicators over time per
scenario with 95% bands, the paired effect over time, per-country effects,
cost-effectiveness, spending over time by lever, spending by country, and the
partner type by stage heatmap of each scenario (:func:`inspire_sim.reports.plots.partner_type_by_stage`).

Modules: :mod:`.guide` (plain-language texts keyed by indicator), :mod:`.format` (numbers),
:mod:`.figures` (matplotlib figures), :mod:`.context` (what the templates show),
:mod:`.render` (Jinja2 templates ``templates/report.html.j2``, ``report.md.j2``, ``report.css``).
"""

from .context import plan_measures, report_context
from .figures import FigureInfo, make_figures
from .format import fmt_ci, fmt_effect, fmt_eur, fmt_num, fmt_ratio, fmt_rel, fmt_value
from .guide import GUIDE, UNCERTAINTY_GUIDE
from .render import render, write_report

__all__ = [
    "GUIDE",
    "UNCERTAINTY_GUIDE",
    "FigureInfo",
    "fmt_ci",
    "fmt_effect",
    "fmt_eur",
    "fmt_num",
    "fmt_ratio",
    "fmt_rel",
    "fmt_value",
    "make_figures",
    "plan_measures",
    "render",
    "report_context",
    "write_report",
]

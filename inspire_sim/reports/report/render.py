"""Rendering: the Jinja2 templates shipped in ``inspire_sim/reports/report/templates`` -> HTML and Markdown."""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Any

from ..compare import Comparison
from .context import report_context
from .figures import FigureInfo, make_figures

TEMPLATES = "templates"


def _template_text(name: str) -> str:
    from importlib.resources import files

    return files(__package__).joinpath(TEMPLATES, name).read_text(encoding="utf-8")


def md_escape(text: Any) -> str:
    """Text safe in a Markdown table cell: HTML escaped (``<``, ``>``, ``&``), pipes and newlines neutralised."""
    return _html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def render(comp: Comparison, figures: list[FigureInfo], command: str | None = None) -> tuple[str, str]:
    """(HTML, Markdown) of the report."""
    import jinja2

    ctx = report_context(comp, figures, command)
    html_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    # Markdown: every value is escaped once, on output (finalize); `| md` marks table cells in the template
    md_env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, finalize=md_escape)
    md_env.filters["md"] = str
    html = html_env.from_string(_template_text("report.html.j2")).render(css=_template_text("report.css"), **ctx)
    md = md_env.from_string(_template_text("report.md.j2")).render(**ctx)
    return html, md


def write_report(
    comp: Comparison, directory: str | Path, command: str | None = None, figures: bool = True
) -> dict[str, Path]:
    """Write report.html, report.md, figures/*.png (unless not ``figures``) and the tables into ``directory``."""
    out = Path(directory)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    made = make_figures(comp) if figures else []
    for f in made:
        (out / f.file).write_bytes(f.png)
    html, md = render(comp, made, command)
    (out / "report.html").write_text(html, encoding="utf-8")
    (out / "report.md").write_text(md, encoding="utf-8")
    comp.save_tables(out)
    return {"html": out / "report.html", "markdown": out / "report.md", "figures": out / "figures"}

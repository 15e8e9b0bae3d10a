"""Regenerate the generated tables of docs/ODD.md from the single definitions.

    .venv/bin/python scripts/gen_docs.py          # rewrite docs/ODD.md in place
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 if docs/ODD.md is stale

The parameter table comes from ``inspire_sim.levers.parameter_specs`` (the definitions of
``inspire_sim.core.params`` and of every lever); the pattern table from
``inspire_sim.analyses.patterns.MEASURES``; the indicator table from ``inspire_sim.core.metrics.INDICATORS``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspire_sim.analyses.patterns import MEASURES  # noqa: E402
from inspire_sim.core.metrics import INDICATORS  # noqa: E402
from inspire_sim.levers import parameter_specs  # noqa: E402

ODD = ROOT / "docs" / "ODD.md"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def param_table() -> str:
    rows = [
        "| parameter | default | unit | bounds | SA range | role | source | meaning |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in parameter_specs():
        bounds = f"[{_fmt(s.lo)}, {_fmt(s.hi)}]" if s.lo is not None or s.hi is not None else ""
        sa = f"[{_fmt(s.sa_range[0])}, {_fmt(s.sa_range[1])}]" if s.sa_range else ""
        rows.append(
            "| "
            + " | ".join(
                _cell(x) for x in (f"`{s.name}`", _fmt(s.default), s.unit, bounds, sa, s.role, s.source, s.doc)
            )
            + " |"
        )
    return "\n".join(rows)


def pattern_table() -> str:
    rows = ["| pattern | measure | band | meaning | mechanism | knockout |", "|---|---|---|---|---|---|"]
    for m in MEASURES:
        ko = ", ".join(f"`{k} = {v}`" for k, v in m.knockout.items())
        band = f"[{_fmt(m.lo)}, {_fmt(m.hi)}]"
        rows.append(f"| {m.pattern} | `{m.name}` | {band} | {_cell(m.meaning)} | {_cell(m.mechanism)} | {ko} |")
    return "\n".join(rows)


def indicator_table() -> str:
    rows = ["| indicator | unit | meaning |", "|---|---|---|"]
    for ind in INDICATORS.values():
        rows.append(f"| `{ind.name}` | {ind.unit} | {_cell(ind.meaning)} |")
    return "\n".join(rows)


TABLES = {"params": param_table, "patterns": pattern_table, "indicators": indicator_table}


def _escape(table: str) -> str:
    """``table`` as a literal in a regex replacement (backslashes doubled)."""
    return table.replace("\\", "\\\\")


def render(text: str) -> str:
    for name, fn in TABLES.items():
        pat = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.S)
        if not pat.search(text):
            raise SystemExit(f"docs/ODD.md lacks the markers for the {name} table")
        text = pat.sub(rf"\g<1>{_escape(fn())}\n\g<2>", text)
    return text


if __name__ == "__main__":
    current = ODD.read_text()
    new = render(current)
    if "--check" in sys.argv:
        if new != current:
            print("docs/ODD.md is stale: run .venv/bin/python scripts/gen_docs.py")
            sys.exit(1)
        print("docs/ODD.md is up to date")
    else:
        ODD.write_text(new)
        print("docs/ODD.md regenerated")

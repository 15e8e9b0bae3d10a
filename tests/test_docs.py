"""docs/ODD.md's generated tables match the code's single definitions, and the modules it names exist."""

import subprocess
import sys
from pathlib import Path

import pytest
from test_layers import _exists, named_modules

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a fresh interpreter regenerates the ODD tables (~4 s)
def test_odd_tables_are_current():
    out = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_odd_has_all_seven_elements_and_points_at_modules():
    text = (ROOT / "docs" / "ODD.md").read_text()
    for heading in (
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
    ):
        assert heading in text
    for module in (
        "params.py",
        "scenario.py",
        "agents.py",
        "rules.py",
        "matching.py",
        "policies.py",
        "model.py",
        "lifecycle.py",
        "streams.py",
        "patterns.py",
        "world.py",
        "population.py",
        "trial.py",
        "levers/",
    ):
        assert module in text, module


DOCS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS)
def test_docs_name_only_modules_that_exist(doc):
    """Every ``inspire_sim/...`` path and ``inspire_sim.x.y`` name in the README and docs/*.md exists."""
    names = named_modules((ROOT / doc).read_text(encoding="utf-8"))
    assert [n for n in names if not _exists(n)] == []

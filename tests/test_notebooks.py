"""The teaching notebooks: stored without outputs, public API only, each runs (nbclient) and
shows what it promises, each has an exercise with a solution, and the rendered HTML students read
(docs/notebooks/, made by notebooks/render.py) is up to date.

No test reads the clock: a cell still running after ``TIME_LIMIT_S`` is stopped (a guard against
a hang, not a measurement); how long each notebook takes is measured by
``benchmarks/bench_notebooks.py``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
RENDERED = NOTEBOOKS.parent / "docs" / "notebooks"
NAMES = ["01_first_run", "02_policy_levers", "03_sensitivity"]
TIME_LIMIT_S = 120
PRIVATE = re.compile(
    r"\bfrom inspire_sim\.(?:core\.)?(model|matching|lifecycle|rules|policies|projects|streams|agents)\b"
    r"|\binspire_sim(?:\.\w+)+\._"
)


def _read(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _execute(name: str):
    nb = _read(name)
    client = nbclient.NotebookClient(
        nb, timeout=TIME_LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell (or one over the time limit)
    return nb


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts.append(data.get("text/plain", ""))
            parts.append(data.get("text/html", ""))
    return "\n".join(parts)


def _images(nb) -> int:
    return sum("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_clean_and_uses_the_public_api(name):
    nb = _read(name)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: stored with outputs"
            assert not PRIVATE.search(cell.source), f"{name}: uses a private module: {cell.source[:80]}"


def test_01_draws_stage_on_its_own_axis():
    [cell] = [c for c in _read("01_first_run").cells if c.cell_type == "code" and "failed_this_step" in c.source]
    assert "cat.codes / 3" not in cell.source  # not squeezed onto the confidence axis
    assert "subplots(2, 1" in cell.source and "set_yticks" in cell.source


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_an_exercise_with_a_solution(name):
    cells = _read(name).cells
    exercise = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "### Exercise" in c.source]
    assert exercise, f"{name}: no exercise"
    after = cells[exercise[0] + 1 :]
    assert any(c.cell_type == "code" and c.source.startswith("# Solution to the exercise") for c in after), name


@pytest.mark.parametrize("name", NAMES)
def test_rendered_notebook_is_up_to_date(name):
    """docs/notebooks/<name>.html exists, shows the exercise, its solution's output and figures,
    and was rendered from the notebook as it is now (else: run notebooks/render.py)."""
    html = (RENDERED / f"{name}.html").read_text(encoding="utf-8")
    assert "Exercise" in html and "Solution to the exercise" in html
    assert "data:image/png;base64," in html  # figures embedded: nothing to run, nothing to fetch
    assert "Traceback" not in html
    nb = _read(name)
    expected = hashlib.sha256(json.dumps([[c.cell_type, c.source] for c in nb.cells]).encode("utf-8")).hexdigest()
    recorded = json.loads((RENDERED / "sources.json").read_text())[name]
    assert recorded == expected, (
        f"{name}: the rendering is out of date: run .venv/bin/python notebooks/render.py {name}"
    )


@pytest.fixture(scope="module")
def executed():
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = _execute(name)
        return cache[name]

    return get


@pytest.mark.slow
def test_01_first_run(executed):
    nb = executed("01_first_run")
    text = _text(nb)
    assert "120 months simulated" in text
    # the survey comparison says in words where the model lies relative to the CIS band
    band = re.search(r"SMEs cooperating in the last 12 months: (\d+)% -> (inside|above|below) the survey band", text)
    assert band, text
    coop = float(band.group(1))
    assert band.group(2) == ("inside" if 10 <= coop <= 18 else "above" if coop > 18 else "below")
    assert re.search(r"innovating SMEs cooperating: \d+% -> (inside|above|below) the survey band", text)
    cross = float(re.search(r"with a foreign partner: (\d+)%", text).group(1))  # type: ignore[union-attr]
    assert 0 < coop < 100 and 0 < cross < 100
    # the followed SME failed and then tried again
    story = re.search(
        r"SME #\d+: \w+, sector \w+.*\n.*(\d+) failures.*\n.*first failure ended in month (\d+); "
        r"next project started in month (\d+)",
        text,
    )
    assert story, text
    assert int(story.group(1)) >= 1 and int(story.group(3)) > int(story.group(2))
    # outcomes only for projects that ended within the run
    journey = next(c for c in nb.cells if c.cell_type == "code" and "still running" in c.source)
    table = journey.outputs[0]["data"]["text/plain"]
    assert "failure" in table or "success" in table
    assert re.search(r"\d+ SMEs had a failed project; \d+ of them \(\d+%\) started another project", text)
    assert _images(nb) >= 5  # four model figures and the SME's journey


@pytest.mark.slow
def test_02_policy_levers(executed):
    nb = executed("02_policy_levers")
    text = _text(nb)
    # the seeds printed for both scenarios are identical (common random numbers)
    seeds = re.search(r"\{'baseline': (\[[\d, ]+\]), 'cross_border_brokering': (\[[\d, ]+\])\}", text)
    assert seeds and seeds.group(1) == seeds.group(2)
    assert "paired 95% CI" in text and "unpaired CI half-width" in text
    assert "home_bias: default" in text
    assert re.search(r"brokers cost [\d,]+ EUR a month on average; the effect is [+-][\d.]+ percentage points", text)


@pytest.mark.slow
def test_03_sensitivity(executed):
    nb = executed("03_sensitivity")
    text = _text(nb)
    assert re.search(r"36 runs, 0 failed", text)
    assert "mu_star" in text and "sigma" in text
    ranking = re.findall(r"(\w+): most influential first -> (.+)", text)
    assert {out for out, _ in ranking} == {"cross_border_share_mean", "cooperating_share_mean"}
    for _, order in ranking:
        assert len(order.split(", ")) == 5
    assert re.search(r"first: \w+ \(mu\* [\d.]+ \+- [\d.]+\); second: \w+", text)
    assert _images(nb) >= 1

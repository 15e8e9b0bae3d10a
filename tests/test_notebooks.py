"""The teaching notebooks: stored without outputs, public API only, each runs (nbclient) in
under two minutes and shows what it promises."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["01_first_run", "02_policy_levers", "03_sensitivity"]
TIME_LIMIT_S = 120
PRIVATE = re.compile(
    r"\bfrom inspire_sim\.(model|matching|lifecycle|rules|policies|projects|streams|agents)\b"
    r"|\binspire_sim\.\w+\._"
)


def _read(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _execute(name: str):
    nb = _read(name)
    client = nbclient.NotebookClient(
        nb, timeout=TIME_LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb, time.perf_counter() - start


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
    nb, seconds = executed("01_first_run")
    assert seconds < TIME_LIMIT_S
    text = _text(nb)
    assert "120 months simulated" in text
    coop = float(re.search(r"cooperating in the last 12 months: (\d+)%", text).group(1))
    cross = float(re.search(r"with a foreign partner: +(\d+)%", text).group(1))
    assert 0 < coop < 100 and 0 < cross < 100
    assert re.search(r"SME #\d+: \w+, sector \w+", text), "the followed SME is described"
    assert _images(nb) >= 5  # four model figures and the SME's journey


@pytest.mark.slow
def test_02_policy_levers(executed):
    nb, seconds = executed("02_policy_levers")
    assert seconds < TIME_LIMIT_S
    text = _text(nb)
    # the seeds printed for both scenarios are identical (common random numbers)
    seeds = re.search(r"\{'baseline': (\[[\d, ]+\]), 'cross_border_brokering': (\[[\d, ]+\])\}", text)
    assert seeds and seeds.group(1) == seeds.group(2)
    assert "paired 95% CI" in text and "unpaired CI half-width" in text
    assert "home_bias: default" in text


@pytest.mark.slow
def test_03_sensitivity(executed):
    nb, seconds = executed("03_sensitivity")
    assert seconds < TIME_LIMIT_S
    text = _text(nb)
    assert re.search(r"36 runs, 0 failed", text)
    assert "mu_star" in text and "sigma" in text
    ranking = re.findall(r"(\w+): most influential first -> (.+)", text)
    assert {out for out, _ in ranking} == {"cross_border_share_mean", "cooperating_share_mean"}
    for _, order in ranking:
        assert len(order.split(", ")) == 5
    assert _images(nb) >= 1

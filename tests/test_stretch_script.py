"""benchmarks/stretch.py: reports every month and stops cleanly at its memory limit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "stretch.py"


def _run(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "s.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--n", "600", "--months", "3", "--burn-in", "2", "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_a_small_run_reports_each_simulated_month(tmp_path):
    r = _run(tmp_path)
    assert r["status"] == "finished" and r["n_smes"] == 600 and r["burn_in"] == 2
    assert [m["month"] for m in r["months"]] == [-2, -1, 0, 1, 2]
    assert r["reporting_months_done"] == 3 and all(m["rss_gb"] > 0 for m in r["months"])
    assert 0.0 <= r["final_cooperating_share"] <= 1.0


def test_it_stops_cleanly_at_the_memory_limit(tmp_path):
    r = _run(tmp_path, "--rss-limit-gb", "0.01")
    assert r["status"].startswith("stopped: RSS") and len(r["months"]) == 1
    assert r["reporting_months_done"] == 0 and "final_cooperating_share" not in r


def test_sizes_above_the_parameter_bound_are_set_without_validation():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import stretch
    finally:
        sys.path.remove(str(SCRIPT.parent))
    scen = stretch.scaled_scenario(6_000_000, burn_in=1, steps=2)
    assert scen.params.n_smes == 6_000_000 and scen.params.burn_in == 1
    assert stretch.scaled_scenario(3_000, burn_in=None, steps=2).params.n_smes == 3_000

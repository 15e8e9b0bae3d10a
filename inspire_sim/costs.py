"""What a run will cost before it starts: SMEs at full scale, time and memory estimates, the memory check.

Issue 23: ``inspire-sim run`` prints an estimate of time and memory before anything that would take
over a minute, and refuses (one line, with the figures and the fix) when memory would not suffice.
The per-SME-month costs are calibrated on ``benchmarks/bench_scale.py`` (this 2-core machine, one
core, the baseline with the partnership log on, ``benchmarks/results/bench_scale.md``); time and
memory both grow linearly in the SMEs simulated at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECONDS_PER_SME_MONTH = 0.14e-6
"""Model time per simulated SME-month (burn-in and reporting months alike): 0.131 us measured at 1.77 M SMEs
(0.113 us at 100k), rounded up."""
SETUP_SECONDS_PER_SME = 2.0e-6
"""Building the world and the result tables, per SME (seconds): 1.66 + 0.31 us measured at 1.77 M."""
BASE_MB = 160.0
"""Interpreter, numpy/pandas/scipy and the model's tables before any SME (MB of RSS)."""
MB_PER_MILLION_SMES = 520.0
"""Peak RSS per million SMEs simulated at once, 36 + 120 months, partnership log on: the slope
100k -> 1.77 M of bench_scale (206 -> 1,030 MB: 494 MB per million; uint16 experience counts, the
final tables built from the state without copies), rounded up."""
ANNOUNCE_SECONDS = 60.0
"""Runs estimated to take longer than this print their estimate before they start."""
HEADROOM = 0.9
"""Share of the available memory a run may plan to use."""


def full_scale_smes(scenario: Any, micro: bool = False) -> int:
    """The real SMEs the scenario's countries have: 10-249 persons employed (``smes_10_249``), or with
    ``micro`` also the micro firms of 0-9 (``smes_0_249``): what ``--n-smes full`` simulates at 1:1."""
    if not micro:
        return round(sum(float(c.smes) for c in scenario.countries))
    from .core.countries import country_table

    table = country_table()
    total = 0.0
    for c in scenario.countries:
        row = table.get(c.code) if c.code else None
        total += float(row.number("smes_0_249")) if row is not None else float(c.smes)
    return round(total)


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of ``runs`` runs of ``n_smes`` SMEs x ``months`` months (``batch`` at once)."""

    n_smes: int
    months: int  # burn-in + reporting months
    runs: int
    batch: int
    seconds: float
    peak_mb: float

    def line(self) -> str:
        mins = self.seconds / 60
        when = f"~{mins:.0f} min" if mins >= 1.5 else f"~{self.seconds:.0f} s"
        return (
            f"estimate: {self.runs} run(s) x {self.n_smes:,} SMEs x {self.months} months: {when} on one core, "
            f"~{self.peak_mb / 1024:.1f} GB peak memory"
        )


def estimate(n_smes: int, months: int, runs: int = 1, batch: int = 1) -> Estimate:
    """Time (one core) and peak memory of ``runs`` runs, ``batch`` of them simulated at once."""
    at_once = n_smes * max(1, min(batch, runs))
    seconds = runs * n_smes * (months * SECONDS_PER_SME_MONTH + SETUP_SECONDS_PER_SME)
    peak = BASE_MB + MB_PER_MILLION_SMES * at_once / 1e6 * max(1.0, months / 156)
    return Estimate(n_smes, months, runs, batch, seconds, peak)


def available_mb() -> float | None:
    """Memory available to a new allocation (MB): psutil if installed, else /proc/meminfo; None if unknown."""
    try:
        import psutil

        return float(psutil.virtual_memory().available) / 2**20
    except Exception:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def memory_problem(est: Estimate, available: float | None = None) -> tuple[str, str] | None:
    """Why ``est`` would not fit in memory, as (message with the figures, fix), or None if it fits
    (or the available memory is unknown). ``available``: MB (default: :func:`available_mb`)."""
    avail = available_mb() if available is None else available
    if avail is None or est.peak_mb <= HEADROOM * avail:
        return None
    at_once = max(1, min(est.batch, est.runs))
    per_sme = MB_PER_MILLION_SMES / 1e6 * max(1.0, est.months / 156)
    fit = int(max(HEADROOM * avail - BASE_MB, 0) / per_sme / at_once)
    fix = f"simulate at most ~{fit:,} SMEs (--n-smes {fit})"
    if at_once > 1:
        fix += " or run the replications one at a time (--batch 1)"
    message = (
        f"{est.n_smes:,} SMEs x {at_once} run(s) at once need ~{est.peak_mb / 1024:.1f} GB of memory, "
        f"but only {avail / 1024:.1f} GB is available"
    )
    return message, fix

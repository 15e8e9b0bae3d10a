"""Statistics of paired replications: t-intervals, Welch intervals, the ratio bootstrap, readings of effects."""

from __future__ import annotations

import math

import numpy as np

from ...results import mean_ci

CONFIDENCE = 0.95
N_BOOT = 2000
BOOT_SALT = 0xB007


def paired_ci(diffs: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t CI of paired differences (rows = replications)."""
    return mean_ci(np.asarray(diffs, dtype="float64"), confidence, axis=0)


def welch_ci(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Welch t-interval for mean(a) - mean(b), columns independently (NaNs ignored)."""
    import warnings

    from scipy import stats

    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        na, nb = np.sum(~np.isnan(a), axis=0), np.sum(~np.isnan(b), axis=0)
        va, vb = np.nanvar(a, axis=0, ddof=1) / na, np.nanvar(b, axis=0, ddof=1) / nb
        diff = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
        se = np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        dof = np.where(se > 0, dof, np.maximum(na + nb - 2, 1))
        half = stats.t.ppf(0.5 + confidence / 2, dof) * se
    half = np.where((na >= 2) & (nb >= 2), half, np.nan)
    return diff - half, diff + half


def bootstrap_ratio(
    d_cost: np.ndarray,
    d_out: np.ndarray,
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Paired-bootstrap percentile CI of mean(d_cost) / mean(d_out) and the share of
    resamples with no gain (mean d_out <= 0, ratio = +inf)."""
    d_cost = np.asarray(d_cost, dtype="float64")
    d_out = np.asarray(d_out, dtype="float64")
    n = len(d_out)
    idx = rng.integers(0, n, size=(n_boot, n))
    c = d_cost[idx].mean(axis=1)
    g = d_out[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(g > 0, c / g, np.inf)
    ratio = np.sort(ratio)
    alpha = (1 - confidence) / 2
    lo = ratio[math.floor(alpha * n_boot)]
    hi = ratio[min(n_boot - 1, math.ceil((1 - alpha) * n_boot) - 1)]
    return float(lo), float(hi), float(np.mean(g <= 0))


def relevance_threshold(unit: str, baseline_mean: float) -> tuple[float, str]:
    """The practical-relevance threshold of an indicator's effect: (absolute size, description).

    The goals' thresholds (:data:`inspire_sim.analyses.goals.GOALS`) set the convention: shares move by at
    least ``oi_share``'s percentage points (1 pp), everything else by at least the count goals'
    share of the baseline value (5%). Spending has none (NaN): it is a cost, not an effect.
    """
    from ...analyses.goals import GOALS

    if unit.startswith("EUR"):
        return float("nan"), "n/a (a cost)"
    if unit == "share":
        pp = GOALS["oi_share"].threshold
        return pp / 100.0, f"{pp:g} pp"
    rel = GOALS["successes"].threshold
    return abs(rel * baseline_mean), f"{rel:.0%} of the baseline"


def reading(effect: float, lo: float, hi: float, threshold: float, higher_is_better: bool | None) -> str:
    """Plain words for an effect: its size against the relevance threshold and its statistical clarity.

    ``no change`` (exactly zero), ``unclear`` (the 95% CI includes 0), ``clear but small`` (the CI
    excludes 0, the effect is below the threshold), else ``clear gain`` / ``clear loss`` (or
    ``clearly higher`` / ``clearly lower`` when neither direction is better); ``n/a`` without a CI.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    if lo == 0 and hi == 0:
        return "no change"
    if lo <= 0 <= hi:
        return "unclear"
    if np.isfinite(threshold) and abs(effect) < threshold:
        return "clear but small"
    up = effect > 0
    if higher_is_better is None:
        return "clearly higher" if up else "clearly lower"
    return "clear gain" if up == higher_is_better else "clear loss"

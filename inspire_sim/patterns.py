"""Pattern-oriented checks P1-P8 (DESIGN.md §1; thresholds documented in docs/ODD.md).

:func:`check_patterns` takes the replications of one scenario and returns one row per
measure: the pooled value, the threshold and whether it holds. Each measure is computed
from the public tables of :class:`~inspire_sim.results.RunResult` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .results import RunResult

LATE = 60  # months at the end of a run over which shares are averaged (the stationary part)


@dataclass(frozen=True)
class Measure:
    pattern: str
    name: str
    meaning: str
    compute: Callable[[list[RunResult]], float]
    lo: float = -np.inf
    hi: float = np.inf

    def evaluate(self, results: list[RunResult]) -> dict[str, object]:
        value = float(self.compute(results))
        return {
            "pattern": self.pattern,
            "measure": self.name,
            "value": value,
            "lo": self.lo,
            "hi": self.hi,
            "passed": bool(self.lo <= value <= self.hi),
            "meaning": self.meaning,
        }


def _late_mean(col: str) -> Callable[[list[RunResult]], float]:
    return lambda rs: float(np.mean([r.timeseries[col].iloc[-LATE:].mean() for r in rs]))


def _final(col: str) -> Callable[[list[RunResult]], float]:
    return lambda rs: float(np.nanmean([r.timeseries[col].iloc[-1] for r in rs]))


def _resolved(rs: list[RunResult]) -> pd.DataFrame:
    return pd.concat([r.partnerships.loc[r.partnerships["resolved"]] for r in rs], ignore_index=True)


def _all_projects(rs: list[RunResult]) -> pd.DataFrame:
    return pd.concat([r.partnerships for r in rs], ignore_index=True)


def _smes(rs: list[RunResult]) -> pd.DataFrame:
    return pd.concat([r.smes for r in rs], ignore_index=True)


def _tercile_gap(col: str) -> Callable[[list[RunResult]], float]:
    """Success rate of the top tercile of ``col`` minus that of the bottom tercile."""

    def f(rs: list[RunResult]) -> float:
        df = _resolved(rs)
        lo, hi = df[col].quantile([1 / 3, 2 / 3])
        return float(df.loc[df[col] >= hi, "success"].mean() - df.loc[df[col] <= lo, "success"].mean())

    return f


def _type_share(ptype: str, stage: str) -> Callable[[list[RunResult]], float]:
    """Share of partnerships started by SMEs in ``stage`` that have a ``ptype`` partner."""

    def f(rs: list[RunResult]) -> float:
        last = pd.concat([r.timeseries.iloc[[-1]] for r in rs])
        cols = [c for c in last if c.startswith("pt_") and c.endswith(f"__{stage}")]
        total = last[cols].to_numpy().sum()
        return float(last[f"pt_{ptype}__{stage}"].sum() / total) if total else np.nan

    return f


def _diff(
    a: Callable[[list[RunResult]], float], b: Callable[[list[RunResult]], float]
) -> Callable[[list[RunResult]], float]:
    return lambda rs: a(rs) - b(rs)


def _crowd_lowest_in_commercialisation(rs: list[RunResult]) -> float:
    """Crowd share in commercialisation minus the lowest crowd share of the other stages."""
    shares = {
        st: _type_share("crowd", st)(rs) for st in ("exploration", "development", "scaling_up", "commercialisation")
    }
    return shares["commercialisation"] - min(v for k, v in shares.items() if k != "commercialisation")


def _trap_gap(rs: list[RunResult]) -> float:
    """Cross-border share of projects led by results-focused minus resource-focused SMEs."""
    df = _all_projects(rs)
    g = df.groupby("lead_resource_focus", observed=True)["cross_border"].mean()
    return float(g.get(False, np.nan) - g.get(True, np.nan))


def _resource_focus_results_ratio(rs: list[RunResult]) -> float:
    """Median business results of resource-focused / results-focused SMEs in market stages.

    Medians, because a single unicorn would dominate a mean.
    """
    s = _smes(rs)
    s = s[s["stage"].isin(["scaling_up", "commercialisation"])]
    g = s.groupby("resource_focus")["business_results"].median()
    return float(g.get(True, np.nan) / g.get(False, np.nan))


def _top_share(rs: list[RunResult]) -> float:
    return float(np.mean([r.timeseries["top1pct_business_share"].iloc[-1] for r in rs]))


def _unicorn_results_share(rs: list[RunResult]) -> float:
    """Share of all business results held by unicorn SMEs (pooled over replications)."""
    s = _smes(rs)
    return float(s.loc[s["unicorn"], "business_results"].sum() / s["business_results"].sum())


def _unicorn_population_share(rs: list[RunResult]) -> float:
    s = _smes(rs)
    return float(s["unicorn"].mean())


def _confidence_drop(rs: list[RunResult]) -> float:
    """Mean change of confidence in the month of a failure (panel SMEs)."""
    drops = []
    for r in rs:
        p = r.panel.sort_values(["sme_id", "step"])
        prev = p.groupby("sme_id")["confidence"].shift(1)
        d = (p["confidence"] - prev)[p["failed_this_step"]]
        drops.append(d.dropna().to_numpy())
    d = np.concatenate(drops)
    return float(d.mean()) if len(d) else np.nan


def _several_attempts(rs: list[RunResult]) -> float:
    """Among SMEs with a success, the share that also failed at least once."""
    s = _smes(rs)
    won = s[s["successes"] > 0]
    return float((won["failures"] > 0).mean())


def _retry_by_resilience(rs: list[RunResult]) -> tuple[float, float, float, float]:
    """Retry rate within 12 months and median months to retry, high vs low resilience tercile."""
    frames = []
    for r in rs:
        pt = r.partnerships
        starts = pt[["lead_id", "start"]].sort_values(["lead_id", "start"])
        fails = pt.loc[pt["resolved"] & ~pt["success"], ["lead_id", "end"]].sort_values("end")
        nxt = pd.merge_asof(
            fails,
            starts.rename(columns={"start": "next"}).sort_values("next"),
            left_on="end",
            right_on="next",
            by="lead_id",
            direction="forward",
            allow_exact_matches=True,
        )
        horizon = int(r.timeseries["step"].iloc[-1]) - 1
        nxt = nxt[nxt["end"] <= horizon - 12]  # failures with a full 12-month window
        nxt = nxt.merge(r.smes[["sme_id", "resilience"]], left_on="lead_id", right_on="sme_id")
        frames.append(nxt)
    df = pd.concat(frames, ignore_index=True)
    if df.empty:
        return (np.nan,) * 4
    wait = df["next"] - df["end"]
    df["retry"] = wait.le(12)
    df["wait"] = wait
    lo, hi = df["resilience"].quantile([1 / 3, 2 / 3])
    high, low = df[df["resilience"] >= hi], df[df["resilience"] <= lo]
    return (
        float(high["retry"].mean()),
        float(low["retry"].mean()),
        float(high.loc[high["retry"], "wait"].mean()),
        float(low.loc[low["retry"], "wait"].mean()),
    )


def _false_failure_rate(rs: list[RunResult]) -> float:
    df = _resolved(rs)
    failed = df[~df["success"]]
    return float(failed["false_failure"].mean()) if len(failed) else np.nan


def _false_failure_learning_ratio(rs: list[RunResult]) -> float:
    """Mean learning stock of SMEs with a false failure / of SMEs with a plain failure."""
    s = _smes(rs)
    learning = s["learn_tech"] + s["learn_soft"]
    ff = s["false_failures"] > 0
    plain = (s["failures"] > 0) & ~ff
    return float(learning[ff].mean() / learning[plain].mean())


MEASURES: list[Measure] = [
    Measure(
        "P1",
        "chemistry_formed_minus_chance",
        "Partnerships have better chemistry than the candidates met by chance",
        _diff(_final("chemistry_formed"), _final("chemistry_candidates")),
        lo=0.2,
    ),
    Measure(
        "P1",
        "success_gap_shared_vision",
        "Success rate: top minus bottom tercile of shared vision",
        _tercile_gap("vision"),
        lo=0.03,
    ),
    Measure(
        "P1",
        "success_gap_partnership_model",
        "Success rate: top minus bottom tercile of partnership-model quality",
        _tercile_gap("pm_quality"),
        lo=0.03,
    ),
    Measure(
        "P2",
        "peer_psr_share_development",
        "SME peers + PSRs' share of partnerships in development",
        lambda rs: _type_share("sme_peer", "development")(rs) + _type_share("psr", "development")(rs),
        lo=0.5,
    ),
    Measure(
        "P2",
        "large_firm_scaling_minus_development",
        "Large firms' share in scaling-up minus in development",
        _diff(_type_share("large_firm", "scaling_up"), _type_share("large_firm", "development")),
        lo=0.1,
    ),
    Measure(
        "P2",
        "large_firm_commercialisation_minus_development",
        "Large firms' share in commercialisation minus in development",
        _diff(_type_share("large_firm", "commercialisation"), _type_share("large_firm", "development")),
        lo=0.1,
    ),
    Measure(
        "P2",
        "crowd_commercialisation_minus_min_other",
        "Crowd share in commercialisation minus its lowest share elsewhere",
        _crowd_lowest_in_commercialisation,
        hi=0.0,
    ),
    Measure(
        "P3",
        "cross_border_share",
        "Share of cooperating SMEs with a partner abroad (CIS: about one third)",
        _late_mean("cross_border_share"),
        lo=0.2,
        hi=0.45,
    ),
    Measure(
        "P3",
        "cross_border_partnership_share",
        "Share of partnerships that cross a border (most are domestic)",
        lambda rs: float(_all_projects(rs)["cross_border"].mean()),
        hi=0.5,
    ),
    Measure(
        "P3",
        "trap_gap_results_minus_resource_focus",
        "Cross-border share: results-focused minus resource-focused leads",
        _trap_gap,
        lo=0.02,
    ),
    Measure(
        "P4",
        "resource_focus_results_ratio_market",
        "Business results in market stages: resource-focused / results-focused",
        _resource_focus_results_ratio,
        hi=0.5,
    ),
    Measure(
        "P4",
        "top1pct_business_share",
        "Share of business results held by the top 1% of SMEs (heavy tail)",
        _top_share,
        lo=0.1,
    ),
    Measure(
        "P4",
        "unicorn_population_share",
        "Share of SMEs that became unicorns (rare)",
        _unicorn_population_share,
        lo=0.0,
        hi=0.01,
    ),
    Measure(
        "P4",
        "unicorn_results_share",
        "Share of business results held by unicorns (large)",
        _unicorn_results_share,
        lo=0.05,
    ),
    Measure(
        "P5",
        "confidence_change_at_failure",
        "Mean change of confidence in the month of a failure",
        _confidence_drop,
        hi=-0.05,
    ),
    Measure(
        "P5",
        "successful_smes_that_failed_first",
        "Share of successful SMEs that also failed (several attempts)",
        _several_attempts,
        lo=0.2,
    ),
    Measure(
        "P5",
        "retry_gap_resilience",
        "12-month retry rate after failure: top minus bottom resilience tercile",
        lambda rs: np.subtract(*_retry_by_resilience(rs)[0:2]),
        lo=0.02,
    ),
    Measure(
        "P5",
        "retry_wait_gap_resilience",
        "Mean months to retry: top minus bottom resilience tercile (sooner)",
        lambda rs: np.subtract(*_retry_by_resilience(rs)[2:4]),
        hi=0.0,
    ),
    Measure(
        "P6",
        "false_failure_share_of_failures",
        "False failures among failed projects (rare)",
        _false_failure_rate,
        lo=0.005,
        hi=0.1,
    ),
    Measure(
        "P6",
        "false_failure_learning_ratio",
        "Learning stock: SMEs with a false failure / with plain failures",
        _false_failure_learning_ratio,
        lo=1.5,
    ),
    Measure(
        "P7",
        "partner_turnover_at_scaleup",
        "Share of trusted partners dropped on entering scaling-up",
        _final("partner_turnover_at_scaleup"),
        lo=0.2,
    ),
    Measure(
        "P7",
        "scaleup_turnover_over_annual_churn",
        "Trusted partners dropped on entering scaling-up, relative to the usual yearly turnover",
        lambda rs: _final("partner_turnover_at_scaleup")(rs) / _final("partner_churn")(rs),
        lo=5.0,
    ),
    Measure(
        "P8",
        "cooperating_share",
        "Share of SMEs cooperating in a year (CIS: 10-18%)",
        _late_mean("cooperating_share"),
        lo=0.10,
        hi=0.18,
    ),
    Measure(
        "P8",
        "cooperating_share_innovators",
        "Share of innovation-active SMEs cooperating (CIS: 26-34%)",
        _late_mean("cooperating_share_innovators"),
        lo=0.2,
        hi=0.45,
    ),
]
"""Every pattern measure with its acceptance band [lo, hi]."""


def check_patterns(results: list[RunResult]) -> pd.DataFrame:
    """Evaluate P1-P8 over replications; one row per measure with value, band and verdict."""
    if not results:
        raise ValueError("check_patterns needs at least one RunResult")
    return pd.DataFrame([m.evaluate(results) for m in MEASURES])

"""The decision table: ranking, real units, cost per additional outcome, probabilities (known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from inspire_sim.analyses.decision import decide, sentences
from inspire_sim.analyses.goals import GOALS


class Run:
    """A run whose goal values are set directly (months 1..12)."""

    def __init__(self, coop: float, cross: float, spend: float, represented: float = 1_000_000) -> None:
        steps = np.arange(1, 13)
        self.timeseries = pd.DataFrame(
            {
                "step": steps,
                "n_smes": 1000,
                "cooperating_share": coop,
                "new_cross_border": 0.0,
                "new_cross_border_real": cross / 12,
                "scaling_up_reached": 0,
                "scaling_up_reached_real": 10.0,
                "successes": 0,
                "successes_real": 5.0,
                "spend_total": spend / 12,
            }
        )
        self.manifest = {"population": {"represented_smes": {"A": represented}}}


def _results() -> dict[str, list[Run]]:
    noise = [0.0, 0.002, -0.002, 0.001]
    base = [Run(0.10 + e, 1000, 1e6) for e in noise]
    a = [Run(0.12 + e, 1100, 3e6) for e in noise]  # +2 pp, +100 partnerships, +2 M EUR
    b = [Run(0.11 + e + 0.001 * k, 1500, 2e6) for k, e in enumerate(noise)]  # +1 pp, +500
    return {"base": base, "a": a, "b": b}


def test_known_effects_costs_and_ranks() -> None:
    t = decide(_results(), "base", ["a", "b"]).set_index(["goal", "plan"])
    oi_a = t.loc[("oi_share", "a")]
    assert oi_a["rank"] == 1 and oi_a["effect"] == pytest.approx(2.0)
    # +2 pp of 1,000,000 real SMEs = 20,000 more SMEs doing OI for 2 M EUR: EUR 100 each
    assert oi_a["cost_per_additional"] == pytest.approx(100.0)
    assert oi_a["p_beats_baseline"] == 1.0 and oi_a["clear"] and oi_a["relevant"]
    # a - b = 1.0, 0.9, 0.8, 0.7 pp: t = 13.2 on 3 degrees of freedom
    assert oi_a["next_plan"] == "b" and oi_a["p_beats_next"] == pytest.approx(
        stats.t.cdf(0.85 / (0.1291 / 2), 3), abs=1e-4
    )
    cb = t.loc[("cross_border", "b")]
    assert cb["rank"] == 1 and cb["effect"] == pytest.approx(500.0)
    assert cb["cost_per_additional"] == pytest.approx(1e6 / 500)
    # a copy of the baseline buys nothing: no cost per unit, no better than a coin
    same = decide({"base": _results()["base"], "twin": _results()["base"]}, "base", ["twin"])
    assert same["cost_per_additional"].isna().all() and (same["p_beats_baseline"] == 0).all()
    assert not same["clear"].any()
    assert set(same["goal"]) == set(GOALS)


def test_columns_and_sentences() -> None:
    t = decide(_results(), "base", ["a", "b"])
    expected = [
        "goal",
        "plan",
        "rank",
        "effect",
        "effect_low",
        "effect_high",
        "cost_per_additional",
        "p_beats_baseline",
    ]
    assert all(c in t.columns for c in expected)
    text = " ".join(sentences(t))
    assert "a ranks first of 2" in text and "EUR 100 per additional SME doing OI" in text
    assert "b ranks first" in text  # cross-border partnerships


def test_unpaired_input_is_refused() -> None:
    r = _results()
    r["a"] = r["a"][:2]
    with pytest.raises(ValueError, match="paired"):
        decide(r, "base", ["a"])


def test_probability_agrees_with_the_interval() -> None:
    from inspire_sim.analyses.decision import p_positive

    d = np.array([0.5, -0.1, 0.9, 0.2])  # all but one positive: the 95% CI includes zero
    lo = d.mean() - stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert lo < 0 and 0.5 < p_positive(d) < 0.975
    assert p_positive(np.array([1.0, 1.0])) == 1.0 and p_positive(np.zeros(3)) == 0.0
    # the interval's lower bound at zero is exactly 97.5%
    shifted = d - lo
    assert p_positive(shifted) == pytest.approx(0.975)

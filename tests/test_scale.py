"""Answers do not depend on the number of simulated SMEs (population scale, issue 8 §1).

Paired replications at 1,000 and 4,000 simulated SMEs: the baseline's shares agree within
0.015 and the paired effect of the innovation-vouchers plan (twice today's vouchers, about
+0.7 percentage points of cooperating SMEs) within 0.004. Budgets and capacities are
real units scaled to the simulated population; with absolute budgets (the old model) the
plan's effect was about ten times larger at the smaller size, so this test fails then.
The 2,000 vs 20,000 measurement is in benchmarks/results/scale_check.json.
"""

from __future__ import annotations

import numpy as np
import pytest

import inspire_sim as I

pytestmark = pytest.mark.slow  # 24 runs at up to 4,000 SMEs (~20 s): make test, not the fast tier

R, WINDOW = 6, 36


def late(runs, col):
    return np.array([r.timeseries[col].iloc[-WINDOW:].mean() for r in runs])


@pytest.fixture(scope="module")
def measured():
    out = {}
    for n in (1000, 4000):
        kw = dict(n_smes=n, steps=72)
        base = I.run_replications(I.load_scenario("baseline", **kw), R, seed=4, record_partnerships=False)
        plan = I.run_replications(I.load_scenario("innovation_vouchers", **kw), R, seed=4, record_partnerships=False)
        out[n] = {
            "cooperating_share": late(base, "cooperating_share").mean(),
            "cross_border_share": late(base, "cross_border_share").mean(),
            "effect_cooperating": (late(plan, "cooperating_share") - late(base, "cooperating_share")).mean(),
            "real_partnerships": late(base, "new_partnerships_real").mean(),
        }
    return out


@pytest.mark.parametrize(("key", "tolerance"), [("cooperating_share", 0.015), ("effect_cooperating", 0.004)])
def test_shares_and_paired_effects_agree_across_sizes(measured, key, tolerance):
    a, b = measured[1000][key], measured[4000][key]
    assert abs(a - b) < tolerance, f"{key}: {a:.4f} at 1,000 SMEs vs {b:.4f} at 4,000"


def test_cross_border_share_finite_size_deviation_is_bounded(measured):
    """Known limitation: at 1,000 SMEs the EU-27's small countries and 242 regions have very few simulated
    actors (about 4 SMEs a region), so domestic encounters repeat the same actors and the cross-border share
    is overstated (about +0.045 at 1,000 vs 4,000 SMEs). Encounters never hit the seeker itself, a repeated
    actor stands for another real one, every country has every partner type, and fractional capacities
    accrue as tokens (issue 20): at 2,000 vs 20,000 the gap fell from 0.054 to 0.021 (4 replications;
    issue 20 asks for 0.015). Bounded here, not solved."""
    a, b = measured[1000]["cross_border_share"], measured[4000]["cross_border_share"]
    assert abs(a - b) < 0.06, f"cross_border_share: {a:.4f} at 1,000 SMEs vs {b:.4f} at 4,000"


def test_plan_effect_is_not_trivially_zero(measured):
    assert measured[1000]["effect_cooperating"] > 0.003 and measured[4000]["effect_cooperating"] > 0.003


def test_real_unit_counts_agree_across_sizes(measured):
    a, b = measured[1000]["real_partnerships"], measured[4000]["real_partnerships"]
    assert abs(a - b) / b < 0.1

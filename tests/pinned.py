"""The pinned baseline: what is pinned, and how it is computed (shared with scripts/update_baseline.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import inspire_sim as I

PINNED_FILE = Path(__file__).resolve().parent / "data" / "pinned_baseline.json"
SEED, N_SMES, STEPS = 0, 1000, 60


def pinned_values() -> dict[str, float]:
    """Final indicators, column sums of the time series and partnership-log statistics."""
    r = I.run(I.load_scenario("baseline", n_smes=N_SMES, steps=STEPS), seed=SEED)
    ts = r.timeseries
    out = {f"final.{k}": float(v) for k, v in ts.iloc[-1].items() if np.isfinite(v)}
    out.update(
        {
            f"sum.{k}": float(ts[k].sum())
            for k in ("new_partnerships", "new_cross_border", "successes", "failures", "exits")
        }
    )
    pt = r.partnerships
    out["partnerships.count"] = float(len(pt))
    out["partnerships.mean_p_success"] = float(pt["p_success"].mean())
    out["smes.sum_cash"] = float(r.smes["cash"].sum())
    return out

"""Analysis of a finished sweep: per-point summaries and SALib sensitivity indices.

All functions return tidy (long) DataFrames.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .design import Design
from .spec import ExperimentSpec


def summarize(runs: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Per design point and output: runs, ok runs, invalid runs (NaN/inf outputs), and the
    mean, sd and a t-interval of the mean over the ok runs."""
    from scipy.special import stdtrit  # the t quantile (what scipy.stats.t.ppf computes), without importing stats

    level = spec.design.conf_level
    ok = runs[runs["status"] == "ok"]
    factors = spec.factor_names
    n_runs = runs.groupby("point_id").size().rename("n_runs")
    n_invalid = (runs["status"] == "invalid").groupby(runs["point_id"]).sum().rename("n_invalid")
    rows = []
    for out in spec.output_names:
        g = ok.groupby("point_id")[out]
        agg = pd.DataFrame({"n_ok": g.count(), "mean": g.mean(), "sd": g.std(ddof=1)})
        agg = agg.reindex(n_runs.index)
        agg["n_ok"] = agg["n_ok"].fillna(0).astype(int)
        sem = agg["sd"] / np.sqrt(agg["n_ok"].where(agg["n_ok"] > 0))
        tq = pd.Series(stdtrit(np.maximum(agg["n_ok"] - 1, 1), 0.5 + level / 2), index=agg.index)
        agg["ci_low"] = agg["mean"] - tq * sem
        agg["ci_high"] = agg["mean"] + tq * sem
        agg["output"] = out
        rows.append(agg.join(n_runs).join(n_invalid).reset_index())
    table = pd.concat(rows, ignore_index=True)
    pts = runs.drop_duplicates("point_id")[["point_id", *factors]]
    table = table.merge(pts, on="point_id", how="left")
    cols = ["point_id", *factors, "output", "n_runs", "n_ok", "n_invalid", "mean", "sd", "ci_low", "ci_high"]
    return table[cols]


def point_means(runs: pd.DataFrame, output: str, n_points: int) -> np.ndarray:
    """Mean of an output per design point over its ok replications (NaN where none)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point_id")[output].mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def sensitivity_indices(runs: pd.DataFrame, spec: ExperimentSpec, design: Design) -> tuple[pd.DataFrame, list[str]]:
    """Sobol' (S1, ST, optional S2) or Morris (mu, mu*, sigma) indices, tidy.

    Columns: output, method, index, factor, factor2 (S2 only), value, conf (half-width
    of the ``conf_level`` interval; mu_star only for Morris). With replications the
    model output of a point is the mean over its replications. Returns the table and
    notes (outputs skipped because runs failed).
    """
    d = spec.design
    if d.kind not in ("sobol", "morris"):
        raise ValueError(f"design {d.kind!r} has no sensitivity indices; use sobol or morris")
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    names = spec.factor_names
    for out in spec.output_names:
        y = point_means(runs, out, design.n_points)
        bad = int(np.isnan(y).sum())
        if bad:
            notes.append(
                f"{out}: skipped, {bad} design point(s) have no successful run "
                "(use --retry-failed, or fix the failing runs)"
            )
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if d.kind == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(
                    design.problem,
                    y,
                    calc_second_order=d.second_order,
                    num_resamples=d.num_resamples,
                    conf_level=d.conf_level,
                    seed=spec.seed,
                )
                for i, f in enumerate(names):
                    for idx in ("S1", "ST"):
                        rows.append(
                            {
                                "output": out,
                                "method": "sobol",
                                "index": idx,
                                "factor": f,
                                "factor2": None,
                                "value": float(si[idx][i]),
                                "conf": float(si[f"{idx}_conf"][i]),
                            }
                        )
                if d.second_order:
                    for i in range(len(names)):
                        for j in range(i + 1, len(names)):
                            rows.append(
                                {
                                    "output": out,
                                    "method": "sobol",
                                    "index": "S2",
                                    "factor": names[i],
                                    "factor2": names[j],
                                    "value": float(si["S2"][i, j]),
                                    "conf": float(si["S2_conf"][i, j]),
                                }
                            )
            else:
                from SALib.analyze import morris

                si = morris.analyze(
                    design.problem,
                    design.unit,
                    y,
                    num_resamples=d.num_resamples,
                    conf_level=d.conf_level,
                    num_levels=d.num_levels,
                    seed=spec.seed,
                )
                for i, f in enumerate(names):
                    for idx in ("mu", "mu_star", "sigma"):
                        conf = float(si["mu_star_conf"][i]) if idx == "mu_star" else np.nan
                        rows.append(
                            {
                                "output": out,
                                "method": "morris",
                                "index": idx,
                                "factor": f,
                                "factor2": None,
                                "value": float(si[idx][i]),
                                "conf": conf,
                            }
                        )
    cols = ["output", "method", "index", "factor", "factor2", "value", "conf"]
    return pd.DataFrame(rows, columns=cols), notes


def wide_indices(indices: pd.DataFrame) -> pd.DataFrame:
    """One row per output x factor: S1, S1_conf, ST, ST_conf (or mu, mu_star, mu_star_conf, sigma)."""
    first = indices[indices["index"] != "S2"]
    if first.empty:
        return first
    val = first.pivot_table(index=["output", "factor"], columns="index", values="value", sort=False)
    conf = first.pivot_table(index=["output", "factor"], columns="index", values="conf", sort=False)
    conf = conf.dropna(axis=1, how="all").add_suffix("_conf")
    out = val.join(conf).reset_index()
    order = [c for c in ("S1", "S1_conf", "ST", "ST_conf", "mu", "mu_star", "mu_star_conf", "sigma") if c in out]
    return out[["output", "factor", *order]]

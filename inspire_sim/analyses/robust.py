"""Robustness of deployment plans across plausible worlds, and scenario discovery with PRIM.

:func:`robust` evaluates a baseline and plans in N *worlds*: sets of values of the model's
uncertain parameters, drawn by Latin hypercube over each parameter's ``sa_range`` or from a
calibration posterior (``posterior.parquet`` of ``inspire-sim calibrate``). In world ``w``
every scenario gets the same parameters and the same seed (``streams.replicate_seed(seed, w)``),
so a plan's effect in that world is a paired difference (common random numbers).

For each goal (:mod:`inspire_sim.analyses.goals`) it reports

- *satisficing*: the share of worlds in which a plan's effect meets the goal's threshold;
- *regret*: in each world, how far a plan's effect falls short of the best plan's; its mean,
  90th percentile and maximum over worlds;
- *scenario discovery*: EMA Workbench's PRIM finds boxes of assumptions (ranges of a few
  parameters) in which a plan misses its goal, with coverage (share of all misses inside the
  box) and density (share of worlds inside the box that are misses).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import ParamSpec
from ..core.scenario import Scenario, load_scenario
from ..core.streams import RandomStreams, replicate_seed
from ..errors import InputError
from ..levers import uncertain_model_parameters
from ..runpool import run_batched
from .goals import GOALS, goal_values

MIN_DENSITY = 0.7  # PRIM: the reported box has at least this density ...
MAX_DIMS = 3  # ... restricting at most this many parameters (a box a person can read and act on) ...
MIN_LIFT = 0.15  # ... and a density at least this much above the share of misses over all worlds
MIN_CASES = 3  # PRIM needs at least this many misses and this many hits


@dataclass
class RobustResult:
    """Runs, worlds and the tables of a robustness analysis."""

    worlds: pd.DataFrame  # world, then one column per uncertain parameter
    runs: pd.DataFrame  # world, plan, goal values, spend_eur
    effects: pd.DataFrame  # world, plan, goal effects (plan - baseline), extra spend
    thresholds: dict[str, float]
    baseline: str
    plans: list[str]
    source: str  # "latin hypercube over sa_range" or the posterior folder
    satisficing: pd.DataFrame = field(default_factory=pd.DataFrame)
    regret: pd.DataFrame = field(default_factory=pd.DataFrame)
    boxes: pd.DataFrame = field(default_factory=pd.DataFrame)
    prim: dict[tuple[str, str], Any] = field(default_factory=dict)  # (plan, goal) -> (PrimBox, index)


def latin_worlds(n: int, seed: int, specs: Sequence[ParamSpec] | None = None) -> pd.DataFrame:
    """``n`` worlds by Latin hypercube over the ``sa_range`` of ``specs`` (default: every uncertainty)."""
    from scipy.stats import qmc

    specs = list(specs) if specs is not None else uncertain_model_parameters()
    rng = RandomStreams(seed).get("robust:worlds")
    unit = qmc.LatinHypercube(d=len(specs), rng=rng).random(n)
    ranges = np.array([s.sa_range for s in specs], dtype=np.float64)
    lo, hi = ranges[:, 0], ranges[:, 1]
    worlds = pd.DataFrame(lo + unit * (hi - lo), columns=[s.name for s in specs])
    worlds.insert(0, "world", np.arange(n, dtype=np.int64))
    return worlds


def posterior_worlds(folder: str | Path, n: int, seed: int) -> pd.DataFrame:
    """``n`` worlds drawn by weight from a calibration posterior (``posterior.parquet``)."""
    path = Path(folder) / "posterior.parquet"
    if not path.is_file():
        raise InputError(
            "has no posterior.parquet", source=str(folder), field="--posterior",
            fix="give the --out folder of inspire-sim calibrate",
        )  # fmt: skip
    post = pd.read_parquet(path)
    w = post.pop("weight").to_numpy(dtype=float)
    rng = RandomStreams(seed).get("robust:posterior")
    idx = rng.choice(len(post), size=n, replace=True, p=w / w.sum())
    worlds = post.iloc[idx].reset_index(drop=True).astype("float64")
    worlds.insert(0, "world", np.arange(n, dtype=np.int64))
    return worlds


def posterior_median(folder: str | Path) -> dict[str, float]:
    """The posterior medians of a calibration folder: its ``calibrated.toml`` ``[model]`` values, as
    dotted overrides (``{"model.home_bias": 0.62}``). One-line :class:`InputError` without it."""
    import tomllib

    path = Path(folder) / "calibrated.toml"
    if not path.is_file():
        raise InputError(
            "has no calibrated.toml (the posterior medians)",
            source=str(folder),
            field="--posterior",
            fix="give the --out folder of inspire-sim calibrate",
        )
    model = tomllib.loads(path.read_text(encoding="utf-8")).get("model", {})
    return {f"model.{k}": v for k, v in model.items()}


def posterior_draws(folder: str | Path, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter draws (dotted overrides) from a calibration posterior, by weight
    (:func:`posterior_worlds`); draw ``r`` goes to replication ``r`` (of ``compare`` and ``trial``)."""
    worlds = posterior_worlds(folder, n, seed).drop(columns="world")
    return [{k: float(v) for k, v in row.items()} for row in worlds.to_dict("records")]


def _world_runs(
    cells: list[tuple[int, str, Scenario, dict[str, float], int]],
    replications: int,
    steps: int | None,
    batch: int | str | None,
    workers: int | None,
    progress: Any,
) -> pd.DataFrame:
    """Goal values of each (world, plan) cell: the mean over ``replications`` runs. Each cell x
    replicate is one run; the runs go to :func:`~inspire_sim.runpool.run_batched` (a cell's
    replicates, then the plans of the same world, next to each other)."""
    jobs = []
    for _, _, scen, values, seed in cells:
        world_scen = scen.with_overrides(values)
        jobs += [(world_scen, replicate_seed(seed, r)) for r in range(replications)]
    vals = run_batched(
        jobs,
        steps=steps,
        record_partnerships=False,
        reduce=goal_values,
        batch=batch,
        workers=workers,
        progress=progress,
    )
    rows = []
    for i, (world, label, *_) in enumerate(cells):
        mine = vals[i * replications : (i + 1) * replications]
        rows.append({"world": world, "plan": label, **{k: float(np.mean([v[k] for v in mine])) for k in mine[0]}})
    return pd.DataFrame(rows)


def _check_same_population(base: Scenario, plan: Scenario, label: str) -> None:
    same = (
        base.params.n_smes == plan.params.n_smes
        and [c.name for c in base.countries] == [c.name for c in plan.countries]
        and base.countries == plan.countries
    )
    if not same:
        raise InputError(
            "simulates another population than the baseline (SMEs or countries differ)",
            source=label,
            field="countries / n_smes",
            fix="give plans that extend the baseline and change only [[policies]]",
        )


def robust(
    baseline: str | Path | Scenario,
    plans: Sequence[str | Path | Scenario],
    *,
    worlds: int = 40,
    posterior: str | Path | None = None,
    seed: int = 0,
    replications: int = 1,
    steps: int | None = None,
    n_smes: int | None = None,
    thresholds: dict[str, float] | None = None,
    workers: int | None = None,
    progress: Any = None,
    batch: int | str | None = "auto",
) -> RobustResult:
    """Evaluate ``plans`` against ``baseline`` in ``worlds`` plausible worlds; tables and PRIM boxes.

    Args:
        baseline, plans: scenarios (names, files or :class:`Scenario`); plans must simulate the
            baseline's population (same SMEs and countries).
        worlds: how many worlds; ``posterior``: draw them from a calibration folder instead of a
            Latin hypercube over ``sa_range``.
        seed: root seed; world ``w`` runs with ``streams.replicate_seed(seed, w)``.
        replications: runs averaged per scenario and world (less simulation noise).
        steps, n_smes: months and simulated SMEs (default: the scenarios').
        thresholds: goal thresholds overriding the defaults in :data:`inspire_sim.analyses.goals.GOALS`.
        workers: local processes (default all cores).
        progress: called with the number of runs finished (worlds x scenarios x replications in all).
        batch: runs per batch (``"auto"``, N, or 1 = no batching; :func:`~inspire_sim.run.resolve_batch`);
            results do not depend on it.
    """
    if isinstance(worlds, bool) or not isinstance(worlds, int) or worlds < 4:
        raise InputError(f"must be a whole number of 4 or more (got {worlds!r})", field="--worlds", fix="give 4+")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be 1 or more (got {replications!r})", field="--replications", fix="give 1+")
    if not plans:
        raise InputError("no plan given", field="PLAN", fix="name at least one plan scenario after the baseline")
    from ..run import check_batch

    check_batch(batch)
    overrides = {"n_smes": n_smes} if n_smes is not None else {}
    base = baseline if isinstance(baseline, Scenario) else load_scenario(baseline, **overrides)
    scens = [p if isinstance(p, Scenario) else load_scenario(p, **overrides) for p in plans]
    labels = [s.name for s in scens]
    if len(set(labels)) != len(labels) or base.name in labels:
        raise InputError("plan names must differ from each other and from the baseline", field="PLAN")
    for s in scens:
        _check_same_population(base, s, s.name)
    table = posterior_worlds(posterior, worlds, seed) if posterior else latin_worlds(worlds, seed)
    names = [c for c in table.columns if c != "world"]
    cells = []
    for _, row in table.iterrows():
        values = {n: float(row[n]) for n in names}
        world_seed = replicate_seed(seed, int(row["world"]))
        for label, scen in [(base.name, base), *zip(labels, scens, strict=True)]:
            cells.append((int(row["world"]), label, scen, values, world_seed))
    runs = _world_runs(cells, replications, steps, batch, workers, progress)
    result = RobustResult(
        worlds=table,
        runs=runs,
        effects=effects_table(runs, base.name, labels),
        thresholds={g: (thresholds or {}).get(g, GOALS[g].threshold) for g in GOALS},
        baseline=base.name,
        plans=labels,
        source=(f"posterior {posterior}" if posterior else "Latin hypercube over the parameters' sa_range")
        + f", {replications} replication(s) per scenario and world",
    )
    result.satisficing = satisficing_table(result)
    result.regret = regret_table(result)
    result.boxes = discover(result)
    return result


def effects_table(runs: pd.DataFrame, baseline: str, plans: list[str]) -> pd.DataFrame:
    """Per world and plan: goal values minus the baseline's in the same world, and extra spend."""
    cols = [*GOALS, "spend_eur"]
    base = runs[runs["plan"] == baseline].set_index("world")[cols]
    parts = []
    for p in plans:
        d = runs[runs["plan"] == p].set_index("world")[cols] - base
        rel = d[list(GOALS)] / base[list(GOALS)].where(base[list(GOALS)] != 0)
        d = d.join(rel.add_suffix("_relative"))
        d.insert(0, "plan", p)
        parts.append(d.reset_index())
    return pd.concat(parts, ignore_index=True)


def meets(result: RobustResult, goal: str) -> pd.Series:
    """Whether each (world, plan) effect meets the goal's threshold (a boolean Series)."""
    g = GOALS[goal]
    col = f"{goal}_relative" if g.relative else goal
    return result.effects[col].fillna(-np.inf) >= result.thresholds[goal]


def satisficing_table(result: RobustResult) -> pd.DataFrame:
    """Share of worlds in which each plan meets each goal."""
    rows = []
    for goal, g in GOALS.items():
        ok = meets(result, goal)
        for p in result.plans:
            sel = result.effects["plan"] == p
            rows.append(
                {
                    "plan": p,
                    "goal": goal,
                    "goal_label": g.label,
                    "threshold": g.describe_threshold(result.thresholds[goal]),
                    "share_of_worlds_meeting": float(ok[sel].mean()),
                    "worlds": int(sel.sum()),
                    "median_effect": float(result.effects.loc[sel, goal].median()),
                    "unit": g.unit,
                }
            )
    return pd.DataFrame(rows)


def regret_table(result: RobustResult) -> pd.DataFrame:
    """Regret per plan and goal: best plan's effect in a world minus this plan's (0 = best there)."""
    rows = []
    for goal, g in GOALS.items():
        wide = result.effects.pivot(index="world", columns="plan", values=goal)[result.plans]
        best = wide.max(axis=1)
        for p in result.plans:
            reg = best - wide[p]
            rows.append(
                {
                    "plan": p,
                    "goal": goal,
                    "unit": g.unit,
                    "mean_regret": float(reg.mean()),
                    "p90_regret": float(reg.quantile(0.9)),
                    "max_regret": float(reg.max()),
                    "share_of_worlds_best": float((reg <= 1e-12).mean()),
                }
            )
    return pd.DataFrame(rows)


def choose_box(traj: pd.DataFrame, base_rate: float) -> int:
    """The box on the peeling trajectory that best explains misses with at most MAX_DIMS restrictions.

    A box explains misses when its density is at least MIN_DENSITY and MIN_LIFT above ``base_rate``
    (the share of misses over all worlds); among those, the one with the highest coverage + density
    (both matter equally). Without such a box: the densest readable box.
    """
    readable = traj[traj["res_dim"] <= MAX_DIMS]
    dense = readable[readable["density"] >= max(MIN_DENSITY, base_rate + MIN_LIFT)]
    if len(dense):
        return int((dense["coverage"] + dense["density"]).idxmax())
    pool = readable if len(readable) else traj
    return int(pool["density"].idxmax())


def _restricted(box_lims: pd.DataFrame, init: pd.DataFrame) -> list[tuple[str, float, float, bool, bool]]:
    out = []
    for col in box_lims.columns:
        lo, hi = float(box_lims[col].iloc[0]), float(box_lims[col].iloc[1])
        lo0, hi0 = float(init[col].iloc[0]), float(init[col].iloc[1])
        if lo > lo0 or hi < hi0:
            out.append((col, lo, hi, lo > lo0, hi < hi0))
    return out


def discover(result: RobustResult) -> pd.DataFrame:
    """PRIM boxes of assumptions in which each plan misses each goal (EMA Workbench)."""
    from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = result.worlds.drop(columns="world").astype("float64").reset_index(drop=True)
    rows = []
    for goal in GOALS:
        ok = meets(result, goal)
        for p in result.plans:
            sel = (result.effects["plan"] == p).to_numpy()
            misses = ~ok[sel].to_numpy()
            order = result.effects.loc[sel, "world"].to_numpy()
            y = np.zeros(len(x), dtype=bool)
            y[order] = misses
            base = {"plan": p, "goal": goal, "miss_share": float(y.mean())}
            if y.sum() < MIN_CASES or (~y).sum() < MIN_CASES:
                rows.append({**base, "box": 0, "coverage": np.nan, "density": np.nan, "restricted": "",
                             "note": "too few misses or hits to discover a box", "explains": False})  # fmt: skip
                continue
            alg = prim.Prim(x, y, mass_min=0.05)
            box = alg.find_box()
            traj = box.peeling_trajectory
            i = choose_box(traj, float(y.mean()))
            box.select(i)
            result.prim[(p, goal)] = (box, i)
            lims = _restricted(box.box_lims[i], alg.box_init)
            rows.append(
                {
                    **base,
                    "box": i,
                    "coverage": float(traj.loc[i, "coverage"]),
                    "density": float(traj.loc[i, "density"]),
                    "restricted": "; ".join(f"{n} in [{lo:.4g}, {hi:.4g}]" for n, lo, hi, _, _ in lims),
                    "note": describe_limits(lims),
                    "explains": bool(traj.loc[i, "density"] >= max(MIN_DENSITY, float(y.mean()) + MIN_LIFT)),
                }
            )
    return pd.DataFrame(rows)


def describe_limits(lims: list[tuple[str, float, float, bool, bool]]) -> str:
    """Plain words for restricted dimensions: 'search rate below 0.031 and home bias above 0.61'."""
    parts = []
    for name, lo, hi, lo_cut, hi_cut in lims:
        label = name.removeprefix("model.").replace("_", " ")
        if lo_cut and hi_cut:
            parts.append(f"{label} between {lo:.3g} and {hi:.3g}")
        elif lo_cut:
            parts.append(f"{label} above {lo:.3g}")
        else:
            parts.append(f"{label} below {hi:.3g}")
    return " and ".join(parts) if parts else "no restriction"


def reading(result: RobustResult) -> list[str]:
    """Plain-language sentences: how often each plan meets each goal, and where it misses."""
    out = []
    n = len(result.worlds)
    for _, b in result.boxes.iterrows():
        g = GOALS[b["goal"]]
        head = (
            f"{b['plan']} misses '{g.label}' ({g.describe_threshold(result.thresholds[b['goal']])}) "
            f"in {b['miss_share']:.0%} of {n} worlds."
        )
        if np.isnan(b["coverage"]):
            out.append(
                head + (" It meets it almost everywhere." if b["miss_share"] < 0.5 else " It almost never meets it.")
            )
        elif b["explains"]:
            out.append(
                f"{head} Most misses happen when {b['note']}: {b['density']:.0%} of the worlds there are misses "
                f"(density), and they hold {b['coverage']:.0%} of all misses (coverage)."
            )
        else:
            out.append(
                f"{head} No simple set of assumptions explains the misses: the clearest box ({b['note']}) "
                f"has {b['density']:.0%} misses against {b['miss_share']:.0%} overall. They look spread across worlds "
                "(or are simulation noise); "
                "more worlds or replications may sharpen this."
            )
    return out


def write_outputs(result: RobustResult, out: str | Path, *, figures: bool = True) -> dict[str, Path]:
    """CSV tables, PRIM figures and a Markdown report with the plain-language reading."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "worlds": out / "worlds.csv",
        "runs": out / "runs.csv",
        "effects": out / "effects.csv",
        "satisficing": out / "satisficing.csv",
        "regret": out / "regret.csv",
        "prim_boxes": out / "prim_boxes.csv",
        "report": out / "robust.md",
    }
    for key in ("worlds", "runs", "effects", "satisficing", "regret"):
        getattr(result, key).to_csv(paths[key], index=False)
    result.boxes.rename(columns={"restricted": "restricted_dimensions"}).to_csv(paths["prim_boxes"], index=False)
    figs: list[str] = []
    if figures:
        import matplotlib.pyplot as plt

        (out / "figures").mkdir(exist_ok=True)
        for (plan, goal), (box, i) in result.prim.items():
            stem = f"prim_{_slug(plan)}_{goal}"
            fig = box.show_tradeoff()
            fig.savefig(out / "figures" / f"{stem}_tradeoff.png", dpi=110, bbox_inches="tight")
            plt.close(fig)
            got = box.inspect(i, style="graph")[0]
            fig2 = got[0] if isinstance(got, tuple) else got
            fig2.savefig(out / "figures" / f"{stem}_limits.png", dpi=110, bbox_inches="tight")
            plt.close(fig2)
            figs += [f"figures/{stem}_tradeoff.png", f"figures/{stem}_limits.png"]
    paths["report"].write_text(_markdown(result, figs), encoding="utf-8")
    return paths


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


def _markdown(result: RobustResult, figs: list[str]) -> str:
    sat = result.satisficing.pivot(index="plan", columns="goal", values="share_of_worlds_meeting")
    lines = [
        f"# Robustness of plans against {result.baseline}",
        "",
        f"{len(result.worlds)} plausible worlds ({result.source}); in each world every plan and the baseline ran with "
        "the same parameters and seed, so effects are paired differences.",
        "",
        "## Share of worlds in which each plan meets each goal",
        "",
        "| plan | "
        + " | ".join(f"{GOALS[g].label} ({GOALS[g].describe_threshold(result.thresholds[g])})" for g in GOALS)
        + " |",
        "|---|" + "---:|" * len(GOALS),
    ]
    for p in result.plans:
        lines.append(f"| {p} | " + " | ".join(f"{sat.loc[p, g]:.0%}" for g in GOALS) + " |")
    lines += ["", "## Where plans miss their goals (PRIM scenario discovery)", ""]
    lines += [f"- {s}" for s in reading(result)]
    lines += [
        "",
        "## Regret (best plan's effect in a world minus this plan's; lower is better)",
        "",
        "| plan | goal | mean | 90th percentile | max | share of worlds where best |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for _, r in result.regret.iterrows():
        lines.append(
            f"| {r['plan']} | {GOALS[r['goal']].label} ({r['unit']}) | {r['mean_regret']:.3g} | {r['p90_regret']:.3g} "
            f"| {r['max_regret']:.3g} | {r['share_of_worlds_best']:.0%} |"
        )
    if figs:
        lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figs]
    lines += ["", "Tables: worlds.csv, runs.csv, effects.csv, satisficing.csv, regret.csv, prim_boxes.csv.", ""]
    return "\n".join(lines)

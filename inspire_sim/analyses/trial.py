"""Virtual randomised trials of a lever: a lottery among eligible applicants, with a CRN twin.

``run_trial(scenario, "support_funding", share=0.5, replications=10, seed=0)`` runs, for
each replicate ``r`` (seed ``streams.replicate_seed(seed, r)``), two worlds that share
every random number (common random numbers):

* **the trial**: during the lever's window, the SMEs that would be served (applicants:
  vouchers' applicants, searching SMEs reaching a broker or matchmaker, eligible SMEs of a
  coaching or recovery programme) are drawn by lottery into *treatment* (served, within
  capacity and budget) or *control* (never served); an SME keeps its group for the whole
  trial (drawn from its id, stream ``lottery:<index>``). This is how innovation-voucher
  lotteries and RCTs are run (SOURCES.md: the Netherlands 2004-05, the UK 2015).
* **the twin**: the same world, where the lottery's treatment group is not served either.

Uptake (``uptake.csv``, one row per lever and replicate, shares of the awarded services):
an SME *awarded* the service in the trial has *used* it if the award led to a project
within the lever's use window (a voucher co-funded a project; an introduction became a
partnership; a coached or supported SME started a project within 12 months). A used
award is *additional* if the same SME (same slot, same random numbers) started no project
in that window in the twin, and *deadweight* if it did; *unused* awards led to no project.
So ``take_up = additionality + deadweight`` and ``unused = 1 - take_up``. ``awarded`` is
in real services (simulated awards times the mean weight).

Effects (``effects.csv``): treated minus control SMEs of the trial, per SME, for projects
started, successful projects, cross-border partnerships and reaching scaling-up within
12, 24 and 60 months of the first lottery draw (only SMEs drawn early enough to be
followed that long), mean over replications with a 95% t-interval over replications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.policies import LEVER_POLICIES, Lottery, resolve_kind
from ..core.scenario import Scenario, load_scenario
from ..core.state import NO_STEP
from ..core.streams import replicate_seed
from ..errors import InputError, unknown_key_fix
from ..run import resolve_batch

HORIZONS = (12, 24, 60)
OUTCOMES = {
    "projects_started": "OI projects started (per SME)",
    "successful_projects": "OI projects started that succeeded (per SME)",
    "cross_border_partnerships": "cross-border OI projects started (per SME)",
    "reached_scaling_up": "share of SMEs entering scaling-up",
}


@dataclass
class TrialResult:
    """Uptake and effects of a virtual trial (see the module docstring)."""

    scenario: str
    lever: str
    share: float
    replications: int
    seed: int
    steps: int
    uptake: pd.DataFrame
    effects: pd.DataFrame
    per_replicate: pd.DataFrame = field(repr=False)
    manifest: dict[str, Any] = field(default_factory=dict)


def scenario_levers(scen: Scenario) -> list[str]:
    """The lever kinds of ``scen``'s policies, in file order, once each."""
    return list(dict.fromkeys(resolve_kind(p.kind) for p in scen.policies))


def check_lever(scen: Scenario, lever: str) -> str:
    """The registered kind of ``lever`` if the scenario has it and it serves SMEs; else one InputError."""
    present = scenario_levers(scen)
    try:
        kind = resolve_kind(lever)
    except InputError:
        kind = lever
    if kind not in present:
        listed = ", ".join(present) if present else "none"
        raise InputError(
            f"scenario {scen.name!r} has no {lever!r} measure (its levers: {listed})",
            field="--lever",
            fix=unknown_key_fix(lever, present) if present else "choose a scenario with policies",
        )
    if not LEVER_POLICIES[kind].serves_smes:
        raise InputError(f"{kind} does not serve individual SMEs", field="--lever", fix="choose another lever")
    return kind


@dataclass
class _Run:
    """One simulated world of a trial, seen as a single run: its lever policies (lotteries and
    take-up over its own SME slots), its project starts (slots of this run) and final SME state."""

    lotteries: list[Lottery]
    use_windows: list[int]
    starts: pd.DataFrame
    entered_scaling: np.ndarray
    mean_weight: float


def _simulate(
    scens: list[Scenario], kind: str, seeds: list[int], share: float, withhold: bool, steps: int
) -> list[_Run]:
    """Each (scenario, seed) world with a lottery on the lever's measures, after the burn-in.

    The worlds run as one batch when the scenario's levers are batchable (each run as it runs
    alone: the lottery draws, budgets and take-up are per run), else one at a time.
    """
    from ..core.simulation import Simulation
    from ..run import batchable

    if len(seeds) > 1 and not batchable(scens[0]):
        return [r for s, x in zip(scens, seeds, strict=True) for r in _simulate([s], kind, [x], share, withhold, steps)]
    sim = Simulation(scens, seeds, record_partnerships=True)
    sim.burn_in()  # the lottery is drawn in reporting months only
    w = sim.world
    pols = [p for p in w.policies if p.kind == kind]
    for pol in pols:
        pol.lottery = Lottery.for_smes(w.n, share, withhold)
    for _ in range(steps):
        sim.step()
    book = w.projects
    parts = [*book._log, book.running]
    lead = np.concatenate([p["lead"] for p in parts]).astype(np.int64)
    columns = {
        "start": np.concatenate([p["start"] for p in parts]).astype(np.int64),
        "success": np.concatenate([p["success"] for p in parts]),
        "cross_border": np.concatenate([p["cross_border"] for p in parts]),
    }
    run_of = w.sme_run[lead]
    out = []
    for r in range(w.runs):
        rows = w.sme_rows(r)
        mine = run_of == r
        starts = pd.DataFrame({"lead": lead[mine] - rows.start, **{k: v[mine] for k, v in columns.items()}})
        out.append(
            _Run(
                lotteries=[_lottery_rows(pol.lottery, rows) for pol in pols if pol.lottery is not None],
                use_windows=[p.use_window for p in pols],
                starts=starts[starts["start"] >= 0],
                entered_scaling=w.sme.entered_scaling[rows].astype(np.int64),
                mean_weight=w.mean_weight,
            )
        )
    return out


def _lottery_rows(lot: Lottery, rows: slice) -> Lottery:
    """The lottery of the SME slots ``rows`` (one run of a batch), slots numbered from 0."""
    return Lottery(
        share=lot.share,
        withhold=lot.withhold,
        group=lot.group[rows],
        first=lot.first[rows],
        awarded_at=lot.awarded_at[rows],
        used_any=lot.used_any[rows],
    )


def _merge_lotteries(lotteries: list[Lottery]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One group / first draw / first award / used per SME over the lever's measures (first measure wins)."""
    group = np.zeros(len(lotteries[0].group), dtype=np.int8)
    first = np.full(len(group), NO_STEP, dtype=np.int64)
    awarded = np.full(len(group), NO_STEP, dtype=np.int64)
    used = np.zeros(len(group), dtype=bool)
    for lot in lotteries:
        take = (group == 0) & (lot.group > 0)
        group[take], first[take] = lot.group[take], lot.first[take]
        fresh = (awarded == NO_STEP) & (lot.awarded_at != NO_STEP)
        awarded[fresh] = lot.awarded_at[fresh]
        used |= lot.used_any
    return group, first, awarded, used


def _project_within(starts: pd.DataFrame, rows: np.ndarray, t0: np.ndarray, window: int) -> np.ndarray:
    """Whether each SME slot ``rows[i]`` started a project in months ``[t0[i], t0[i] + window]``."""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    df = pd.DataFrame({"lead": rows, "t0": t0, "i": np.arange(len(rows))})
    m = df.merge(starts[["lead", "start"]], on="lead")
    hit = m[(m["start"] >= m["t0"]) & (m["start"] <= m["t0"] + window)]["i"].unique()
    out = np.zeros(len(rows), dtype=bool)
    out[hit] = True
    return out


def _effects(
    entered: np.ndarray, starts: pd.DataFrame, group: np.ndarray, first: np.ndarray, steps: int
) -> list[dict[str, Any]]:
    rows = []
    for h in HORIZONS:
        idx = np.flatnonzero((group > 0) & (first != NO_STEP) & (first + h <= steps))
        if len(idx) == 0:
            continue
        df = pd.DataFrame({"lead": idx, "t0": first[idx]})
        m = df.merge(starts, on="lead")
        m = m[(m["start"] >= m["t0"]) & (m["start"] < m["t0"] + h)]
        agg = m.groupby("lead").agg(
            projects_started=("start", "size"),
            successful_projects=("success", "sum"),
            cross_border_partnerships=("cross_border", "sum"),
        )
        per = pd.DataFrame(index=idx).join(agg).fillna(0.0)
        per["reached_scaling_up"] = ((entered[idx] >= first[idx]) & (entered[idx] < first[idx] + h)).astype(float)
        treated = group[idx] == 1
        for outcome in OUTCOMES:
            vals = per[outcome].to_numpy(dtype=float)
            rows.append(
                {
                    "outcome": outcome,
                    "horizon_months": h,
                    "treated_mean": float(vals[treated].mean()) if treated.any() else np.nan,
                    "control_mean": float(vals[~treated].mean()) if (~treated).any() else np.nan,
                    "n_treated": int(treated.sum()),
                    "n_control": int((~treated).sum()),
                }
            )
    return rows


def _replicate_rows(
    kind: str, r: int, trial: _Run, twin: _Run, steps: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Uptake (one row) and effects (rows by outcome and horizon) of replicate ``r``."""
    group, first, awarded_at, used = _merge_lotteries(trial.lotteries)
    awarded = np.flatnonzero((group == 1) & (awarded_at != NO_STEP))
    window = max(max(trial.use_windows), 0)
    in_twin = _project_within(twin.starts, awarded, awarded_at[awarded], window)
    n = len(awarded)
    u = used[awarded]
    uptake = {
        "lever": kind,
        "replicate": r,
        "awarded": round(n * trial.mean_weight),
        "take_up": float(u.mean()) if n else np.nan,
        "additionality": float((u & ~in_twin).mean()) if n else np.nan,
        "deadweight": float((u & in_twin).mean()) if n else np.nan,
        "unused": float((~u).mean()) if n else np.nan,
    }
    effects = [
        {"replicate": r, **row, "effect": row["treated_mean"] - row["control_mean"]}
        for row in _effects(trial.entered_scaling, trial.starts, group, first, steps)
    ]
    return uptake, effects


def run_trial(
    scenario: Scenario | str | Path,
    lever: str,
    *,
    share: float = 0.5,
    replications: int = 10,
    seed: int = 0,
    steps: int | None = None,
    progress: Callable[[int], Any] | None = None,
    posterior: str | Path | None = None,
    batch: int | str | None = "auto",
) -> TrialResult:
    """Run a virtual lottery trial of ``lever`` in ``scenario`` (see the module docstring).

    ``posterior`` (the ``--out`` folder of ``inspire-sim calibrate``): replicate ``r`` (trial and twin)
    runs with posterior draw ``r`` (``robust.posterior_draws``), so ``ci_low``/``ci_high`` are
    total intervals (noise and parameters). The trial is also run at the posterior median
    (``calibrated.toml``): ``effects`` gains ``effect_median_world, noise_ci_low, noise_ci_high``
    (noise-only interval) and ``p_positive`` (probability over the draws that the effect is
    positive, :func:`inspire_sim.analyses.decision.p_positive`).

    ``batch`` (the execution setting, :func:`inspire_sim.run.resolve_batch`): the replicates'
    trial worlds run this many at a time as one batch, and so do their twins; results do not
    depend on it.
    """
    from scipy import stats

    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    draws: list[dict[str, float]] | None = None
    noise: TrialResult | None = None
    if posterior is not None:
        from .robust import posterior_draws, posterior_median

        median = posterior_median(posterior)
        draws = posterior_draws(posterior, replications, seed)
    kind = check_lever(scen, lever)
    if not 0.0 < share < 1.0:
        raise InputError(f"must be between 0 and 1 (exclusive), got {share}", field="--share", fix="e.g. --share 0.5")
    if replications < 2:
        raise InputError(
            f"needs at least 2 replications for confidence intervals, got {replications}",
            field="--replications",
            fix="give --replications 2 or more",
        )
    if posterior is not None:
        noise = run_trial(
            scen.with_overrides(median),
            kind,
            share=share,
            replications=replications,
            seed=seed,
            steps=steps,
            batch=batch,
        )
    n_steps = steps if steps is not None else scen.params.steps
    size = resolve_batch(batch, scen.params.n_smes)
    uptake_rows, effect_rows = [], []
    for first_rep in range(0, replications, size):
        reps = list(range(first_rep, min(first_rep + size, replications)))
        seeds = [replicate_seed(seed, r) for r in reps]
        worlds = [scen.with_overrides(draws[r]) if draws is not None else scen for r in reps]
        trials = _simulate(worlds, kind, seeds, share, withhold=False, steps=n_steps)
        twins = _simulate(worlds, kind, seeds, share, withhold=True, steps=n_steps)
        for r, trial, twin in zip(reps, trials, twins, strict=True):
            uptake, effects = _replicate_rows(kind, r, trial, twin, n_steps)
            uptake_rows.append(uptake)
            effect_rows.extend(effects)
            if progress is not None:
                progress(1)
    per_rep = pd.DataFrame(effect_rows)
    summary = []
    if len(per_rep):
        for (outcome, h), g in per_rep.groupby(["outcome", "horizon_months"], sort=False):
            d = g["effect"].dropna().to_numpy()
            k = len(d)
            mean = float(d.mean()) if k else np.nan
            half = float(stats.t.ppf(0.975, k - 1) * d.std(ddof=1) / np.sqrt(k)) if k > 1 else np.nan
            summary.append(
                {
                    "outcome": outcome,
                    "horizon_months": int(h),
                    "treated_mean": float(g["treated_mean"].mean()),
                    "control_mean": float(g["control_mean"].mean()),
                    "effect": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "replications": k,
                }
            )
    effects = pd.DataFrame(
        summary,
        columns=[
            "outcome",
            "horizon_months",
            "treated_mean",
            "control_mean",
            "effect",
            "ci_low",
            "ci_high",
            "replications",
        ],
    )
    manifest: dict[str, Any] = {"scenario": scen.to_dict(), "lever": kind, "share": share, "seed": seed}
    manifest["steps"] = n_steps
    if noise is not None:
        effects = _with_noise_only(effects, noise.effects, per_rep, seed)
        manifest["posterior"] = {"folder": str(posterior), "median": median, "draws": draws}
    return TrialResult(
        scenario=scen.name,
        lever=kind,
        share=share,
        replications=replications,
        seed=seed,
        steps=n_steps,
        uptake=pd.DataFrame(uptake_rows),
        effects=effects,
        per_replicate=per_rep,
        manifest=manifest,
    )


def _with_noise_only(effects: pd.DataFrame, noise: pd.DataFrame, per_rep: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``effects`` (over posterior draws) plus the noise-only interval at the median and P(effect > 0)."""
    from .decision import p_positive

    key = ["outcome", "horizon_months"]
    med = noise.set_index(key)[["effect", "ci_low", "ci_high"]]
    med.columns = ["effect_median_world", "noise_ci_low", "noise_ci_high"]
    out = effects.join(med, on=key)
    p = {k: p_positive(g["effect"].dropna().to_numpy(dtype=float)) for k, g in per_rep.groupby(key, sort=False)}
    out["p_positive"] = [p.get((o, h), np.nan) for o, h in zip(out["outcome"], out["horizon_months"], strict=True)]
    return out


# ---------------------------------------------------------------------------------- outputs
def _figures(res: TrialResult, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(12, 3.2), squeeze=False)
    for ax, outcome in zip(axes[0], OUTCOMES, strict=True):
        e = res.effects[res.effects["outcome"] == outcome]
        ax.errorbar(
            e["horizon_months"],
            e["effect"],
            yerr=[e["effect"] - e["ci_low"], e["ci_high"] - e["effect"]],
            fmt="o-",
            capsize=4,
            color="#1f5f8b",
        )
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_title(outcome.replace("_", " "), fontsize=9)
        ax.set_xlabel("months after the draw")
        ax.set_xticks(list(HORIZONS))
    axes[0][0].set_ylabel("treated − control")
    fig.suptitle(f"{res.lever}: effect of winning the lottery (95% CI over {res.replications} replications)")
    fig.tight_layout()
    fig.savefig(out / "effects.png", dpi=110)
    plt.close(fig)
    names.append("effects.png")
    u = res.uptake[["additionality", "deadweight", "unused"]].mean()
    fig, ax = plt.subplots(figsize=(6, 2.0))
    left = 0.0
    for label, colour in (("additionality", "#2a9d8f"), ("deadweight", "#e9c46a"), ("unused", "#bbbbbb")):
        ax.barh([0], [u[label]], left=left, color=colour, label=f"{label} {u[label]:.0%}")
        left += float(u[label]) if np.isfinite(u[label]) else 0.0
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("share of awarded services")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "uptake.png", dpi=110)
    plt.close(fig)
    names.append("uptake.png")
    return names


PUBLISHED: dict[str, dict[str, tuple[str, ...]]] = {
    "support_funding": {
        "take_up": (
            "nl_vouchers_cpb_2006_redemption",
            "nl_vouchers_cpb_2007_redemption_2005",
            "at_innoscheck_redemption",
        ),
        "additionality": ("nl_vouchers_cpb_2006", "nl_vouchers_cpb_2007_additionality_2005"),
        "deadweight": ("nl_vouchers_cpb_2006_deadweight",),
    }
}
"""Published evaluations each uptake measure of a lever is compared with (ids of references.toml).

Besides these, two figures are derived from them: deadweight of the Dutch 2005 round = its redemption
(0.85) minus its additionality (0.65), and *unused* = 1 - redemption of each evaluation."""

DERIVED_DEADWEIGHT = ("nl_vouchers_cpb_2007_redemption_2005", "nl_vouchers_cpb_2007_additionality_2005")


def published_comparison(res: TrialResult, confidence: float = 0.95) -> pd.DataFrame:
    """Each uptake measure with its 95% CI over replications next to the published evaluations' range.

    One row per measure (``take_up, additionality, deadweight, unused``) for levers that have
    published evaluations (:data:`PUBLISHED`; vouchers): model mean, t-interval over replications,
    the published low and high, the figures and their sources, and ``reading``: *within* (the mean
    lies in the published range), *overlaps* (only the CI reaches it), *above* or *below*.
    Empty for a lever without published evaluations.
    """
    from scipy import stats

    from .plausibility import load_references

    ids = PUBLISHED.get(res.lever)
    if not ids or res.uptake.empty:
        return pd.DataFrame()
    refs = load_references()
    figures: dict[str, list[tuple[float, str]]] = {
        k: [(refs[i].value, refs[i].cite()) for i in v] for k, v in ids.items()
    }
    red, add = (refs[i] for i in DERIVED_DEADWEIGHT)
    figures["deadweight"].append((red.value - add.value, f"derived: {red.id} {red.value:g} - {add.id} {add.value:g}"))
    figures["unused"] = [(1.0 - v, f"derived: 1 - {src.split(':')[0]}") for v, src in figures["take_up"]]
    rows = []
    for measure in ("take_up", "additionality", "deadweight", "unused"):
        x = res.uptake[measure].dropna().to_numpy(dtype="float64")
        n = len(x)
        mean = float(x.mean()) if n else np.nan
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        lo, hi = mean - half, mean + half
        vals = [v for v, _ in figures[measure]]
        p_lo, p_hi = min(vals), max(vals)
        if p_lo <= mean <= p_hi:
            reading = "within"
        elif np.isfinite(half) and lo <= p_hi and hi >= p_lo:
            reading = "overlaps"
        else:
            reading = "above" if mean > p_hi else "below"
        rows.append(
            {
                "measure": measure,
                "model": mean,
                "ci_low": lo,
                "ci_high": hi,
                "published_low": p_lo,
                "published_high": p_hi,
                "published": "; ".join(f"{v:.2f}" for v in vals),
                "sources": " | ".join(src for _, src in figures[measure]),
                "reading": reading,
            }
        )
    return pd.DataFrame(rows)


def write_trial(res: TrialResult, out: Path, figures: bool = True) -> list[Path]:
    """Write ``uptake.csv``, ``effects.csv``, figures and the HTML and Markdown reports into ``out``."""
    import json

    from jinja2 import Environment, PackageLoader, select_autoescape

    out.mkdir(parents=True, exist_ok=True)
    res.uptake.to_csv(out / "uptake.csv", index=False)
    res.effects.to_csv(out / "effects.csv", index=False)
    published = published_comparison(res)
    if len(published):
        published.to_csv(out / "published.csv", index=False)
    (out / "manifest.json").write_text(json.dumps(res.manifest, indent=2, default=str) + "\n")
    figs = _figures(res, out) if figures else []
    env = Environment(
        loader=PackageLoader("inspire_sim.analyses", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    mean = res.uptake[["take_up", "additionality", "deadweight", "unused"]].mean()
    ctx = {
        "res": res,
        "outcomes": OUTCOMES,
        "uptake_mean": mean,
        "awarded_mean": float(res.uptake["awarded"].mean()),
        "effects": res.effects.to_dict("records"),
        "uptake_rows": res.uptake.to_dict("records"),
        "published": published.to_dict("records"),
        "figures": figs,
    }
    written = [out / "uptake.csv", out / "effects.csv", out / "manifest.json", *(out / f for f in figs)]
    if len(published):
        written.append(out / "published.csv")
    for name, template in (("report.html", "trial.html.j2"), ("report.md", "trial.md.j2")):
        (out / name).write_text(env.get_template(template).render(**ctx))
        written.append(out / name)
    return written


__all__ = [
    "HORIZONS",
    "OUTCOMES",
    "PUBLISHED",
    "TrialResult",
    "check_lever",
    "published_comparison",
    "run_trial",
    "scenario_levers",
    "write_trial",
]

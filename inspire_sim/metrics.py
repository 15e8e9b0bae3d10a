"""Named indicators (unit, meaning) and the pattern checks P1-P8.

:data:`INDICATORS` is the contract for the columns of ``RunResult.timeseries``; the
model's observation phase fills exactly these. :func:`check_patterns` evaluates the
patterns of DESIGN.md over replications of a scenario (thresholds in docs/ODD.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .agents import PartnerType, Stage
from .levers import SHIPPED
from .policies import resolve_kind
from .world import MonthEvents, World


@dataclass(frozen=True)
class Indicator:
    """One column of ``RunResult.timeseries``.

    ``extensive`` indicators count SMEs, projects or stocks of the simulated population;
    each has a twin ``<name>_real`` in real-population units: the value times the mean
    weight (real SMEs per simulated SME, ``World.mean_weight``). Shares, rates and means
    need no twin: they are the same in both units. Spending (``spend_*``) is already in
    real EUR.
    """

    name: str
    unit: str
    meaning: str
    higher_is_better: bool | None = None
    extensive: bool = False


def _ind(
    name: str, unit: str, meaning: str, better: bool | None = None, extensive: bool = False
) -> tuple[str, Indicator]:
    return name, Indicator(name, unit, meaning, better, extensive)


REAL_SUFFIX = "_real"
"""Suffix of an extensive indicator's twin in real-population units (value x mean weight)."""


def _spend(kind: str) -> tuple[str, Indicator]:
    return _ind(f"spend_{kind}", "EUR/month", f"Real EUR spent by the {kind.replace('_', ' ')} lever this month")


_BASE: dict[str, Indicator] = dict(
    [
        _ind("n_smes", "SMEs", "SMEs alive this month", extensive=True),
        _ind(
            "oi_active_share", "share", "Share of SMEs in an OI project this month (as lead or as a peer partner)", True
        ),
        _ind(
            "cooperating_share",
            "share",
            "Share of SMEs that cooperated in an OI project in the last 12 months (CIS 'cooperating')",
            True,
        ),
        _ind(
            "cross_border_share",
            "share",
            "Share of cooperating SMEs (12 months) with a partner in another country",
            True,
        ),
        _ind("new_partnerships", "projects/month", "OI projects started this month", True, True),
        _ind("new_cross_border", "projects/month", "Cross-border OI projects started this month", True, True),
        _ind("successes", "projects/month", "Projects that ended in success this month", True, True),
        _ind("failures", "projects/month", "Projects that ended in failure this month", False, True),
        _ind("project_success_rate", "share", "Successes / resolved projects over the last 12 months", True),
        _ind("mean_confidence", "0-1", "Mean confidence in collaboration of SMEs", True),
        _ind("abandoned_share", "share", "Share of SMEs that gave up OI after failure (they do not search)", False),
        _ind(
            "retry_rate_after_failure",
            "share",
            "Share of failures (resolved so far) followed by a new project of the same SME within the retry window",
            True,
        ),
        _ind(
            "cooperating_share_innovators",
            "share",
            "Share of innovation-active SMEs that cooperated in the last 12 months (CIS: 26-34%)",
            True,
        ),
        _ind("chemistry_formed", "chemistry", "Mean personal chemistry of the partnerships formed so far"),
        _ind(
            "chemistry_candidates",
            "chemistry",
            "Mean personal chemistry of all candidate pairs met so far (the chance level)",
        ),
        _ind(
            "partner_turnover_at_scaleup",
            "share",
            "Share of trusted partners dropped by SMEs on entering scaling-up, so far",
        ),
        _ind(
            "partner_churn",
            "share/year",
            "Share of trusted partners replaced per year outside stage transitions, so far",
        ),
        _ind(
            "false_failures",
            "projects",
            "False failures so far (failed, but with a large learning jump)",
            extensive=True,
        ),
        *[_ind(f"share_{s.label}", "share", f"Share of SMEs in the {s.label.replace('_', '-')} stage") for s in Stage],
        *[
            _ind(
                f"pt_{p.label}__{s.label}",
                "projects",
                f"Projects started so far with a {p.label.replace('_', ' ')} partner "
                f"by an SME in {s.label.replace('_', '-')}",
                extensive=True,
            )
            for p in PartnerType
            for s in Stage
        ],
        _ind(
            "scaling_up_reached",
            "SMEs",
            "SMEs that have entered scaling-up so far (including those that moved on)",
            True,
            True,
        ),
        _ind("business_results_total", "result units", "Sum of business results of living SMEs", True, True),
        _ind("top1pct_business_share", "share", "Share of business results held by the top 1% of SMEs"),
        _ind("unicorns", "SMEs", "Heavy-tailed (unicorn) outcomes so far", True, True),
        _ind(
            "focus_switches",
            "SMEs",
            "Resource-focused SMEs that switched to business results on entering scaling-up, so far",
            extensive=True,
        ),
        _ind("mean_learning", "skill units", "Mean learning stock (technical + soft skills)", True),
        _ind(
            "exits",
            "SMEs/month",
            "SMEs that ran out of cash this month (each replaced by an entrant)",
            False,
            True,
        ),
    ]
)


def _real_twins(base: dict[str, Indicator]) -> dict[str, Indicator]:
    return {
        f"{k}{REAL_SUFFIX}": Indicator(
            f"{k}{REAL_SUFFIX}", f"real {ind.unit}", f"{ind.meaning} (real population)", ind.higher_is_better
        )
        for k, ind in base.items()
        if ind.extensive
    }


def _uptake(kind: str) -> dict[str, Indicator]:
    text = kind.replace("_", " ")
    return dict(
        [
            _ind(
                f"awarded_{kind}", "services/month", f"Services awarded by the {text} lever this month", extensive=True
            ),
            _ind(
                f"take_up_{kind}",
                "share",
                f"Share of the {text} lever's services awarded so far that led to a project (its use window)",
            ),
        ]
    )


def indicators_for(levers: list[str] | tuple[str, ...] = ()) -> dict[str, Indicator]:
    """The indicator registry for a run whose scenario uses ``levers`` (kinds; user levers add columns)."""
    kinds = list(dict.fromkeys([*SHIPPED, *levers]))
    lever_inds: dict[str, Indicator] = {}
    for k in kinds:
        lever_inds.update(_uptake(k))
    return {
        **_BASE,
        **dict(_spend(k) for k in kinds),
        "spend_total": Indicator("spend_total", "EUR/month", "Real EUR spent by all levers this month"),
        **lever_inds,
        **_real_twins({**_BASE, **lever_inds}),
    }


INDICATORS: dict[str, Indicator] = indicators_for()
"""The indicators of a run of the shipped levers (``RunResult.timeseries`` columns after ``step``)."""


def real_name(name: str) -> str:
    """The column of ``name`` in real-population units: ``<name>_real`` for extensive indicators, else ``name``.

    Shares and rates are the same in both units; spending is already real EUR. Use it to
    turn a count into real units, e.g. for EUR per additional outcome.
    """
    if name.startswith(("awarded_",)) or (name in _BASE and _BASE[name].extensive):
        return f"{name}{REAL_SUFFIX}"
    return name


COUNTRY_INDICATORS = (
    "cooperating_share",
    "cross_border_share",
    "new_partnerships",
    "successes",
    "failures",
    "scaling_up_reached",
    "business_results_total",
    "spend_total",
)
"""Columns of ``RunResult.countries`` (besides ``step`` and ``country``)."""


class Recorder:
    """Computes the indicators of each reporting month from the world and the month's events.

    It only reads: state changes (activity stamps, counters) happen in the phases.
    """

    WINDOW = 12  # months: the CIS reference period for "cooperating" (an indicator definition)

    def __init__(self, world: World) -> None:
        self.world = world
        self.kinds = list(dict.fromkeys([*SHIPPED, *(resolve_kind(p.spec.kind) for p in world.policies)]))
        self.columns = list(indicators_for(self.kinds))
        self.policy_lever = np.array(
            [self.kinds.index(resolve_kind(p.spec.kind)) for p in world.policies], dtype=np.int64
        )
        self.rows: list[dict[str, float]] = []
        self.latest: dict[str, float] = {}
        self.country_rows: list[np.ndarray] = []
        self.spend_rows: list[np.ndarray] = []
        self.panel_rows: list[dict[str, np.ndarray]] = []
        self._resolved: list[tuple[int, int]] = []
        self._chem_sum = 0.0  # candidate chemistry over reporting months
        self._chem_n = 0
        self._awarded = np.zeros(len(self.kinds))  # services awarded so far, by lever kind
        self._used = np.zeros(len(self.kinds))  # of which used
        self._extensive = [k for k, ind in indicators_for(self.kinds).items() if ind.extensive]
        # column names of the per-month row, built once (the row is rebuilt every month)
        self._real_names = [(k, f"{k}{REAL_SUFFIX}") for k in self._extensive]
        self._share_names = [f"share_{st.label}" for st in Stage]
        self._pt_names = [f"pt_{pt.label}__{st.label}" for pt in PartnerType for st in Stage]
        self._spend_names = [f"spend_{k}" for k in self.kinds]
        self._uptake_names = [(f"awarded_{k}", f"take_up_{k}") for k in self.kinds]

    def warm_up(self, events: MonthEvents) -> None:
        """A burn-in month: keep only the rolling windows (nothing is reported)."""
        self._resolved.append((events.resolutions.successes, events.resolutions.failures))

    def spend_by_lever(self) -> np.ndarray:
        """This month's real EUR as (lever, country), levers in :attr:`kinds` order."""
        w = self.world
        out = np.zeros((len(self.kinds), w.n_countries))
        np.add.at(out, self.policy_lever, w.spend_month[:, 0])
        return out

    def record(self, events: MonthEvents) -> None:
        w = self.world
        month = events.month
        s, a, n = w.sme, w.actors, w.n
        active = (s.n_lead > 0) | (a.load[:n] > 0)
        coop = (month - s.last_coop) < self.WINDOW
        foreign = coop & ((month - s.last_foreign) < self.WINDOW)
        new = events.matches.new
        n_new = events.matches.n_new
        n_new_xb = int(np.sum(new["cross_border"])) if n_new else 0
        res = events.resolutions
        succ, fail = res.successes, res.failures
        self._resolved.append((succ, fail))
        win = self._resolved[-self.WINDOW :]
        resolved = sum(x + y for x, y in win)
        c = {k: w.counters[k][0] for k in w.counters.names()}  # R = 1 (interim)
        c = {
            k: c.get(k, 0)
            for k in (
                *c,
                "retries",
                "no_retries",
                "chem_formed_sum",
                "chem_formed_n",
                "dropped_at_scaleup",
                "memory_at_scaleup",
                "evictions",
                "memory_months",
                "false_failures",
                "scaling_up_reached",
                "unicorns",
                "focus_switches",
            )
        }
        tried = c["retries"] + c["no_retries"]
        results = s.results
        total = float(results.sum())
        k = max(1, int(np.ceil(0.01 * n)))
        positive = results[results > 0]
        top = float(np.partition(positive, len(positive) - k)[-k:].sum()) if len(positive) > k else total
        stage_counts = np.bincount(s.stage, minlength=len(Stage)) / n
        spend = self.spend_by_lever().sum(axis=1)
        self._chem_sum += events.matches.chem_candidates_sum[0]
        self._chem_n += events.matches.chem_candidates_n[0]
        row: dict[str, float] = {
            "step": month + 1,
            "n_smes": n,
            "oi_active_share": float(active.mean()),
            "cooperating_share": int(np.count_nonzero(coop)) / n,
            "cross_border_share": int(np.count_nonzero(foreign)) / max(int(np.count_nonzero(coop)), 1),
            "new_partnerships": n_new,
            "new_cross_border": n_new_xb,
            "successes": succ,
            "failures": fail,
            "project_success_rate": sum(x for x, _ in win) / resolved if resolved else np.nan,
            "mean_confidence": float(s.confidence.mean()),
            "abandoned_share": float(s.abandoned.mean()),
            "retry_rate_after_failure": c["retries"] / tried if tried else np.nan,
            "cooperating_share_innovators": int(np.count_nonzero(coop & s.innovative))
            / max(int(np.count_nonzero(s.innovative)), 1),
            "chemistry_formed": c["chem_formed_sum"] / c["chem_formed_n"] if c["chem_formed_n"] else np.nan,
            "chemistry_candidates": self._chem_sum / self._chem_n if self._chem_n else np.nan,
            "partner_turnover_at_scaleup": c["dropped_at_scaleup"] / c["memory_at_scaleup"]
            if c["memory_at_scaleup"]
            else np.nan,
            "partner_churn": 12 * c["evictions"] / c["memory_months"] if c["memory_months"] else np.nan,
            "false_failures": c["false_failures"],
            **dict(zip(self._share_names, stage_counts.tolist(), strict=True)),
            **dict(zip(self._pt_names, w.pt_by_stage[0].astype(np.int64).ravel().tolist(), strict=True)),
            "scaling_up_reached": c["scaling_up_reached"],
            "business_results_total": total,
            "top1pct_business_share": top / total if total > 0 else 0.0,
            "unicorns": c["unicorns"],
            "focus_switches": c["focus_switches"],
            "mean_learning": float((s.learn_tech + s.learn_soft).mean()),
            "exits": len(events.upkeep.exits),
            **dict(zip(self._spend_names, spend.tolist(), strict=True)),
            "spend_total": float(spend.sum()),
        }
        awarded = np.zeros(len(self.kinds))
        used = np.zeros(len(self.kinds))
        for pol, k in zip(w.policies, self.policy_lever, strict=True):
            awarded[k] += pol.awarded_month[0]  # (R,) per run: R = 1 here until metrics is per run
            used[k] += pol.used_month[0]
        self._awarded += awarded
        self._used += used
        for i, (aw_name, tu_name) in enumerate(self._uptake_names):
            row[aw_name] = float(awarded[i])
            row[tu_name] = float(self._used[i] / self._awarded[i]) if self._awarded[i] else np.nan
        mw = w.mean_weight
        for name, real in self._real_names:
            row[real] = float(row[name]) * mw
        self.rows.append(row)
        self.latest = row
        # per country
        country = a.country[:n].astype(np.int64)
        nc = w.n_countries
        cnt = np.bincount(country, minlength=nc).astype(float)
        coop_c = np.bincount(country[coop], minlength=nc).astype(float)
        lead_country = a.country[res.lead].astype(np.int64)
        self.country_rows.append(
            np.column_stack(
                [
                    np.full(nc, month + 1),
                    np.arange(nc),
                    np.divide(coop_c, cnt, out=np.zeros(nc), where=cnt > 0),
                    np.divide(np.bincount(country[foreign], minlength=nc), coop_c, out=np.zeros(nc), where=coop_c > 0),
                    np.bincount(a.country[new["lead"]].astype(np.int64), minlength=nc) if n_new else np.zeros(nc),
                    np.bincount(lead_country[res.success], minlength=nc),
                    np.bincount(lead_country[~res.success], minlength=nc),
                    w.scaling_by_country[0],
                    np.bincount(country, weights=results, minlength=nc),
                    w.spend_month[:, 0].sum(axis=0),
                ]
            )
        )
        self.spend_rows.append(w.spend_month[:, 0].copy())
        pr = w.panel_rows
        if len(pr):
            failed_now = np.zeros(n, dtype=bool)
            failed_now[res.lead[~res.success]] = True
            self.panel_rows.append(
                {
                    "step": np.full(len(pr), month + 1, dtype=np.int32),
                    "sme_id": a.uid[pr],
                    "stage": s.stage[pr].copy(),
                    "confidence": s.confidence[pr].copy(),
                    "cash": s.cash[pr].copy(),
                    "resources": s.resources[pr].copy(),
                    "business_results": s.results[pr].copy(),
                    "successes": s.successes[pr].copy(),
                    "failures": s.failures[pr].copy(),
                    "in_project": active[pr].copy(),
                    "failed_this_step": failed_now[pr].copy(),
                }
            )

    # ------------------------------------------------------------------ tables
    def timeseries(self, run: int = 0) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["step", *self.columns])

    def countries(self, run: int = 0) -> pd.DataFrame:
        w = self.world
        data = np.vstack(self.country_rows) if self.country_rows else np.zeros((0, 2 + len(COUNTRY_INDICATORS)))
        df = pd.DataFrame(data, columns=["step", "country", *COUNTRY_INDICATORS])
        df["step"] = df["step"].astype(np.int64)
        df["country"] = pd.Categorical.from_codes(df["country"].astype(np.int64), w.country_names)
        for col in ("new_partnerships", "successes", "failures", "scaling_up_reached"):
            df[col] = df[col].astype(np.int64)
        return df

    def spend(self, run: int = 0) -> pd.DataFrame:
        w = self.world
        if not self.spend_rows:
            return pd.DataFrame({"step": [], "lever": [], "measure": [], "country": [], "eur": []})
        arr = np.stack(self.spend_rows)  # (T, measures, C)
        t, k, c = np.nonzero(arr)
        names = [p.name for p in w.policies]
        labels = [f"{i}:{n}" for i, n in enumerate(names)] if len(set(names)) < len(names) else names
        return pd.DataFrame(
            {
                "step": (t + 1).astype(np.int64),
                "lever": pd.Categorical.from_codes(self.policy_lever[k], self.kinds),
                "measure": pd.Categorical.from_codes(k, labels),
                "country": pd.Categorical.from_codes(c, w.country_names),
                "eur": arr[t, k, c],
            }
        )

    def panel(self, run: int = 0) -> pd.DataFrame:
        if not self.panel_rows:
            return pd.DataFrame(columns=["step", "sme_id", "stage"])
        df = pd.DataFrame({k: np.concatenate([r[k] for r in self.panel_rows]) for k in self.panel_rows[0]})
        df["stage"] = pd.Categorical.from_codes(df["stage"].astype(np.int64), [s.label for s in Stage])
        return df

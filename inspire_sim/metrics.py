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
    integer: bool = False  # a count: an int64 column (else float64)


def _ind(
    name: str,
    unit: str,
    meaning: str,
    better: bool | None = None,
    extensive: bool = False,
    integer: bool | None = None,
) -> tuple[str, Indicator]:
    """An indicator; extensive ones are counts (int64) unless ``integer=False``."""
    return name, Indicator(name, unit, meaning, better, extensive, extensive if integer is None else integer)


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
        _ind("business_results_total", "result units", "Sum of business results of living SMEs", True, True, False),
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
                f"awarded_{kind}",
                "services/month",
                f"Services awarded by the {text} lever this month",
                extensive=True,
                integer=False,
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


def row_sums(x: np.ndarray, runs: int) -> np.ndarray:
    """(R,) sums of each run's contiguous block of ``x`` (length R * n), each as ``np.sum`` of the block alone.

    Reducing the last axis of a C-contiguous (R, n) array hands numpy's pairwise summation
    each row whole, as the 1-D sum would: the result is bit-identical (tests/test_batch_metrics.py).
    """
    return np.ascontiguousarray(x).reshape(runs, -1).sum(axis=1)


def row_means(x: np.ndarray, runs: int) -> np.ndarray:
    """(R,) means of each run's contiguous block of ``x``, each bit-identical to ``np.mean`` of the block alone."""
    return np.ascontiguousarray(x).reshape(runs, -1).mean(axis=1)


def run_counts(run: np.ndarray, runs: int) -> np.ndarray:
    """(R,) int64 number of entries of ``run`` (the run of each item) in each run."""
    if runs == 1:
        return np.array([len(run)], dtype=np.int64)
    return np.bincount(run, minlength=runs)


def top_share_sums(results: np.ndarray, runs: int, k: int) -> np.ndarray:
    """(R,) sum of the ``k`` largest positive values of each run's block (all of them if ``k`` or fewer).

    Each run's sum is the single run's ``np.partition(...)[-k:].sum()``: the order partition
    leaves the top ``k`` in depends on the whole input, so each run is partitioned alone.
    """
    blocks = np.ascontiguousarray(results).reshape(runs, -1)
    positive = blocks > 0
    out = np.empty(runs)
    for r in range(runs):
        pos = blocks[r][positive[r]]
        out[r] = np.partition(pos, len(pos) - k)[-k:].sum() if len(pos) > k else blocks[r].sum()
    return out


def _ratio(num: np.ndarray, den: np.ndarray, empty: float = np.nan) -> np.ndarray:
    """``num / den`` per run, ``empty`` where ``den`` is 0 (the single run's ``a / b if b else nan``)."""
    out = np.full(np.shape(num), empty)
    return np.divide(num, den, out=out, where=np.asarray(den) != 0)


_COUNTRY_INT = ("new_partnerships", "successes", "failures", "scaling_up_reached")


class Recorder:
    """Computes the indicators of each reporting month of every run of the batch from the world and the events.

    It only reads: state changes (activity stamps, counters) happen in the phases. Each
    month it stores one (R, columns) float array of the indicators of every run (computed
    with whole-batch numpy operations whose per-run results are bit-identical to the
    single run's); the table methods take the run. :attr:`latest` is run 0's latest row.
    """

    WINDOW = 12  # months: the CIS reference period for "cooperating" (an indicator definition)

    def __init__(self, world: World) -> None:
        self.world = world
        self.runs = world.runs
        self.kinds = list(dict.fromkeys([*SHIPPED, *(resolve_kind(p.spec.kind) for p in world.policies)]))
        registry = indicators_for(self.kinds)
        self.columns = list(registry)
        self.names = ["step", *self.columns]  # columns of the timeseries table
        self.policy_lever = np.array(
            [self.kinds.index(resolve_kind(p.spec.kind)) for p in world.policies], dtype=np.int64
        )
        self._int_names = ["step", *(k for k, ind in registry.items() if ind.integer)]
        col = {name: i for i, name in enumerate(self.names)}
        self._col = col
        self._int_cols = np.array([col[k] for k in self._int_names], dtype=np.int64)
        extensive = [k for k, ind in registry.items() if ind.extensive]
        self._real_src = np.array([col[k] for k in extensive], dtype=np.int64)
        self._real_dst = np.array([col[f"{k}{REAL_SUFFIX}"] for k in extensive], dtype=np.int64)
        self._share_cols = slice(col[f"share_{Stage(0).label}"], col[f"share_{Stage(0).label}"] + len(Stage))
        first_pt = f"pt_{PartnerType(0).label}__{Stage(0).label}"
        self._pt_cols = slice(col[first_pt], col[first_pt] + len(PartnerType) * len(Stage))
        self._spend_cols = np.array([col[f"spend_{k}"] for k in self.kinds], dtype=np.int64)
        self._awarded_cols = np.array([col[f"awarded_{k}"] for k in self.kinds], dtype=np.int64)
        self._take_up_cols = np.array([col[f"take_up_{k}"] for k in self.kinds], dtype=np.int64)
        assert [self.names[i] for i in range(self._pt_cols.start, self._pt_cols.stop)] == [
            f"pt_{pt.label}__{st.label}" for pt in PartnerType for st in Stage
        ]
        assert [self.names[i] for i in range(self._share_cols.start, self._share_cols.stop)] == [
            f"share_{st.label}" for st in Stage
        ]
        runs = self.runs
        self._rows: list[np.ndarray] = []  # per reporting month: (R, len(names)) indicators
        self._latest: dict[str, float] | None = None
        self._country_rows: list[np.ndarray] = []  # per month: (R, C, 2 + len(COUNTRY_INDICATORS))
        self._spend_rows: list[np.ndarray] = []  # per month: (policies, R, C) real EUR
        self._panel_rows: list[dict[str, np.ndarray]] = []  # per month: the panel SMEs of all runs
        self._panel_run = world.sme_run[world.panel_rows] if len(world.panel_rows) else np.zeros(0, dtype=np.int64)
        self._stage_base = world.sme_run * len(Stage)  # bincount keys (run, stage) and (run, country)
        self._country_base = world.sme_run * world.n_countries
        self._resolved: list[tuple[np.ndarray, np.ndarray]] = []  # (successes, failures) per run, last months
        self._chem_sum = np.zeros(runs)  # candidate chemistry over reporting months, per run
        self._chem_n = np.zeros(runs, dtype=np.int64)
        self._awarded = np.zeros((runs, len(self.kinds)))  # services awarded so far, by lever kind
        self._used = np.zeros((runs, len(self.kinds)))  # of which used

    # ------------------------------------------------------------------ per month
    def _resolutions(self, events: MonthEvents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(run of each resolved project's lead, successes per run, failures per run)."""
        res = events.resolutions
        run = self.world.sme_run[res.lead]
        resolved = run_counts(run, self.runs)
        succ = run_counts(run[res.success], self.runs)
        return run, succ, resolved - succ

    def warm_up(self, events: MonthEvents) -> None:
        """A burn-in month: keep only the rolling windows (nothing is reported)."""
        _, succ, fail = self._resolutions(events)
        self._remember(succ, fail)

    def _remember(self, succ: np.ndarray, fail: np.ndarray) -> None:
        self._resolved.append((succ, fail))
        del self._resolved[: -self.WINDOW]

    def spend_by_lever(self) -> np.ndarray:
        """This month's real EUR as (lever, run, country), levers in :attr:`kinds` order."""
        w = self.world
        out = np.zeros((len(self.kinds), w.runs, w.n_countries))
        np.add.at(out, self.policy_lever, w.spend_month)
        return out

    def record(self, events: MonthEvents) -> None:
        """Compute and store the indicators of this reporting month for every run."""
        w = self.world
        runs, nr, n, nc = self.runs, w.n_run, w.n, w.n_countries
        month = events.month
        s, a, c = w.sme, w.actors, w.counters
        sme_run = w.sme_run
        active = (s.n_lead > 0) | (a.load[:n] > 0)
        coop = (month - s.last_coop) < self.WINDOW
        foreign = coop & ((month - s.last_foreign) < self.WINDOW)
        new = events.matches.new
        new_lead = np.asarray(new["lead"], dtype=np.int64)
        new_run = sme_run[new_lead]
        res = events.resolutions
        res_run, succ, fail = self._resolutions(events)
        self._remember(succ, fail)
        win_succ = np.sum([x for x, _ in self._resolved], axis=0)
        win_resolved = win_succ + np.sum([y for _, y in self._resolved], axis=0)
        n_coop = row_sums(coop, runs)
        n_innov = row_sums(s.innovative, runs)
        results = s.results
        total = row_sums(results, runs)
        k = max(1, int(np.ceil(0.01 * nr)))
        top = top_share_sums(results, runs, k)
        stage_key = self._stage_base + s.stage if runs > 1 else s.stage
        stage_counts = np.bincount(stage_key, minlength=runs * len(Stage))
        by_lever = self.spend_by_lever()  # (K, R, C)
        spend = np.ascontiguousarray(by_lever.sum(axis=2).T)  # (R, K): each (lever, run) summed over countries
        self._chem_sum += events.matches.chem_candidates_sum
        self._chem_n += events.matches.chem_candidates_n
        tried = c["retries"] + c["no_retries"]

        v = np.empty((runs, len(self.names)))
        col = self._col

        def put(name: str, values: np.ndarray | float) -> None:
            v[:, col[name]] = values

        put("step", month + 1)
        put("n_smes", nr)
        put("oi_active_share", row_means(active, runs))
        put("cooperating_share", n_coop / nr)
        put("cross_border_share", row_sums(foreign, runs) / np.maximum(n_coop, 1))
        put("new_partnerships", run_counts(new_run, runs))
        put("new_cross_border", run_counts(new_run[np.asarray(new["cross_border"]) != 0], runs))
        put("successes", succ)
        put("failures", fail)
        put("project_success_rate", _ratio(win_succ, win_resolved))
        put("mean_confidence", row_means(s.confidence, runs))
        put("abandoned_share", row_means(s.abandoned, runs))
        put("retry_rate_after_failure", _ratio(c["retries"], tried))
        put("cooperating_share_innovators", row_sums(coop & s.innovative, runs) / np.maximum(n_innov, 1))
        put("chemistry_formed", _ratio(c["chem_formed_sum"], c["chem_formed_n"]))
        put("chemistry_candidates", _ratio(self._chem_sum, self._chem_n))
        put("partner_turnover_at_scaleup", _ratio(c["dropped_at_scaleup"], c["memory_at_scaleup"]))
        put("partner_churn", _ratio(12 * c["evictions"], c["memory_months"]))
        put("false_failures", c["false_failures"])
        v[:, self._share_cols] = stage_counts.reshape(runs, len(Stage)) / nr
        v[:, self._pt_cols] = w.pt_by_stage.reshape(runs, -1)
        put("scaling_up_reached", c["scaling_up_reached"])
        put("business_results_total", total)
        put("top1pct_business_share", np.divide(top, total, out=np.zeros(runs), where=total > 0))
        put("unicorns", c["unicorns"])
        put("focus_switches", c["focus_switches"])
        put("mean_learning", row_means(s.learn_tech + s.learn_soft, runs))
        put("exits", run_counts(sme_run[events.upkeep.exits], runs))
        v[:, self._spend_cols] = spend
        put("spend_total", spend.sum(axis=1))
        awarded = np.zeros((runs, len(self.kinds)))
        used = np.zeros((runs, len(self.kinds)))
        for pol, kk in zip(w.policies, self.policy_lever, strict=True):
            awarded[:, kk] += pol.awarded_month
            used[:, kk] += pol.used_month
        self._awarded += awarded
        self._used += used
        v[:, self._awarded_cols] = awarded
        v[:, self._take_up_cols] = _ratio(self._used, self._awarded)
        v[:, self._real_dst] = v[:, self._real_src] * w.mean_weight
        self._rows.append(v)
        self._latest = None
        # per country
        ckey = self._country_base + a.country[:n] if runs > 1 else a.country[:n].astype(np.int64)
        cnt = np.bincount(ckey, minlength=runs * nc).reshape(runs, nc).astype(float)
        coop_c = np.bincount(ckey[coop], minlength=runs * nc).reshape(runs, nc).astype(float)
        lead_key = res_run * nc + a.country[res.lead]
        rc = runs * nc
        crow = np.empty((runs, nc, 2 + len(COUNTRY_INDICATORS)))
        crow[:, :, 0] = month + 1
        crow[:, :, 1] = np.arange(nc)
        crow[:, :, 2] = np.divide(coop_c, cnt, out=np.zeros((runs, nc)), where=cnt > 0)
        crow[:, :, 3] = np.divide(
            np.bincount(ckey[foreign], minlength=rc).reshape(runs, nc),
            coop_c,
            out=np.zeros((runs, nc)),
            where=coop_c > 0,
        )
        crow[:, :, 4] = np.bincount(new_run * nc + a.country[new_lead], minlength=rc).reshape(runs, nc)
        crow[:, :, 5] = np.bincount(lead_key[res.success], minlength=rc).reshape(runs, nc)
        crow[:, :, 6] = np.bincount(lead_key[~res.success], minlength=rc).reshape(runs, nc)
        crow[:, :, 7] = w.scaling_by_country
        crow[:, :, 8] = np.bincount(ckey, weights=results, minlength=rc).reshape(runs, nc)  # in row order per bin
        if len(w.spend_month):  # policies added in order, as the single run's sum over its (policies, C) array
            crow[:, :, 9] = np.cumsum(w.spend_month, axis=0)[-1]
        else:
            crow[:, :, 9] = 0.0
        self._country_rows.append(crow)
        self._spend_rows.append(w.spend_month.copy())
        pr = w.panel_rows
        if len(pr):
            failed_now = np.zeros(n, dtype=bool)
            failed_now[res.lead[~res.success]] = True
            self._panel_rows.append(
                {
                    "step": np.full(len(pr), month + 1, dtype=np.int32),
                    "sme_id": a.uid[pr],
                    "stage": s.stage[pr],
                    "confidence": s.confidence[pr],
                    "cash": s.cash[pr],
                    "resources": s.resources[pr],
                    "business_results": s.results[pr],
                    "successes": s.successes[pr],
                    "failures": s.failures[pr],
                    "in_project": active[pr],
                    "failed_this_step": failed_now[pr],
                }
            )

    # ------------------------------------------------------------------ rows
    @property
    def latest(self) -> dict[str, float]:
        """The latest reporting month's row of run 0 (column name -> value; counts as ``int``), ``{}`` before any."""
        if self._latest is None:
            if not self._rows:
                return {}
            row = dict(zip(self.names, self._rows[-1][0].tolist(), strict=True))
            for name in self._int_names:
                row[name] = int(row[name])
            self._latest = row
        return self._latest

    def _run(self, run: int) -> int:
        if not 0 <= run < self.runs:
            raise IndexError(f"run {run} is not in this batch of {self.runs} run(s)")
        return int(run)

    # ------------------------------------------------------------------ tables
    def timeseries(self, run: int = 0) -> pd.DataFrame:
        """The indicators of run ``run``, one row per reporting month (columns ``step`` + :attr:`columns`)."""
        run = self._run(run)
        if not self._rows:
            return pd.DataFrame([], columns=self.names)
        data = np.stack([v[run] for v in self._rows])
        ints = set(self._int_cols.tolist())
        return pd.DataFrame(
            {name: data[:, i].astype(np.int64) if i in ints else data[:, i].copy() for i, name in enumerate(self.names)}
        )

    def countries(self, run: int = 0) -> pd.DataFrame:
        """The per-country indicators of run ``run`` (``step``, ``country`` + :data:`COUNTRY_INDICATORS`)."""
        run = self._run(run)
        w = self.world
        width = 2 + len(COUNTRY_INDICATORS)
        data = np.vstack([r[run] for r in self._country_rows]) if self._country_rows else np.zeros((0, width))
        df = pd.DataFrame(data, columns=["step", "country", *COUNTRY_INDICATORS])
        df["step"] = df["step"].astype(np.int64)
        df["country"] = pd.Categorical.from_codes(df["country"].astype(np.int64), w.country_names)
        for name in _COUNTRY_INT:
            df[name] = df[name].astype(np.int64)
        return df

    def spend(self, run: int = 0) -> pd.DataFrame:
        """Run ``run``'s real EUR spent per month, lever, measure and country (non-zero entries only)."""
        run = self._run(run)
        w = self.world
        if not self._spend_rows:
            return pd.DataFrame({"step": [], "lever": [], "measure": [], "country": [], "eur": []})
        arr = np.stack([sm[:, run] for sm in self._spend_rows])  # (T, measures, C)
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
        """Monthly states of run ``run``'s panel SMEs (``step``, ``sme_id``, ``stage``, ...), month by month."""
        run = self._run(run)
        if not self._panel_rows:
            return pd.DataFrame(columns=["step", "sme_id", "stage"])
        mine = self._panel_run == run
        df = pd.DataFrame({k: np.concatenate([r[k][mine] for r in self._panel_rows]) for k in self._panel_rows[0]})
        df["stage"] = pd.Categorical.from_codes(df["stage"].astype(np.int64), [s.label for s in Stage])
        return df

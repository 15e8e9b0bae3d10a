"""Named indicators (unit, meaning), their registry (:data:`INDICATORS`) and the recorder that fills them.

:data:`INDICATORS` is the contract for the columns of ``RunResult.timeseries``; the
model's observation phase (:class:`Recorder`) fills exactly these. The pattern checks P1-P8 that
read them are in :mod:`inspire_sim.analyses.patterns` (thresholds in docs/ODD.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .policies import resolve_kind, shipped_kinds
from .regions import GROUPS
from .state import PartnerType, Stage
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
        _ind(
            "innovators_cooperating_share",
            "share",
            "Innovation-active SMEs that cooperated in the last 12 months, as a share of all SMEs (CIS's "
            "'innovative SMEs collaborating with others, % of SMEs')",
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
        _ind(
            "innovation_turnover",
            "EUR/year",
            "Annual innovation turnover (sales of new or improved products) of living SMEs: business results "
            "x turnover_per_result",
            True,
            True,
            False,
        ),
        _ind(
            "innovation_turnover_share",
            "share",
            "Innovation turnover / turnover of the SMEs (sme_turnover each): CIS's share of turnover from new or "
            "improved products",
            True,
        ),
        _ind(
            "top1pct_business_share",
            "share",
            "Share of innovation turnover (business results) held by the top 1% of SMEs",
        ),
        _ind(
            "unicorns",
            "SMEs",
            "SMEs whose valuation (innovation turnover x valuation_multiple) passed EUR 1 bn, so far",
            True,
            True,
        ),
        _ind("breakthroughs", "SMEs", "Heavy-tailed breakthrough successes so far", True, True),
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
    kinds = list(dict.fromkeys([*shipped_kinds(), *levers]))
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
    "innovation_turnover",
    "spend_total",
    "cooperating_share_innovators",
    "innovators_cooperating_share",
)
"""Columns of ``RunResult.countries`` (besides ``step`` and ``country``). ``cooperating_share`` counts every
SME that cooperated (a non-innovation-active SME can be another's SME-peer partner);
``innovators_cooperating_share`` counts innovation-active SMEs that cooperated, as a share of all SMEs:
CIS's "innovative SMEs collaborating with others, % of SMEs" (only innovation-active firms answer CIS's
cooperation question)."""

REGION_INDICATORS = (
    "cooperating_share",
    "cross_border_share",
    "new_partnerships",
    "successes",
    "failures",
    "innovation_turnover",
    "spend_total",
)
"""Columns of ``RunResult.regions`` (besides ``step`` and ``region``): the indicators by NUTS-2 region."""
_REGION_INT = ("new_partnerships", "successes", "failures")


def row_sums(x: np.ndarray, runs: int) -> np.ndarray:
    """(R,) sums of each run's contiguous block of ``x`` (length R * n), each as ``np.sum`` of the block alone.

    Reducing the last axis of a C-contiguous (R, n) array hands numpy's pairwise summation
    each row whole, as the 1-D sum would: the result is bit-identical (tests/test_batch_metrics.py).
    """
    return np.ascontiguousarray(x).reshape(runs, -1).sum(axis=1)


def row_means(x: np.ndarray, runs: int) -> np.ndarray:
    """(R,) means of each run's contiguous block of ``x``, each bit-identical to ``np.mean`` of the block alone."""
    blocks = np.ascontiguousarray(x).reshape(runs, -1)
    if blocks.dtype in (np.float32, np.float64):  # what np.mean does for them, without its wrapper
        return np.add.reduce(blocks, axis=1) / blocks.shape[1]
    return blocks.mean(axis=1)


def run_counts(run: np.ndarray, runs: int) -> np.ndarray:
    """(R,) int64 number of entries of ``run`` (the run of each item) in each run."""
    if runs == 1:
        return np.array([len(run)], dtype=np.int64)
    return np.bincount(run, minlength=runs)


def top_sums(x: np.ndarray, runs: int, k: int, fewer: np.ndarray | float = np.nan) -> np.ndarray:
    """(R,) sum of the ``k`` largest positive values of each run's block of ``x`` (``fewer`` if it has ``k`` or fewer).

    Each run's sum is the single run's ``np.partition(positive, len(positive) - k)[-k:].sum()``:
    the order partition leaves the top ``k`` in (hence the rounding of their sum) depends on
    the whole input, so each run's positive values are partitioned alone.
    """
    positive = x > 0
    pos = np.compress(positive, x)  # each run's positive values, contiguous, in row order
    out = np.empty(runs)
    out[:] = fewer
    ends = [len(pos)] if runs == 1 else np.cumsum(row_sums(positive, runs)).tolist()
    start = 0
    for r, end in enumerate(ends):
        if end - start > k:
            block = pos[start:end]
            block.partition(end - start - k)  # in place: ``pos`` is our own copy
            out[r] = block[-k:].sum()
        start = end
    return out


def country_sums(key: np.ndarray, values: np.ndarray, bins: int) -> np.ndarray:
    """Sums of ``values`` per ``key`` bin, each bin's values added in row order (``np.bincount``)."""
    return np.bincount(key, weights=values, minlength=bins)


def run_country_key(country: np.ndarray, runs: int, n_countries: int) -> np.ndarray:
    """The (run, country) bin ``run * C + country`` of each SME row: ``country`` itself for one run, else int32.

    Kept small (no int64 copy of every row): a batch of 25 million SMEs holds 100 MB of it.
    """
    if runs == 1:
        return country
    n_run = len(country) // runs
    return (np.repeat(np.arange(runs, dtype=np.int32) * n_countries, n_run) + country).astype(np.int32)


class SegmentSums:
    """Per-run, per-country sums of an SME column, each added in row order, as the single run's ``bincount``.

    The single run sums ``np.bincount(country, weights=x)``: each country's values in row
    order, one after another (latency-bound on a sorted layout). When every run has the same
    sorted country layout (population.py puts each country's SMEs in one block), the batch
    transposes ``x`` to (row, run) and reduces each country's block of rows over the row axis:
    numpy adds the rows one after another, elementwise across the runs, i.e. each run's
    values in row order as ``bincount`` adds them -- bit-identical, and vectorised across
    runs. ``tests/test_batch_metrics.py`` checks both paths against ``bincount``.

    Args:
        country: (R * n_run,) country of each SME row.
        fast: force (True) or forbid (False) the transposed path; None: use it when it is
            likely faster (a shared sorted layout and many rows per country).
    """

    def __init__(self, country: np.ndarray, runs: int, n_countries: int, fast: bool | None = None) -> None:
        self.runs, self.nc = runs, n_countries
        layout = country[: len(country) // runs].astype(np.int64)
        shared = runs > 1 and bool(np.all(np.diff(layout) >= 0))
        shared = shared and bool(np.all(country.reshape(runs, -1) == layout))
        worth = len(country) > 800 * n_countries  # ~2 us per country call vs ~3 ns per bincount row
        self.fast = shared and (worth if fast is None else fast)
        self.key = run_country_key(country, runs, n_countries)
        self.bounds = np.concatenate([[0], np.cumsum(np.bincount(layout, minlength=n_countries))]).tolist()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(R, C) sums of ``x`` (length R * n_run) per run and country."""
        runs, nc = self.runs, self.nc
        if not self.fast:
            return country_sums(self.key, x, runs * nc).reshape(runs, nc)
        xt = np.ascontiguousarray(x.reshape(runs, -1).T)  # (row, run)
        out = np.empty((nc, runs))
        b = self.bounds
        for c in range(nc):
            out[c] = xt[b[c] : b[c + 1]].sum(axis=0) if b[c + 1] > b[c] else 0.0
        return np.ascontiguousarray(out.T)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The monthly arrays of ``parts`` concatenated along the first axis (kept joined for the next call)."""
    if len(parts) > 1:
        parts[:] = [np.concatenate(parts)]
    return parts[0]


_PANEL = (
    "step",
    "sme_id",
    "stage",
    "confidence",
    "cash",
    "resources",
    "business_results",
    "successes",
    "failures",
    "in_project",
    "failed_this_step",
)  # columns of the panel table
_COUNTRY_INT = ("new_partnerships", "successes", "failures", "scaling_up_reached")
DETAIL_TABLES = ("countries", "spend", "regions", "panel")
"""The recorder's tables beside the time series (:attr:`Recorder.detail`)."""
_RATIOS = (
    "cross_border_share",
    "project_success_rate",
    "retry_rate_after_failure",
    "cooperating_share_innovators",
    "chemistry_formed",
    "chemistry_candidates",
    "partner_turnover_at_scaleup",
    "partner_churn",
)  # numerator / denominator per run, nan where the denominator is 0


class Recorder:
    """Computes the indicators of each reporting month of every run of the batch from the world and the events.

    It only reads: state changes (activity stamps, counters) happen in the phases. Each
    month it stores one (R, columns) float array of the indicators of every run, computed
    with whole-batch numpy operations whose per-run results are bit-identical to the single
    run's (``row_sums``, ``top_sums``, ``country_sums``, integer counts); the table methods
    take the run, and :attr:`latest` is run 0's latest row (Mesa's DataCollector reads it).
    """

    WINDOW = 12  # months: the CIS reference period for "cooperating" (an indicator definition)

    def __init__(self, world: World) -> None:
        self.world = world
        self.runs = runs = world.runs
        self.kinds = list(dict.fromkeys([*shipped_kinds(), *(resolve_kind(p.spec.kind) for p in world.policies)]))
        registry = indicators_for(self.kinds)
        self.columns = list(registry)
        self.names = ["step", *self.columns]  # columns of the timeseries table
        self.policy_lever = np.array(
            [self.kinds.index(resolve_kind(p.spec.kind)) for p in world.policies], dtype=np.int64
        )
        self._int_names = ["step", *(k for k, ind in registry.items() if ind.integer)]
        col = {name: i for i, name in enumerate(self.names)}
        self._col = col
        self._int_cols = {col[k] for k in self._int_names}
        extensive = [k for k, ind in registry.items() if ind.extensive]
        self._real_src = np.array([col[k] for k in extensive], dtype=np.int64)
        self._real_dst = np.array([col[f"{k}{REAL_SUFFIX}"] for k in extensive], dtype=np.int64)
        self._share_cols = [col[f"share_{st.label}"] for st in Stage]
        self._pt_cols = [col[f"pt_{pt.label}__{st.label}"] for pt in PartnerType for st in Stage]
        self._spend_cols = [col[f"spend_{k}"] for k in self.kinds]
        self._awarded_cols = [col[f"awarded_{k}"] for k in self.kinds]
        self._take_up_cols = [col[f"take_up_{k}"] for k in self.kinds]
        self._ratio_cols = [col[k] for k in _RATIOS]
        self._nan_names = [*_RATIOS, *(f"take_up_{k}" for k in self.kinds)]  # columns that may be undefined
        # per reporting month (leading axis 1; the table methods concatenate them once):
        self._rows: list[np.ndarray] = []  # (1, R, len(names)) indicators
        self._latest: dict[str, float] | None = None
        self._country_rows: list[np.ndarray] = []  # (1, R, C, 2 + len(COUNTRY_INDICATORS))
        self._spend_keys: list[np.ndarray] = []  # per month: nonzero (run, policy, region, sector) bins
        self._spend_eur: list[np.ndarray] = []  # and their real EUR
        self._spend_step: list[np.ndarray] = []
        self._region_rows: list[np.ndarray] = []  # (1, R, G, len(REGION_INDICATORS))
        g = len(world.region_names)
        self._n_regions, self._n_sectors = g, len(world.geo.sector_names)
        region = world.sme.region[: world.n]  # a slot keeps its region: one run's key is the state's array
        self._region_key = (world.sme_run * g + region) if runs > 1 else region
        self._region_n = np.bincount(self._region_key, minlength=runs * g).reshape(runs, g)
        self._panel_rows: dict[str, list[np.ndarray]] = {k: [] for k in _PANEL}  # the panel SMEs of all runs
        self._panel_run = world.sme_run[world.panel_rows]
        # an SME slot keeps its country for the whole run (entrants take the leaver's country)
        country = world.actors.country[: world.n]
        self._country_sums = SegmentSums(country, runs, world.n_countries)
        # (run, country) bin of each SME row times the SME codes: int64 for a batch (bincount's own
        # type, no conversion each month); one run keeps none (its country array, small ints)
        ckey = self._country_sums.key
        if runs > 1 or runs * world.n_countries * 6 * len(Stage) > np.iinfo(ckey.dtype).max:
            ckey = ckey.astype(np.int64) * (6 * len(Stage))
            self._code_key: np.ndarray | None = ckey
        else:
            self._code_key = None
        self._country_template = np.zeros((runs, world.n_countries, 2 + len(COUNTRY_INDICATORS)))
        self._country_template[:, :, 1] = np.arange(world.n_countries)
        self._resolved: list[np.ndarray] = []  # (successes, failures) per run of the last months
        self._window = np.zeros((2, runs), dtype=np.int64)  # their sums
        self._chem_sum = np.zeros(runs)  # candidate chemistry over reporting months, per run
        self._chem_n = np.zeros(runs, dtype=np.int64)
        rp = world.run_params
        by_run = rp.by_run if rp is not None else [world.params]
        self._turnover_per_result = np.array([p.turnover_per_result for p in by_run])  # (R,) EUR/year per unit
        self._sme_turnover = np.array([p.sme_turnover for p in by_run])  # (R,) EUR/year per SME
        self._awarded = np.zeros((runs, len(self.kinds)))  # services awarded so far, by lever kind
        self._used = np.zeros((runs, len(self.kinds)))  # of which used
        self.detail: frozenset[str] = frozenset(DETAIL_TABLES)
        """The tables beside the time series recorded each month (:data:`DETAIL_TABLES`); set it before the
        first reporting month to record fewer (a sweep reads the time series only). The time series never changes."""

    # ------------------------------------------------------------------ per month
    def _resolutions(self, events: MonthEvents) -> tuple[np.ndarray, np.ndarray]:
        """(run of each resolved project's lead, (successes, failures) per run); keeps the rolling window."""
        res = events.resolutions
        run = self.world.sme_run[res.lead]
        if self.runs == 1:
            n_succ = int(np.count_nonzero(res.success))
            sf = np.array([[n_succ], [len(run) - n_succ]], dtype=np.int64)
        else:
            sf = np.bincount(run * 2 + ~res.success, minlength=2 * self.runs).reshape(self.runs, 2).T
        self._resolved.append(sf)
        self._window += sf
        if len(self._resolved) > self.WINDOW:
            self._window -= self._resolved.pop(0)
        return run, sf

    def warm_up(self, events: MonthEvents) -> None:
        """A burn-in month: keep only the rolling windows (nothing is reported)."""
        self._resolutions(events)

    def spend_by_lever(self) -> np.ndarray:
        """This month's real EUR as (lever, run, country), levers in :attr:`kinds` order."""
        w = self.world
        out = np.zeros((len(self.kinds), w.runs, w.n_countries))
        for p, k in enumerate(self.policy_lever.tolist()):  # in policy order, as np.add.at
            out[k] += w.spend_month[p]
        return out

    def record(self, events: MonthEvents) -> None:
        """Compute and store the indicators of this reporting month for every run."""
        w = self.world
        runs, nr, n, nc, ns = self.runs, w.n_run, w.n, w.n_countries, len(Stage)
        month = events.month
        s, a, c = w.sme, w.actors, w.counters
        sme_run = w.sme_run
        active = (s.n_lead > 0) | (a.load[:n] > 0)
        coop = s.last_coop > month - self.WINDOW  # month - last < WINDOW, without a temporary
        foreign = coop & (s.last_foreign > month - self.WINDOW)
        # one count per (run, country, cooperation level, innovative, stage): level 0 none, 1 domestic, 2 foreign
        code = (coop.view(np.uint8) + foreign.view(np.uint8)) * np.uint8(2 * ns)
        code += s.innovative.view(np.uint8) * np.uint8(ns)
        code += s.stage.view(np.uint8)
        key = self._code_key + code if self._code_key is not None else self._country_sums.key * (6 * ns) + code
        tab = np.bincount(key, minlength=runs * nc * 6 * ns).reshape(runs, nc * 6, ns)
        stage_counts = tab.sum(axis=1)  # (R, S)
        tlc = tab.sum(axis=2).reshape(runs, nc, 3, 2)  # (R, C, level, innovative)
        level = tlc.sum(axis=3)  # (R, C, level)
        cnt = level.sum(axis=2)
        coop_c = level[:, :, 1] + level[:, :, 2]
        foreign_c = level[:, :, 2]
        n_coop = coop_c.sum(axis=1)
        innov = tlc[:, :, :, 1].sum(axis=1)  # (R, level)
        n_innov = innov.sum(axis=1)
        n_coop_innov = innov[:, 1:].sum(axis=1)  # innovation-active SMEs that cooperated
        new = events.matches.new
        new_lead = np.asarray(new["lead"], dtype=np.int64)
        new_run = sme_run[new_lead]
        res_run, (succ, fail) = self._resolutions(events)
        results = s.results
        total = row_sums(results, runs)
        top = top_sums(results, runs, max(1, int(np.ceil(0.01 * nr))), total)  # k or fewer positive: all of it
        spend = np.ascontiguousarray(self.spend_by_lever().sum(axis=2).T)  # (R, K), each over countries
        self._chem_sum += events.matches.chem_candidates_sum
        self._chem_n += events.matches.chem_candidates_n

        v = np.empty((runs, len(self.names)))
        col = self._col
        v[:, col["step"]] = month + 1
        v[:, col["n_smes"]] = nr
        v[:, col["oi_active_share"]] = row_sums(active, runs) / nr  # == mean: the count is exact
        v[:, col["cooperating_share"]] = n_coop / nr
        v[:, col["innovators_cooperating_share"]] = n_coop_innov / nr
        v[:, col["new_partnerships"]] = run_counts(new_run, runs)
        v[:, col["new_cross_border"]] = run_counts(new_run[np.asarray(new["cross_border"]) != 0], runs)
        v[:, col["successes"]] = succ
        v[:, col["failures"]] = fail
        v[:, col["mean_confidence"]] = row_means(s.confidence, runs)
        v[:, col["abandoned_share"]] = row_sums(s.abandoned, runs) / nr
        v[:, col["false_failures"]] = c["false_failures"]
        v[:, self._share_cols] = stage_counts / nr
        v[:, self._pt_cols] = w.pt_by_stage.reshape(runs, -1)
        v[:, col["scaling_up_reached"]] = c["scaling_up_reached"]
        v[:, col["innovation_turnover"]] = total * self._turnover_per_result
        v[:, col["innovation_turnover_share"]] = v[:, col["innovation_turnover"]] / (nr * self._sme_turnover)
        v[:, col["top1pct_business_share"]] = np.divide(top, total, out=np.zeros(runs), where=total > 0)
        v[:, col["unicorns"]] = c["unicorns"]
        v[:, col["breakthroughs"]] = c["breakthroughs"]
        v[:, col["focus_switches"]] = c["focus_switches"]
        v[:, col["mean_learning"]] = row_means(s.learn_tech + s.learn_soft, runs)
        v[:, col["exits"]] = run_counts(sme_run[events.upkeep.exits], runs)
        v[:, self._spend_cols] = spend
        v[:, col["spend_total"]] = spend.sum(axis=1)
        num = np.array(
            [
                foreign_c.sum(axis=1),
                self._window[0],
                c["retries"],
                n_coop_innov,
                c["chem_formed_sum"],
                self._chem_sum,
                c["dropped_at_scaleup"],
                12 * (c["evictions"] + c["tie_breaks"]),
            ],
            dtype=np.float64,
        ).T
        den = np.array(
            [
                np.maximum(n_coop, 1),
                self._window.sum(axis=0),
                c["retries"] + c["no_retries"],
                np.maximum(n_innov, 1),
                c["chem_formed_n"],
                self._chem_n,
                c["memory_at_scaleup"],
                c["memory_months"],
            ],
            dtype=np.float64,
        ).T
        v[:, self._ratio_cols] = np.divide(num, den, out=np.full(num.shape, np.nan), where=den != 0)
        awarded = np.zeros((runs, len(self.kinds)))
        used = np.zeros((runs, len(self.kinds)))
        for pol, kk in zip(w.policies, self.policy_lever, strict=True):
            awarded[:, kk] += pol.awarded_month
            used[:, kk] += pol.used_month
        self._awarded += awarded
        self._used += used
        v[:, self._awarded_cols] = awarded
        v[:, self._take_up_cols] = np.divide(
            self._used, self._awarded, out=np.full(awarded.shape, np.nan), where=self._awarded != 0
        )
        v[:, self._real_dst] = v[:, self._real_src] * w.mean_weight
        self._rows.append(v[None])
        self._latest = None
        detail = self.detail
        if "countries" in detail:
            self._record_countries(events, month, coop_c, foreign_c, cnt, res_run, new_run, new_lead, results, tlc)
        if "spend" in detail or "regions" in detail:
            self._record_spend(month)
        if "regions" in detail:
            self._record_regions(events, coop, foreign, results, res_run)
        if "panel" in detail:
            self._record_panel(events, month, active)

    def _record_countries(
        self,
        events: MonthEvents,
        month: int,
        coop_c: np.ndarray,
        foreign_c: np.ndarray,
        cnt: np.ndarray,
        res_run: np.ndarray,
        new_run: np.ndarray,
        new_lead: np.ndarray,
        results: np.ndarray,
        tlc: np.ndarray,
    ) -> None:
        """This month's indicators by country of every run (``tlc``: SMEs by run, country, cooperation
        level and innovation activity)."""
        w, runs, nc = self.world, self.runs, self.world.n_countries
        a, res = w.actors, events.resolutions
        rc = runs * nc
        outcome = np.bincount((res_run * nc + a.country[res.lead]) * 2 + ~res.success, minlength=2 * rc)
        crow = self._country_template.copy()
        crow[:, :, 0] = month + 1
        crow[:, :, 2] = np.divide(coop_c, cnt, out=np.zeros((runs, nc)), where=cnt > 0)
        crow[:, :, 3] = np.divide(foreign_c, coop_c, out=np.zeros((runs, nc)), where=coop_c > 0)
        crow[:, :, 4] = np.bincount(new_run * nc + a.country[new_lead], minlength=rc).reshape(runs, nc)
        crow[:, :, 5:7] = outcome.reshape(runs, nc, 2)  # successes, failures
        crow[:, :, 7] = w.scaling_by_country
        crow[:, :, 8] = self._country_sums(results) * self._turnover_per_result[:, None]
        if len(w.spend_month):  # policies added in order, as the single run's sum over its (policies, C) array
            crow[:, :, 9] = np.cumsum(w.spend_month, axis=0)[-1]
        else:
            crow[:, :, 9] = 0.0
        innov_c = tlc[:, :, :, 1]  # (R, C, level) of innovation-active SMEs
        n_innov_c = innov_c.sum(axis=2)
        coop_innov_c = innov_c[:, :, 1] + innov_c[:, :, 2]
        crow[:, :, 10] = np.divide(coop_innov_c, n_innov_c, out=np.zeros((runs, nc)), where=n_innov_c > 0)
        crow[:, :, 11] = np.divide(coop_innov_c, cnt, out=np.zeros((runs, nc)), where=cnt > 0)
        self._country_rows.append(crow[None])

    def _record_panel(self, events: MonthEvents, month: int, active: np.ndarray) -> None:
        """This month's state of the panel SMEs of every run."""
        w, n = self.world, self.world.n
        s, a, res = w.sme, w.actors, events.resolutions
        pr = w.panel_rows
        if len(pr):
            failed_now = np.zeros(n, dtype=bool)
            failed_now[res.lead[~res.success]] = True
            for name, values in zip(
                _PANEL,
                (
                    np.full(len(pr), month + 1, dtype=np.int32),
                    a.uid[pr],
                    s.stage[pr],
                    s.confidence[pr],
                    s.cash[pr],
                    s.resources[pr],
                    s.results[pr],
                    s.successes[pr],
                    s.failures[pr],
                    active[pr],
                    failed_now[pr],
                ),
                strict=True,
            ):
                self._panel_rows[name].append(values)

    def _record_spend(self, month: int) -> np.ndarray:
        """Tally this month's bookings by (run, policy, region, sector); returns the (R, G) spend by region."""
        w, g, ns, runs = self.world, self._n_regions, self._n_sectors, self.runs
        n_pol = max(len(w.policies), 1)
        by_region = np.zeros((runs, g))
        if w.spend_events:
            pol = np.concatenate([np.full(len(r), k, dtype=np.int64) for k, r, _ in w.spend_events])
            rows = np.concatenate([r for _, r, _ in w.spend_events]).astype(np.int64)
            eur = np.concatenate([e for _, _, e in w.spend_events])
            run = w.sme_run[rows] if runs > 1 else np.zeros(len(rows), dtype=np.int64)
            region = w.sme.region[rows].astype(np.int64)
            key = ((run * n_pol + pol) * g + region) * ns + w.sme.sector[rows].astype(np.int64)
            keys, inv = np.unique(key, return_inverse=True)
            tally = np.bincount(inv, weights=eur, minlength=len(keys))  # each bin in booking order
            nz = tally != 0
            self._spend_keys.append(keys[nz])
            self._spend_eur.append(tally[nz])
            self._spend_step.append(np.full(int(nz.sum()), month + 1, dtype=np.int64))
            by_region = np.bincount(run * g + region, weights=eur, minlength=runs * g).reshape(runs, g)
        self._month_spend_region = by_region
        return by_region

    def _record_regions(
        self, events: MonthEvents, coop: np.ndarray, foreign: np.ndarray, results: np.ndarray, res_run: np.ndarray
    ) -> None:
        """This month's indicators by region of every run (counts added in row order: bit-identical per run)."""
        w, g, runs = self.world, self._n_regions, self.runs
        key = self._region_key
        size = runs * g
        # foreign implies coop: one bincount of key * 3 + coop + foreign (0, 1 or 2) counts both
        code = key * 3
        code += coop
        code += foreign
        both = np.bincount(code, minlength=3 * size).reshape(size, 3)
        foreign_n = both[:, 2].reshape(runs, g)
        coop_n = (both[:, 1] + both[:, 2]).reshape(runs, g)
        turnover = np.bincount(key, weights=results, minlength=size).reshape(runs, g)
        new_lead = np.asarray(events.matches.new["lead"], dtype=np.int64)
        res = events.resolutions

        def count(rows: np.ndarray) -> np.ndarray:
            k = w.sme_run[rows] * g + w.sme.region[rows] if runs > 1 else w.sme.region[rows].astype(np.int64)
            return np.bincount(np.asarray(k, dtype=np.int64), minlength=size).reshape(runs, g)

        row = np.empty((runs, g, len(REGION_INDICATORS)))
        n = self._region_n
        row[:, :, 0] = np.divide(coop_n, n, out=np.zeros((runs, g)), where=n > 0)
        row[:, :, 1] = np.divide(foreign_n, coop_n, out=np.zeros((runs, g)), where=coop_n > 0)
        row[:, :, 2] = count(new_lead)
        row[:, :, 3] = count(res.lead[res.success])
        row[:, :, 4] = count(res.lead[~res.success])
        row[:, :, 5] = turnover * self._turnover_per_result[:, None]
        row[:, :, 6] = self._month_spend_region
        self._region_rows.append(row[None])

    # ------------------------------------------------------------------ rows
    @property
    def latest(self) -> dict[str, float]:
        """The latest reporting month's row of run 0, ``{}`` before any.

        Column name -> value: counts as ``int``, the rest ``float``; undefined ratios are the
        ``np.nan`` object itself, so two rows compare equal (``==``) when their values do.
        """
        if self._latest is None:
            if not self._rows:
                return {}
            row = dict(zip(self.names, self._rows[-1][-1, 0].tolist(), strict=True))
            for name in self._int_names:
                row[name] = int(row[name])
            for name in self._nan_names:
                if row[name] != row[name]:
                    row[name] = np.nan
            self._latest = row
        return self._latest

    def _run(self, run: int, table: str | None = None) -> int:
        if not 0 <= run < self.runs:
            raise IndexError(f"run {run} is not in this batch of {self.runs} run(s)")
        if table is not None and table not in self.detail:
            raise RuntimeError(f"the {table} table was not recorded (Recorder.detail: {sorted(self.detail)})")
        return int(run)

    # ------------------------------------------------------------------ tables
    def timeseries(self, run: int = 0) -> pd.DataFrame:
        """The indicators of run ``run``, one row per reporting month (columns ``step`` + :attr:`columns`)."""
        run = self._run(run)
        if not self._rows:
            return pd.DataFrame([], columns=self.names)
        data = _joined(self._rows)[:, run]
        ints = self._int_cols
        return pd.DataFrame(
            {name: data[:, i].astype(np.int64) if i in ints else data[:, i].copy() for i, name in enumerate(self.names)}
        )

    def countries(self, run: int = 0) -> pd.DataFrame:
        """The per-country indicators of run ``run`` (``step``, ``country`` + :data:`COUNTRY_INDICATORS`)."""
        run = self._run(run, "countries")
        w = self.world
        width = 2 + len(COUNTRY_INDICATORS)
        data = _joined(self._country_rows)[:, run].reshape(-1, width) if self._country_rows else np.zeros((0, width))
        df = pd.DataFrame(data, columns=["step", "country", *COUNTRY_INDICATORS])
        df["step"] = df["step"].astype(np.int64)
        df["country"] = pd.Categorical.from_codes(df["country"].astype(np.int64), w.country_names)
        for name in _COUNTRY_INT:
            df[name] = df[name].astype(np.int64)
        return df

    def spend(self, run: int = 0) -> pd.DataFrame:
        """Run ``run``'s real EUR spent per month, lever, measure, country, region and sector (non-zero entries)."""
        run = self._run(run, "spend")
        w = self.world
        if self._spend_keys:
            keys, eur, step = (np.concatenate(x) for x in (self._spend_keys, self._spend_eur, self._spend_step))
        else:  # nothing spent: an empty table of the same columns and types, whether batched or not
            keys, eur, step = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
        g, ns, n_pol = self._n_regions, self._n_sectors, max(len(w.policies), 1)
        sector, rest = keys % ns, keys // ns
        region, rest = rest % g, rest // g
        k, r = rest % n_pol, rest // n_pol
        mine = r == run
        names = [p.name for p in w.policies]
        labels = [f"{i}:{n}" for i, n in enumerate(names)] if len(set(names)) < len(names) else names
        k, region, sector = k[mine], region[mine], sector[mine]
        return pd.DataFrame(
            {
                "step": step[mine],
                "lever": pd.Categorical.from_codes(self.policy_lever[k], self.kinds),
                "measure": pd.Categorical.from_codes(k, labels),
                "country": pd.Categorical.from_codes(w.region_country[region], w.country_names),
                "region": pd.Categorical.from_codes(region, w.region_names),
                "sector": pd.Categorical.from_codes(sector, list(w.geo.sector_names)),
                "eur": eur[mine],
            }
        )

    def regions(self, run: int = 0) -> pd.DataFrame:
        """Run ``run``'s indicators by region: ``step, region, country, group`` + :data:`REGION_INDICATORS`."""
        run = self._run(run, "regions")
        w = self.world
        g, width = self._n_regions, len(REGION_INDICATORS)
        data = _joined(self._region_rows)[:, run] if self._region_rows else np.zeros((0, g, width))
        months = data.shape[0]
        df = pd.DataFrame(data.reshape(-1, width), columns=list(REGION_INDICATORS))
        region = np.tile(np.arange(g), months)
        df.insert(0, "step", np.repeat(np.arange(1, months + 1), g) if months else np.zeros(0, dtype=np.int64))
        if self._rows:
            df["step"] = np.repeat(_joined(self._rows)[:, 0, 0].astype(np.int64), g)
        df.insert(1, "region", pd.Categorical.from_codes(region, w.region_names))
        df.insert(2, "country", pd.Categorical.from_codes(w.region_country[region], w.country_names))
        df.insert(3, "group", pd.Categorical.from_codes(np.asarray(w.geo.region_group)[region], list(GROUPS)))
        for name in _REGION_INT:
            df[name] = df[name].astype(np.int64)
        return df

    def panel(self, run: int = 0) -> pd.DataFrame:
        """Monthly states of run ``run``'s panel SMEs (``step``, ``sme_id``, ``stage``, ...), month by month."""
        run = self._run(run, "panel")
        cols = self._panel_rows
        if not cols["step"]:
            return pd.DataFrame(columns=["step", "sme_id", "stage"])
        per_month = len(self._panel_run)
        months = sum(len(part) for part in cols["step"]) // per_month
        mine = np.flatnonzero(self._panel_run == run)
        rows = (np.arange(months)[:, None] * per_month + mine).ravel()  # month by month, in panel order
        df = pd.DataFrame({k: _joined(parts)[rows] for k, parts in cols.items()})
        df["stage"] = pd.Categorical.from_codes(df["stage"].astype(np.int64), [s.label for s in Stage])
        return df

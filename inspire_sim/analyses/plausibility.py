"""Plausibility in real units: the model's headline figures next to published real-world references.

Each row of :func:`plausibility_table` is one :class:`Check`: a figure of a run in real units
(unicorns per million SMEs, grants awarded a year, spending a year per 1,000 SMEs, exits, innovation turnover share,
voucher take-up, brokering services a year), the reference figures it is read against (ids of
``inspire_sim/data/references.toml``, each with its source), a pass band and a verdict:

* ``pass``: the model's figure (mean over replications) lies in the band;
* ``fail``: it lies outside;
* ``lever off``: the row is about a lever the scenario does not run;
* ``not applicable``: the figure is undefined (e.g. nothing awarded).

Bands marked *estimate* rest on estimated references or on the project's own reasoning; they are
orientation, not hard targets. For deployment plans, :func:`voucher_cost_row` adds the cost per
additional OI project of a voucher plan against the Dutch voucher lotteries (CPB): pass within a
factor of two of EUR 7,500 (3,750-15,000). ``validate`` and ``compare`` print the table in their
reports and write it as ``plausibility.csv``.

The references file is checked at load (:func:`load_references`): bad data is refused in one line
naming the file, the entry, the field and the fix.

May import: :mod:`inspire_sim.errors`, :mod:`inspire_sim.core`, :mod:`inspire_sim.results`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..results import RunResult

REFERENCES = "references.toml"
FIELDS = ("id", "topic", "country", "quantity", "value", "unit", "year", "source", "url", "estimate", "note")
"""Required fields of every reference entry (``low`` and ``high`` are optional)."""

PASS, FAIL, LEVER_OFF, NOT_APPLICABLE = "pass", "fail", "lever off", "not applicable"
COLUMNS = ("figure", "model", "unit", "reference", "band_low", "band_high", "verdict", "estimate", "references",
           "source", "note")  # fmt: skip
"""Columns of the plausibility table."""

VOUCHER_COST = 7500.0
"""CPB: public cost per additional knowledge-institution assignment (``nl_voucher_cost_per_additional_assignment``)."""
VOUCHER_FACTOR = 2.0
"""A voucher plan's cost per additional OI project passes within this factor of :data:`VOUCHER_COST`."""
VOUCHER_MAX_GRANT = 15000.0
"""A support-funding measure with a grant of at most this (EUR) is a voucher (largest in the references:
Portugal's Vale Inovacao, EUR 15k)."""


# ----------------------------------------------------------------------------------------------
# References
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One sourced real-world figure (an entry of references.toml)."""

    id: str
    topic: str
    country: str
    quantity: str
    value: float
    unit: str
    year: int
    source: str
    url: str
    estimate: bool
    note: str
    low: float | None = None
    high: float | None = None

    @property
    def is_share(self) -> bool:
        return self.unit.strip().lower().startswith("share")

    def cite(self) -> str:
        """``id (source, year)``, with ``estimate`` when the figure is one."""
        return f"{self.id}: {self.source} ({self.year}{', estimate' if self.estimate else ''})"


def references_path() -> Path:
    """The shipped ``inspire_sim/data/references.toml``."""
    from ..core.tables import shipped

    return shipped(REFERENCES)


def _number(value: Any, name: str, rid: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(
            f"entry {rid}: {value!r} is not a finite number", source=source, field=name, fix="write a plain number"
        )
    return float(value)


def _check_fields(e: Mapping[str, Any], rid: str, source: str) -> None:
    for name in FIELDS:
        if name not in e or (isinstance(e[name], str) and not e[name].strip() and name != "note"):
            raise InputError(
                f"entry {rid}: missing", source=source, field=name, fix=f"give {name} (every entry needs {name})"
            )
    unknown = set(e) - set(FIELDS) - {"low", "high"}
    if unknown:
        raise InputError(
            f"entry {rid}: unknown field", source=source, field=sorted(unknown)[0],
            fix=f"use only {', '.join(FIELDS)}, low, high",
        )  # fmt: skip
    if not isinstance(e["estimate"], bool):
        raise InputError(
            f"entry {rid}: {e['estimate']!r} is not true or false", source=source, field="estimate",
            fix="write estimate = true or estimate = false",
        )  # fmt: skip
    if isinstance(e["year"], bool) or not isinstance(e["year"], int):
        raise InputError(f"entry {rid}: {e['year']!r} is not a year", source=source, field="year",
                         fix="write the year as an integer, e.g. 2021")  # fmt: skip


def _check_values(ref: Reference, source: str) -> None:
    rid = ref.id
    for name, v in (("value", ref.value), ("low", ref.low), ("high", ref.high)):
        if v is None:
            continue
        if ref.is_share and not 0.0 <= v <= 1.0:
            raise InputError(f"entry {rid}: {v:g} is outside [0, 1] for a share", source=source, field=name,
                             fix="give a share between 0 and 1 (e.g. 0.8, not 80)")  # fmt: skip
        if v < 0:
            raise InputError(f"entry {rid}: {v:g} is negative", source=source, field=name, fix="give a figure >= 0")
    if ref.low is not None and ref.high is not None and ref.low > ref.high:
        raise InputError(f"entry {rid}: low {ref.low:g} > high {ref.high:g}", source=source, field="low",
                         fix="give low <= high")  # fmt: skip


def parse_references(data: Mapping[str, Any], source: str = REFERENCES) -> dict[str, Reference]:
    """Check and read the ``[[reference]]`` entries of a parsed references file (by id, in file order)."""
    entries = data.get("reference")
    if not isinstance(entries, list) or not entries:
        raise InputError("no [[reference]] entries", source=source, field="reference", fix="add [[reference]] tables")
    out: dict[str, Reference] = {}
    for k, e in enumerate(entries, start=1):
        rid = str(e.get("id") or f"#{k}")
        _check_fields(e, rid, source)
        if rid in out:
            raise InputError(f"entry {rid}: duplicate id", source=source, field="id", fix="give each entry its own id")
        ref = Reference(
            id=rid, topic=str(e["topic"]), country=str(e["country"]), quantity=str(e["quantity"]),
            value=_number(e["value"], "value", rid, source), unit=str(e["unit"]), year=int(e["year"]),
            source=str(e["source"]), url=str(e["url"]), estimate=bool(e["estimate"]), note=str(e["note"]),
            low=_number(e["low"], "low", rid, source) if "low" in e else None,
            high=_number(e["high"], "high", rid, source) if "high" in e else None,
        )  # fmt: skip
        _check_values(ref, source)
        out[rid] = ref
    return out


def load_references(path: str | Path | None = None) -> dict[str, Reference]:
    """Read and check a references file (default: the shipped one); by id."""
    path = Path(path) if path is not None else references_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", source=str(path), fix="give the path of a references.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=path.name, fix="fix the TOML syntax") from None
    return parse_references(data, path.name)


# ----------------------------------------------------------------------------------------------
# What a run tells: real-unit figures of one run
# ----------------------------------------------------------------------------------------------


def _col(r: RunResult, name: str) -> pd.Series | None:
    ts = r.timeseries
    return ts[name].astype("float64") if name in ts.columns else None


def _mean(r: RunResult, name: str) -> float:
    s = _col(r, name)
    return float(s.mean()) if s is not None and len(s) else math.nan


def _final(r: RunResult, name: str) -> float:
    s = _col(r, name)
    return float(s.iloc[-1]) if s is not None and len(s) else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


def represented(r: RunResult) -> float:
    """Real SMEs the run stands for (mean over months of ``n_smes_real``, else the manifest's population)."""
    v = _mean(r, "n_smes_real")
    if math.isfinite(v) and v > 0:
        return v
    pop = (r.manifest or {}).get("population", {}).get("represented_smes") or {}
    return float(sum(pop.values())) if pop else _mean(r, "n_smes")


def months(r: RunResult) -> int:
    return len(r.timeseries)


def n_countries(r: RunResult) -> int:
    """Countries of the run (the manifest's scenario, else the country table of the run)."""
    countries = ((r.manifest or {}).get("scenario") or {}).get("countries")
    if countries:
        return len(countries)
    if len(r.countries) and "country" in r.countries:
        return int(r.countries["country"].nunique())
    return 1


def levers_on(r: RunResult) -> set[str]:
    """The lever kinds the run's scenario runs (from its manifest; from its spending if there is none)."""
    from ..core.policies import resolve_kind

    policies = ((r.manifest or {}).get("scenario") or {}).get("policies")
    if policies is not None:
        kinds = set()
        for p in policies:
            try:
                kinds.add(resolve_kind(str(p["kind"])))
            except Exception:  # a user lever not registered in this process: keep its name
                kinds.add(str(p["kind"]))
        return kinds
    sp = r.spend
    return {str(x) for x in pd.unique(sp["lever"].astype(str))} if len(sp) else set()


def unicorns_per_million_decade(r: RunResult) -> float:
    """Unicorns so far per million represented SMEs, scaled to ten years (x 120 / months)."""
    return 1e6 * _ratio(_final(r, "unicorns_real"), represented(r)) * 120.0 / max(months(r), 1)


def _unicorn_step(r: RunResult) -> float:
    """The figure one simulated unicorn makes (per million SMEs a decade): the table's resolution."""
    return 1e6 * 120.0 / max(_final(r, "n_smes"), 1.0) / max(months(r), 1)


def awarded_per_year_per_country(r: RunResult, kind: str = "support_funding") -> float:
    """Services of a lever awarded a year (real), averaged over the run's countries."""
    return _mean(r, f"awarded_{kind}_real") * 12.0 / n_countries(r)


def awarded_per_new_project(r: RunResult) -> float:
    """Grants awarded a month / OI projects started a month (both real, means over the run)."""
    return _ratio(_mean(r, "awarded_support_funding_real"), _mean(r, "new_partnerships_real"))


def spend_per_year_per_1000(r: RunResult) -> float:
    """Public spending a year (all levers, real EUR) per 1,000 represented SMEs (the SME-weighted country mean)."""
    return _ratio(_mean(r, "spend_total") * 12.0, represented(r)) * 1000.0


def exits_per_year(r: RunResult) -> float:
    """SMEs exiting a year as a share of the represented SMEs."""
    return _ratio(_mean(r, "exits_real") * 12.0, represented(r))


def innovation_turnover_share(r: RunResult) -> float:
    return _final(r, "innovation_turnover_share")


def voucher_take_up(r: RunResult) -> float:
    return _final(r, "take_up_support_funding")


def brokering_per_year(r: RunResult) -> float:
    """Cross-border brokering services awarded a year EU-wide (real)."""
    return _mean(r, "awarded_cross_border_brokering_real") * 12.0


# ----------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------

Band = tuple[float, float]


@dataclass(frozen=True)
class Check:
    """One row of the table: a model figure in real units, its references and its pass band.

    ``band`` is fixed, or computed from the references (``band_of``) when it needs arithmetic on
    them (e.g. a programme budget per 1,000 SMEs of its country). ``lever``: the row is ``lever off``
    when the scenario does not run it.
    """

    label: str
    unit: str
    compute: Callable[[RunResult], float]
    references: tuple[str, ...]
    source: str
    band: Band | None = None
    band_of: Callable[[Mapping[str, Reference]], Band] | None = None
    estimate: bool = False
    lever: str | None = None
    reference_text: str = ""
    note_of: Callable[[RunResult], str] | None = None

    def bounds(self, refs: Mapping[str, Reference]) -> Band:
        if self.band_of is not None:
            return self.band_of(refs)
        assert self.band is not None
        return self.band


def _programme_spend_band(refs: Mapping[str, Reference]) -> Band:
    """EUR a year per 1,000 SMEs of the country, smallest and largest of the reference programmes."""
    from ..core.countries import country_table

    table = country_table()
    ids = ("at_innoscheck_plus_budget", "nl_voucher_budget_2006", "nl_mit_budget", "de_zim_budget_current")
    per = [refs[i].value / table[refs[i].country].number("smes_10_249") * 1000.0 for i in ids]
    return min(per), max(per)


def _range(refs: Mapping[str, Reference], *ids: str) -> Band:
    vals = [v for i in ids for v in (refs[i].value, refs[i].low, refs[i].high) if v is not None]
    return min(vals), max(vals)


CHECKS: tuple[Check, ...] = (
    Check(
        "Unicorns per million represented SMEs, per decade",
        "per million SMEs",
        unicorns_per_million_decade,
        ("eu27_unicorns_per_decade", "eu27_unicorns_2021", "unicorn_definition_dealroom"),
        "Atomico counts and EU27 shares: 120-220 new EU27 unicorns a decade among about 1.77 M SMEs of 10-249 "
        "(about 100 per million); band widened to 10-200 per million",
        band=(10.0, 200.0),
        estimate=True,
        reference_text="about 170 a decade (120-220) / 1.77 M SMEs = 96 per million",
        note_of=lambda r: f"resolution: one simulated unicorn = {fmt(_unicorn_step(r), '')} per million SMEs a decade",
    ),
    Check(
        "Grants (vouchers) awarded a year, per country",
        "grants/year",
        awarded_per_year_per_country,
        (
            "at_innoscheck_2018_2023_approvals",
            "nl_vouchers_per_year_2006",
            "si_sps_vouchers_2019",
            "ie_vouchers_2013",
            "de_zim_approvals_per_year",
        ),
        "National voucher schemes award 150-6,000 a year (AT 165, IE 1,000+, SI 1,946, NL 6,000); "
        "ZIM (DE) about 3,230 grants a year",
        band=(150.0, 6000.0),
        lever="support_funding",
        reference_text="150-6,000 a year per country",
    ),
    Check(
        "Grants awarded / new OI projects (a month)",
        "ratio",
        awarded_per_new_project,
        (),
        "Estimate (project rule): most OI projects are not subsidised; a programme funding more than half of "
        "all new projects is implausible",
        band=(0.0, 0.5),
        estimate=True,
        lever="support_funding",
        reference_text="at most 0.5",
    ),
    Check(
        "Public spending a year per 1,000 SMEs",
        "EUR/year",
        spend_per_year_per_1000,
        ("at_innoscheck_plus_budget", "nl_voucher_budget_2006", "nl_mit_budget", "de_zim_budget_current"),
        "Annual budgets of national programmes per 1,000 SMEs (10-249) of their country: AT Innovationsscheck "
        "Plus EUR 2 M (lowest) to DE ZIM EUR 600 M (highest)",
        band_of=_programme_spend_band,
        reference_text="AT Innovationsscheck Plus to DE ZIM",
    ),
    Check(
        "SME exits a year (share of SMEs)",
        "share/year",
        exits_per_year,
        ("eu_death_rate_10plus", "eu_death_rate_all_2021"),
        "Eurostat business demography: death rate of enterprises with 10+ employees about 2% a year "
        "(1-4%; the all-size rate, 8.5%, is driven by one-person firms)",
        band=(0.01, 0.04),
        estimate=True,
        reference_text="0.02 (0.01-0.04)",
    ),
    Check(
        "Innovation turnover share",
        "share",
        innovation_turnover_share,
        ("eu_innovation_turnover_share", "pt_innovation_turnover_2018", "hu_innovation_turnover_2020"),
        "CIS / EIS share of turnover from new or improved products, enterprises 10+: about 12% "
        "(8-15%; PT 11.2%, HU 7.8%)",
        band=(0.08, 0.15),
        estimate=True,
        reference_text="0.12 (0.08-0.15)",
    ),
    Check(
        "Voucher take-up (awarded vouchers used)",
        "share",
        voucher_take_up,
        ("nl_vouchers_cpb_2006_redemption", "nl_vouchers_cpb_2007_redemption_2005", "at_innoscheck_redemption"),
        "Redemption of innovation vouchers: NL 0.9 (2004) and 0.85 (2005, CPB), AT 0.69 (Innovationsscheck)",
        band_of=lambda refs: _range(
            refs, "nl_vouchers_cpb_2006_redemption", "nl_vouchers_cpb_2007_redemption_2005", "at_innoscheck_redemption"
        ),
        lever="support_funding",
        reference_text="0.69-0.9",
    ),
    Check(
        "Cross-border brokering services a year (EU)",
        "services/year",
        brokering_per_year,
        ("eu_een_clients_per_year", "eu_een_budget_2022_2025"),
        "Enterprise Europe Network: about 120,000 SMEs a year helped to find partners (50k-190k) for EUR 47-52 M "
        "a year",
        band_of=lambda refs: _range(refs, "eu_een_clients_per_year"),
        lever="cross_border_brokering",
        reference_text="120,000 (50,000-190,000)",
    ),
)
"""The rows of :func:`plausibility_table`, in order."""

VOUCHER_COST_CHECK = Check(
    "Cost per additional OI project (voucher plan)",
    "EUR",
    lambda r: math.nan,  # a comparison figure: see voucher_cost_row
    ("nl_voucher_cost_per_additional_assignment", "nl_vouchers_cpb_2006", "nl_vouchers_cpb_2007_additionality_2005"),
    "CPB voucher lotteries (NL 2004-2005): public cost per additional knowledge-institution assignment about "
    "EUR 7,500 (6.5k-8.5k); pass within a factor of two",
    band=(VOUCHER_COST / VOUCHER_FACTOR, VOUCHER_COST * VOUCHER_FACTOR),
    estimate=True,
    lever="support_funding",
    reference_text="EUR 7,500 (6,500-8,500)",
)


def check_references(checks: Sequence[Check], refs: Mapping[str, Reference], source: str = REFERENCES) -> None:
    """Every reference id a check names exists (else a one-line error naming the check)."""
    from ..errors import unknown_key_fix

    for c in checks:
        for rid in c.references:
            if rid not in refs:
                raise InputError(
                    f"check '{c.label}' names reference {rid!r}, which is not in the file",
                    source=source,
                    field="id",
                    fix=f"add an entry with id = {rid!r}, or correct the check ({unknown_key_fix(rid, refs)})",
                )


def verdict(value: float, low: float, high: float) -> str:
    if not math.isfinite(value):
        return NOT_APPLICABLE
    return PASS if low <= value <= high else FAIL


def _row(c: Check, value: float, refs: Mapping[str, Reference], off: bool, note: str = "") -> dict[str, Any]:
    low, high = c.bounds(refs)
    estimate = c.estimate or any(refs[i].estimate for i in c.references)
    return {
        "figure": c.label,
        "model": math.nan if off else value,
        "unit": c.unit,
        "reference": c.reference_text,
        "band_low": low,
        "band_high": high,
        "verdict": LEVER_OFF if off else verdict(value, low, high),
        "estimate": estimate,
        "references": ", ".join(c.references),
        "source": c.source,
        "note": note,
    }


def plausibility_table(
    runs: Sequence[RunResult],
    *,
    references: Mapping[str, Reference] | None = None,
    checks: Sequence[Check] = CHECKS,
) -> pd.DataFrame:
    """The plausibility table of one scenario's replications (columns :data:`COLUMNS`; one row per check).

    ``model`` is the mean over replications of each run's figure; the verdict reads it against the band.
    """
    refs = load_references() if references is None else references
    check_references(checks, refs)
    runs = list(runs)
    on = set().union(*(levers_on(r) for r in runs)) if runs else set()
    rows = []
    for c in checks:
        off = c.lever is not None and c.lever not in on
        vals = np.array([c.compute(r) for r in runs], dtype="float64") if runs and not off else np.array([])
        vals = vals[np.isfinite(vals)]
        value = float(vals.mean()) if len(vals) else math.nan
        notes = (
            [f"mean of {len(vals)} runs, {fmt(float(vals.min()), c.unit)} to {fmt(float(vals.max()), c.unit)}"]
            if len(vals) > 1
            else []
        )
        if c.note_of is not None and runs and not off:
            notes.append(c.note_of(runs[0]))
        note = "; ".join(notes)
        rows.append(_row(c, value, refs, off, note))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _policies(scenario: Any) -> list[Any]:
    if isinstance(scenario, Mapping):
        return list(scenario.get("policies", []))
    return list(getattr(scenario, "policies", []))


def _get(p: Any, key: str) -> Any:
    return p.get(key) if isinstance(p, Mapping) else getattr(p, key, None)


def _voucher_measures(scenario: Any) -> list[str]:
    """The scenario's voucher measures (support funding, grant of at most :data:`VOUCHER_MAX_GRANT`), as text."""
    out = []
    for p in _policies(scenario):
        grant = _get(p, "grant_size")
        if str(_get(p, "kind")) == "support_funding" and grant is not None and float(grant) <= VOUCHER_MAX_GRANT:
            out.append(repr(sorted(p.items())) if isinstance(p, Mapping) else repr(p))
    return out


def is_voucher_plan(scenario: Any, baseline: Any = None) -> bool:
    """A plan runs vouchers: a support-funding measure with a grant of at most :data:`VOUCHER_MAX_GRANT`
    that the ``baseline`` (if given) does not run as it is (a plan that keeps today's vouchers unchanged
    and adds something else is not a voucher plan).

    ``scenario`` and ``baseline``: :class:`~inspire_sim.core.scenario.Scenario` objects or manifests' scenario dicts.
    """
    base = set(_voucher_measures(baseline)) if baseline is not None else set()
    return any(m not in base for m in _voucher_measures(scenario))


def voucher_cost_row(
    eur_per_project: float, status: str, voucher_plan: bool, references: Mapping[str, Reference] | None = None
) -> dict[str, Any]:
    """The compare row: a plan's cost per additional OI project against the CPB voucher evaluations.

    ``status`` is the cost-effectiveness table's (``cost per unit``, ``uncertain gain``, ``no gain``,
    ``saves money``). Not a voucher plan: ``not applicable`` (the figure is still shown).
    """
    refs = load_references() if references is None else references
    check_references([VOUCHER_COST_CHECK], refs)
    row = _row(VOUCHER_COST_CHECK, eur_per_project, refs, off=False, note=status)
    if status in ("no gain", "saves money"):
        row["verdict"] = FAIL
        row["note"] = f"{status}: no finite cost per additional project"
    if not voucher_plan:
        row["verdict"] = NOT_APPLICABLE
        row["note"] = "not a voucher plan (no new or changed support-funding measure with grants of EUR 15k or less)"
    return row


# ----------------------------------------------------------------------------------------------
# Presentation (shared by the validate and compare reports)
# ----------------------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    """A figure of the table in words: shares in %, EUR with separators, small rates in scientific notation."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit.startswith("share"):
        return f"{100 * value:.1f}%"
    if unit.startswith("EUR"):
        return f"EUR {value:,.0f}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.6f}".rstrip("0")  # never scientific notation
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def display_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """The table's rows as text, for the report templates."""
    out = []
    for r in table.to_dict("records"):
        unit = str(r["unit"])
        out.append(
            {
                "scenario": str(r.get("scenario", "")),
                "figure": str(r["figure"]),
                "model": "lever off" if r["verdict"] == LEVER_OFF else fmt(r["model"], unit),
                "unit": unit,
                "reference": str(r["reference"]),
                "band": f"{fmt(r['band_low'], unit)} – {fmt(r['band_high'], unit)}",
                "verdict": str(r["verdict"]),
                "estimate": "estimate" if r["estimate"] else "",
                "references": str(r["references"]),
                "source": str(r["source"]),
                "note": str(r.get("note") or ""),
            }
        )
    return out


def summary_sentence(table: pd.DataFrame) -> str:
    """One line: how many figures are within their real-world band."""
    judged = table[table["verdict"].isin([PASS, FAIL])]
    off = int((table["verdict"] == LEVER_OFF).sum())
    passed = int((judged["verdict"] == PASS).sum())
    text = f"{passed} of {len(judged)} headline figures in real units are within their real-world band"
    return text + (f" ({off} lever off)." if off else ".")

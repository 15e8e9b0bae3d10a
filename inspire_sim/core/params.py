"""The single definition of every parameter: default, unit, bounds, role, source.

Everything else (scenario validation, ``inspire-sim params``, SALib problems, the
app's sliders, the parameter table of docs/ODD.md) reads these definitions; no
default or bound is declared anywhere else.

Two kinds of parameter live here:

* :class:`ModelParams`: structural and uncertain parameters of the model (the
  ``[model]`` table of a scenario);
* one pydantic model per policy lever (``SupportFunding`` ...), whose lever
  parameters sit in a scenario's ``[[policies]]`` entries.

Every field carries ``unit``, ``role`` (``lever`` / ``uncertainty`` /
``structural``), ``source`` (a finding of ``shared/SOURCES.md`` or "assumption")
and, for uncertain parameters, ``sa_range``: the plausible range used by
sensitivity analyses (narrower than the hard validation bounds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .regions import default_sectors

# Source strings, cited by parameters (see shared/SOURCES.md and docs/ODD.md).
INSPIRE = "INSPIRE finding (H2020 grant 691440)"
CIS = "Eurostat CIS"
SKIN = "NEMO-SKIN / SKIN (Gilbert, Pyka & Ahrweiler 2001)"
ASSUMPTION = "assumption"
CALIBRATED = (
    "posterior median of inspire-sim calibrate eu_cis (2026-12-07, country mechanisms, OI persistence and "
    "confidence dispositions, 28 targets by country: 6 x 60 particles, 5,000 SMEs, 120 months; "
    "docs/calibration.md)"
)
SBS = "Eurostat structural business statistics (sbs_sc_ovw), enterprises with 10-249 persons employed"
COUNTRY_TABLE = "inspire_sim/data/countries.csv (each figure's source in its row)"


class Role(StrEnum):
    """What a parameter is for, in the sense of EMA Workbench's XLRM framing."""

    LEVER = "lever"
    UNCERTAINTY = "uncertainty"
    STRUCTURAL = "structural"


def param(
    default: Any,
    *,
    unit: str,
    role: Role,
    source: str,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    sa: tuple[float, float] | None = None,
) -> Any:
    """Declare one parameter: the only place its default, bounds and metadata live."""
    extra: dict[str, Any] = {"unit": unit, "role": str(role), "source": source}
    if sa is not None:
        extra["sa_range"] = list(sa)
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra=extra)


U, S, L = Role.UNCERTAINTY, Role.STRUCTURAL, Role.LEVER


class Strict(BaseModel):
    """Base for every validated input: unknown keys are errors, types are checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class ModelParams(Strict):
    """Structural and uncertain parameters (the ``[model]`` table of a scenario)."""

    # --- scale and structure -------------------------------------------------------
    n_smes: int = param(
        2000,
        lo=10,
        hi=30_000_000,  # the EU-27's ~25 M SMEs at 1:1 fit on a 24 GB machine (benchmarks/README.md, issue 14)
        unit="SMEs",
        role=S,
        source=ASSUMPTION,
        doc="Number of SMEs (constant: every exit is replaced by an entrant).",
    )
    steps: int = param(
        120, lo=1, hi=1200, unit="months", role=S, source=ASSUMPTION, doc="Simulated horizon; one step is one month."
    )
    partners_per_sme: float = param(
        0.15,
        lo=0.005,
        hi=5.0,
        unit="partners/SME",
        role=S,
        source=ASSUMPTION,
        doc="Size of the non-SME partner pool relative to the SME count.",
    )
    share_psr: float = param(
        0.25,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=CIS + " 2008-10 (universities 10.8%, public research 6.1%)",
        doc="Share of public research organisations (universities, RTOs) in the partner pool.",
    )
    share_large_firm: float = param(
        0.30,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=CIS + " 2008-10 (suppliers 15.2%, clients 12.6%)",
        doc="Share of large firms in the partner pool.",
    )
    share_crowd: float = param(
        0.25,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=INSPIRE + " (crowd in resource stages)",
        doc="Share of crowd/individual partners in the partner pool.",
    )
    share_peer: float = param(
        0.20,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=CIS + " 2008-10 (competitors 6.7%)",
        doc="Share of non-modelled SME peers in the partner pool (modelled SMEs are peers too).",
    )
    partner_capacity: int = param(
        3,
        lo=1,
        hi=100,
        unit="projects",
        role=S,
        source=ASSUMPTION,
        doc="Concurrent projects a research organisation or large firm partners in (crowd and non-modelled peers: 1).",
    )
    sectors: list[str] = Field(
        default_factory=default_sectors,
        min_length=1,
        description="Sector ids (sectoral innovation systems): those of inspire_sim/data/sectors.csv take its "
        "figures (share of SMEs, cooperation, partner mix); other names get equal shares and average figures.",
        json_schema_extra={"unit": "-", "role": "structural", "source": "Eurostat SBS and CIS by NACE; sectors.csv"},
    )
    persona_dims: int = param(
        4,
        lo=1,
        hi=16,
        unit="dimensions",
        role=S,
        source=ASSUMPTION,
        doc="Dimensions of manager persona and strategic vision vectors.",
    )
    n_candidates: int = param(
        6,
        lo=1,
        hi=50,
        unit="candidates",
        role=S,
        source=ASSUMPTION,
        doc="Candidates an SME considers per search (trusted + chance encounters).",
    )
    memory_slots: int = param(
        4,
        lo=1,
        hi=16,
        unit="partners",
        role=S,
        source=SKIN,
        doc="Past partners an SME remembers with a relationship value (trust).",
    )
    max_concurrent_projects: int = param(
        1,
        lo=1,
        hi=8,
        unit="projects",
        role=S,
        source=ASSUMPTION,
        doc="OI projects an SME may lead at once (one project = one OI move with one partner).",
    )
    peer_capacity: int = param(
        1,
        lo=0,
        hi=8,
        unit="projects",
        role=S,
        source=ASSUMPTION,
        doc="Projects a modelled SME may join as another SME's partner at once.",
    )
    resource_focus_share: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=U,
        source=INSPIRE,
        sa=(0.3, 0.7),
        doc="Share of SMEs focused on building resources rather than business results.",
    )
    disruptive_share: float = param(
        0.08,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=U,
        source=INSPIRE + "; share is an assumption",
        sa=(0.03, 0.15),
        doc="Share of SMEs pursuing a disruptive innovation.",
    )
    initial_stage_shares: list[float] = Field(
        default=[0.45, 0.30, 0.15, 0.10],
        min_length=4,
        max_length=4,
        description="Initial shares of SMEs in exploration, development, scaling-up, commercialisation.",
        json_schema_extra={"unit": "share", "role": "structural", "source": ASSUMPTION},
    )
    panel_size: int = param(
        200,
        lo=0,
        hi=10_000,
        unit="SMEs",
        role=S,
        source=ASSUMPTION,
        doc="SMEs whose monthly trajectory is recorded in RunResult.panel.",
    )

    # --- search and matching ---------------------------------------------------------
    search_rate: float = param(
        0.0206,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=U,
        source=CIS + " (10-18% cooperating SMEs a year); " + CALIBRATED,
        sa=(0.01, 0.05),
        doc="Monthly probability that a free, confident, innovation-active SME searches for a partner.",
    )
    strength_search_effect: float = param(
        0.82,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=CIS + " ~2008 (DK 22.7% vs ES 5.3% collaborating SMEs); " + CALIBRATED,
        sa=(0.5, 2.0),
        doc="How strongly the national innovation-system strength scales search (multiplier 1 + e*(strength-0.5)*2).",
    )
    home_bias: float = param(
        0.63,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE + " (national trap); " + CIS + " 2006-08; " + CALIBRATED,
        sa=(0.4, 0.7),
        doc="Probability that a chance encounter is domestic, in the largest country (smaller: see "
        "home_bias_size_elasticity).",
    )
    trusted_first: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=SKIN,
        sa=(0.3, 0.8),
        doc="Probability that an SME with trusted past partners puts them among its candidates.",
    )
    w_chemistry: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=INSPIRE + " (personal chemistry)",
        sa=(0.5, 2.0),
        doc="Weight of personal chemistry in a pair's attractiveness.",
    )
    w_vision: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=INSPIRE + " (shared vision)",
        sa=(0.5, 2.0),
        doc="Weight of shared vision in a pair's attractiveness.",
    )
    w_stage_fit: float = param(
        1.5,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=INSPIRE + " (partner roles by stage)",
        sa=(0.5, 3.0),
        doc="Weight of the partner type's fit to the SME's stage in attractiveness.",
    )
    w_trust: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=SKIN,
        sa=(0.5, 2.0),
        doc="Weight of trust (relationship value with a past partner) in attractiveness.",
    )
    chemistry_pair_sd: float = param(
        0.5,
        lo=0.0,
        hi=3.0,
        unit="-",
        role=U,
        source=ASSUMPTION,
        sa=(0.2, 1.0),
        doc="Spread of the pair-specific chemistry term (reproducible, never stored).",
    )
    accept_threshold: float = param(
        0.1,
        lo=-5.0,
        hi=5.0,
        unit="attractiveness",
        role=U,
        source=ASSUMPTION,
        sa=(-0.1, 0.3),
        doc="Minimum attractiveness for the SME to propose and for the partner to accept.",
    )
    search_cost_foreign: float = param(
        0.05,
        lo=0.0,
        hi=5.0,
        unit="attractiveness",
        role=U,
        source=INSPIRE + " (limited understanding of foreign markets)",
        sa=(0.0, 0.15),
        doc="Extra search cost of a foreign candidate.",
    )
    resource_focus_trap: float = param(
        3.0,
        lo=0.0,
        hi=10.0,
        unit="x",
        role=U,
        source=INSPIRE + " (national trap stronger for SMEs with resource impact)",
        sa=(1.0, 5.0),
        doc="Extra foreign search cost of resource-focused SMEs, as a multiple of search_cost_foreign.",
    )
    friction_scale: float = param(
        0.3,
        lo=0.0,
        hi=10.0,
        unit="attractiveness/distance",
        role=U,
        source=INSPIRE + " (psychological distance)",
        sa=(0.15, 0.6),
        doc="Border friction per unit of cultural distance between countries.",
    )
    experience_effect: float = param(
        0.5,
        lo=0.0,
        hi=5.0,
        unit="1/project",
        role=U,
        source=ASSUMPTION,
        sa=(0.2, 1.0),
        doc="Friction falls as exp(-effect x projects done with that country).",
    )

    # --- projects ----------------------------------------------------------------------
    duration_mean: float = param(
        8.0,
        lo=1.0,
        hi=60.0,
        unit="months",
        role=U,
        source=ASSUMPTION,
        sa=(5.0, 12.0),
        doc="Mean project duration (geometric, at least 2 months).",
    )
    project_cost: float = param(
        20_000.0,
        lo=0.0,
        hi=1e7,
        unit="EUR",
        role=U,
        source=ASSUMPTION,
        sa=(10_000.0, 40_000.0),
        doc="Mean cost of an OI project to the SME (lognormal over projects, log-spread project_cost_sigma): "
        "each SME plans its next project's cost, pays it on starting (net of grants).",
    )
    project_cost_sigma: float = param(
        1.2,
        lo=0.0,
        hi=3.0,
        unit="log units",
        role=U,
        source="innovation vouchers fund EUR 3k-10k projects, ZIM cooperation projects about EUR 300k per partner "
        "(inspire_sim/data/references.toml); spread " + ASSUMPTION,
        sa=(0.8, 1.6),
        doc="Log-spread of project costs: with 1.2 the median project costs 0.49 x project_cost and 2.6% cost "
        "more than 5 x project_cost.",
    )
    gain_cost_elasticity: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="-",
        role=U,
        source=ASSUMPTION + " (larger projects yield more, with diminishing returns)",
        sa=(0.2, 0.8),
        doc="A successful project's gain scales with (its cost / project_cost) ** gain_cost_elasticity.",
    )
    base_success_logit: float = param(
        0.0,
        lo=-5.0,
        hi=5.0,
        unit="logit",
        role=U,
        source="alliance failure 25-55% (SOURCES.md)",
        sa=(-0.6, 0.6),
        doc="Intercept of the project success logit (calibrated to a 45-75% success rate).",
    )
    b_vision: float = param(
        1.2,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=INSPIRE + " (shared vision is a critical success factor)",
        sa=(0.5, 2.0),
        doc="Effect of shared vision on the success logit.",
    )
    b_partnership_model: float = param(
        1.5,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=INSPIRE + " (partnership model); practitioner survey 80% vs 20%",
        sa=(0.5, 2.5),
        doc="Effect of partnership-model quality (soft skills + toolbox) on the success logit.",
    )
    b_stage_fit: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=INSPIRE,
        sa=(0.5, 2.0),
        doc="Effect of the partner type's stage fit on the success logit.",
    )
    b_trust: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=SKIN + "; Cowan, Jonard & Zimmermann 2007",
        sa=(0.5, 2.0),
        doc="Effect of trust on the success logit.",
    )
    b_complementarity: float = param(
        0.8,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source="Cowan, Jonard & Zimmermann 2007",
        sa=(0.3, 1.5),
        doc="Effect of complementarity (partner capability above the SME's own) on the success logit.",
    )
    b_friction: float = param(
        1.0,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=SKIN + " (distance lowers success)",
        sa=(0.5, 2.0),
        doc="Effect of border friction on the success logit.",
    )
    b_strength: float = param(
        0.6,
        lo=0.0,
        hi=5.0,
        unit="logit/unit",
        role=U,
        source=CIS + " (country differences)",
        sa=(0.2, 1.2),
        doc="Effect of the national innovation-system strength on the success logit.",
    )

    # --- outcomes, learning, failure -------------------------------------------------
    gain_mean: float = param(
        0.5,
        lo=0.0,
        hi=10.0,
        unit="stock units",
        role=U,
        source=ASSUMPTION,
        sa=(0.3, 0.8),
        doc="Mean gain of a successful project (lognormal), in resources or business results.",
    )
    gain_sigma: float = param(
        0.8,
        lo=0.0,
        hi=3.0,
        unit="log units",
        role=U,
        source=INSPIRE + " (heavy-tailed outcomes)",
        sa=(0.5, 1.2),
        doc="Log-spread of success gains.",
    )
    results_revenue: float = param(
        2_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/month per result unit",
        role=U,
        source=ASSUMPTION,
        sa=(1_000.0, 4_000.0),
        doc="Monthly cash per unit of business results that an SME can put into OI (its OI budget, not its turnover).",
    )
    turnover_per_result: float = param(
        3_500_000.0,
        lo=0.0,
        hi=1e9,
        unit="EUR/year per result unit",
        role=U,
        source="calibrated: SMEs' innovation turnover / turnover about 0.12 (CIS, estimate; "
        "inspire_sim/data/references.toml eu_innovation_turnover_share)",
        sa=(1_500_000.0, 5_000_000.0),
        doc="Annual innovation turnover (sales of new or improved products) per unit of business results: "
        "business results in EUR.",
    )
    sme_turnover: float = param(
        8_250_000.0,
        lo=1.0,
        hi=1e9,
        unit="EUR/year",
        role=S,
        source="derived from Eurostat SBS: small firms about EUR 5.3 M (estimate), medium firms EUR 26-28 M, "
        "weighted by 1.53 M small and 0.24 M medium enterprises (2021)",
        doc="Mean annual turnover of an SME with 10-249 persons employed (the denominator of the innovation "
        "turnover share).",
    )
    valuation_multiple: float = param(
        7.1,
        lo=0.0,
        hi=100.0,
        unit="x annual innovation turnover",
        role=U,
        source="median EV / revenue of public software companies, 2023 (SaaS Capital index; 24x at the 2021 peak)",
        sa=(4.0, 12.0),
        doc="Valuation of an SME as a multiple of its annual innovation turnover.",
    )
    unicorn_valuation: float = param(
        1e9,
        lo=0.0,
        hi=1e12,
        unit="EUR",
        role=S,
        source="definition of a unicorn (valuation of USD/EUR 1 bn; Dealroom uses USD 1 bn)",
        doc="An SME is a unicorn once its valuation (innovation turnover x valuation_multiple) passes this.",
    )
    learning_per_project: float = param(
        0.05,
        lo=0.0,
        hi=1.0,
        unit="skill units",
        role=U,
        source=INSPIRE + " (learning stock)",
        sa=(0.02, 0.1),
        doc="Technical and soft-skill learning from every project, success or failure.",
    )
    false_failure_prob: float = param(
        0.04,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE + " (false failures are rare)",
        sa=(0.02, 0.08),
        doc="Probability that a failed project is a false failure.",
    )
    false_failure_jump: float = param(
        0.6,
        lo=0.0,
        hi=5.0,
        unit="skill units",
        role=U,
        source=INSPIRE + " (their impact is very large)",
        sa=(0.3, 1.0),
        doc="Learning jump of a false failure (vs learning_per_project for others).",
    )
    latent_surface_rate: float = param(
        0.03,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=U,
        source=INSPIRE + " (value surfaces later)",
        sa=(0.01, 0.06),
        doc="Monthly probability that a false failure's latent value surfaces as resources/results.",
    )
    failure_confidence_hit: float = param(
        0.65,
        lo=0.0,
        hi=1.0,
        unit="confidence",
        role=U,
        source=INSPIRE + " (failure undermines confidence); sized so that about 43% of failures leave the SME below "
        "min_confidence_to_search, as GEM's fear-of-failure rate (42% of adults who see a good opportunity would "
        "not act for fear of failure, 2019; 47% in 2024; EU 40.7% in 2014; references.toml gem_fear_of_failure_2019, "
        "gem_fear_of_failure_eu_2014)",
        sa=(0.45, 0.85),
        doc="Confidence lost on a failure by an SME with zero resilience.",
    )
    confidence_recovery: float = param(
        0.03,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=U,
        source=ASSUMPTION,
        sa=(0.015, 0.06),
        doc="Monthly recovery of confidence toward 1 (scaled up by resilience).",
    )
    min_confidence_to_search: float = param(
        0.45,
        lo=0.0,
        hi=1.0,
        unit="confidence",
        role=U,
        source=ASSUMPTION,
        sa=(0.3, 0.6),
        doc="Below this confidence an SME does not seek partners.",
    )
    resilience_alpha: float = param(
        2.0,
        lo=0.1,
        hi=20.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Beta(alpha, beta) distribution of the resilience trait: alpha.",
    )
    resilience_beta: float = param(
        2.0,
        lo=0.1,
        hi=20.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Beta(alpha, beta) distribution of the resilience trait: beta.",
    )
    trust_gain: float = param(
        0.1,
        lo=0.0,
        hi=1.0,
        unit="trust",
        role=U,
        source=SKIN + " (+0.1 on joint success)",
        sa=(0.05, 0.2),
        doc="Trust added to a pair on joint success.",
    )
    trust_loss: float = param(
        0.05,
        lo=0.0,
        hi=1.0,
        unit="trust",
        role=U,
        source=SKIN + " (-0.05 on failure)",
        sa=(0.02, 0.1),
        doc="Trust removed from a pair on failure.",
    )
    trust_drift: float = param(
        0.01,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=U,
        source=SKIN + " (drift back to neutral)",
        sa=(0.005, 0.03),
        doc="Monthly drift of trust back toward neutral.",
    )

    # --- lifecycle ---------------------------------------------------------------------
    development_threshold: float = param(
        1.0,
        lo=0.0,
        hi=100.0,
        unit="resource units",
        role=U,
        source=ASSUMPTION,
        sa=(0.7, 1.5),
        doc="Resources needed to move from exploration to development.",
    )
    scaling_threshold: float = param(
        2.5,
        lo=0.0,
        hi=100.0,
        unit="resource units",
        role=U,
        source=INSPIRE + " (resources are a stopover)",
        sa=(1.8, 3.5),
        doc="Resources needed to move from development to scaling-up.",
    )
    commercialisation_threshold: float = param(
        1.5,
        lo=0.0,
        hi=100.0,
        unit="result units",
        role=U,
        source=INSPIRE + " (the destination is business results)",
        sa=(1.0, 2.5),
        doc="Business results needed to move from scaling-up to commercialisation.",
    )
    resource_focus_results_share: float = param(
        0.15,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=U,
        source=INSPIRE + " (resource-focused SMEs: little business impact)",
        sa=(0.05, 0.3),
        doc="Share of a market-stage success that a resource-focused SME turns into business results.",
    )
    business_model_revision_cost: float = param(
        50_000.0,
        lo=0.0,
        hi=1e7,
        unit="EUR",
        role=U,
        source=INSPIRE + " (revising business model at scaling-up)",
        sa=(20_000.0, 100_000.0),
        doc="Cash cost of revising the business model on entering scaling-up.",
    )
    scaleup_partner_drop: float = param(
        0.85,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE + " (leaving trusted partners whose skills no longer fit)",
        sa=(0.6, 0.95),
        doc="Probability of dropping each trusted partner whose type fits scaling-up poorly.",
    )
    breakthrough_prob: float = param(
        0.07,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE + " (a disruptive innovation can make a unicorn); set so that unicorns per SME over ten "
        "years are about 1e-4 (EU-27: 120-220 unicorns a decade, references.toml eu27_unicorns_per_decade)",
        sa=(0.03, 0.15),
        doc="Chance that a success of a disruptive SME in commercialisation (or a resource-focused disruptive SME "
        "in scaling-up) is a breakthrough: a heavy-tailed (Pareto) jump in business results.",
    )
    breakthrough_pareto_alpha: float = param(
        1.1,
        lo=0.3,
        hi=5.0,
        unit="-",
        role=U,
        source=ASSUMPTION,
        sa=(0.8, 1.6),
        doc="Tail index of breakthrough results (Pareto, scaled by breakthrough_scale).",
    )
    breakthrough_scale: float = param(
        10.0,
        lo=0.0,
        hi=1e4,
        unit="result units",
        role=U,
        source=ASSUMPTION + "; with turnover_per_result, a breakthrough adds at least EUR 35 M of annual innovation "
        "turnover (valuation about EUR 0.25 bn): only the tail makes unicorns",
        sa=(5.0, 20.0),
        doc="Minimum business results a breakthrough adds.",
    )

    # --- cash, entry, exit -------------------------------------------------------------
    initial_cash_mean: float = param(
        150_000.0,
        lo=0.0,
        hi=1e9,
        unit="EUR",
        role=S,
        source=ASSUMPTION,
        doc="Mean initial cash of an SME (lognormal with log-spread initial_cash_sigma).",
    )
    margin_mean: float = param(
        1_500.0,
        lo=-1e6,
        hi=1e6,
        unit="EUR/month",
        role=U,
        source=ASSUMPTION,
        sa=(500.0, 3_000.0),
        doc="Mean monthly operating margin (cash burn when negative), per SME, normal.",
    )
    margin_sd: float = param(
        4_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/month",
        role=U,
        source=ASSUMPTION,
        sa=(2_000.0, 6_000.0),
        doc="Spread of monthly operating margins across SMEs.",
    )

    # --- failure, learning curve, transition, country size ------------------------------
    abandon_prob: float = param(
        0.25,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE
        + " (failure undermines confidence in collaboration); x mean fragility 0.5: about 13-15% of failures end in "
        "abandonment, the order of the 14% of R&D-cooperating firms that abandoned or delayed a project over "
        "partnership difficulties (Lhuillery & Pfister 2009, French CIS2; references.toml "
        "lhuillery_pfister_2009_coop_failures)",
        sa=(0.1, 0.5),
        doc="Probability that an SME with zero resilience abandons OI after a first failure "
        "(x (1 - resilience) x (1 + abandon_streak_effect x (failures in a row - 1))).",
    )
    abandon_streak_effect: float = param(
        0.5,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=U,
        source=INSPIRE + " (repeated failures); value assumed",
        sa=(0.0, 1.5),
        doc="How much each further failure in a row raises the abandonment probability.",
    )
    abandon_return_rate: float = param(
        0.04,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=U,
        source=ASSUMPTION,
        sa=(0.005, 0.06),
        doc="Monthly probability that an SME that abandoned OI takes it up again (x the recovery boost of support).",
    )
    coop_persistence: float = param(
        5.0,
        lo=1.0,
        hi=20.0,
        unit="x",
        role=U,
        source="Srholec (2016), Prague Economic Papers 25(1):53-70 (strong true state dependence of cooperation "
        "on innovation in five CIS waves; references.toml srholec_2016_persistence); multiplier an estimate",
        sa=(2.0, 8.0),
        doc="SMEs that cooperated within persistence_window months search this many times as often (OI is a "
        "habit: cooperation persists); a failure breaks the habit only through confidence and abandonment.",
    )
    persistence_window: int = param(
        12,
        lo=1,
        hi=120,
        unit="months",
        role=S,
        source="estimate: one year, the reference window of a CIS cooperation question",
        doc="Months after its last OI activity in which an SME still searches at the persistent rate.",
    )
    failure_tie_break: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source="Lunnan & Haugland (2008), SMJ 29(5):545-556 (34 of 100 alliances ended within 5 years, 25 "
        "prematurely: ~8%/year); Reuer & Zollo (2005), Research Policy 34:101-115 (34% of terminated research "
        "alliances ended as failures); references.toml lunnan_haugland_2008_termination, "
        "reuer_zollo_2005_termination; value an estimate that gives churn of that order",
        sa=(0.2, 0.8),
        doc="Probability that the lead SME ends the relationship with the partner of a failed project (forgets it).",
    )
    novice_penalty: float = param(
        0.5,
        lo=0.0,
        hi=5.0,
        unit="logit",
        role=U,
        source=INSPIRE + " (a long road with few early wins); value assumed",
        sa=(0.0, 1.0),
        doc="Learning curve: the success logit of an SME's project falls by novice_penalty / (1 + past attempts).",
    )
    focus_switch_prob: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=INSPIRE + " (generating resources is a stopover; the destination is business results)",
        sa=(0.2, 0.8),
        doc="Probability that a resource-focused SME entering scaling-up switches focus to business results "
        "(revising its business model and dropping unfit partners).",
    )
    home_bias_size_elasticity: float = param(
        0.21,
        lo=0.0,
        hi=2.0,
        unit="-",
        role=U,
        source=CIS
        + " 2006-08 and 2008-10 (innovators with a European partner: SI 35%, EE 33%, BE 30% vs ES and IT 4%, "
        "DE 7%; references.toml eu_cis2008_european_partner_by_country); " + CALIBRATED,
        sa=(0.0, 0.5),
        doc="Domestic share of chance encounters = home_bias x (country SMEs / largest country's SMEs)^elasticity.",
    )
    pool_search_elasticity: float = param(
        0.18,
        lo=0.0,
        hi=2.0,
        unit="-",
        role=U,
        source=CIS
        + " 2006-08 (innovative SMEs collaborating with others: DK 22.7%, EE 22.3%, CY 21.3% of SMEs vs DE 9.0%, "
        "IT 6.0%, ES 5.3%; World Bank, Golden Growth 2012, table 5.1); small innovation systems rely on "
        "collaboration to make up for limited resources (Roolaht 2012; Asikainen 2016; references.toml "
        "wb_golden_growth_table_5_1, small_country_innovation_systems); " + CALIBRATED,
        sa=(0.0, 0.6),
        doc="Search scales with (country SMEs / the SME-weighted geometric mean over countries)^-elasticity: SMEs "
        "of small home markets find fewer complementary resources in house and at home, and cooperate more.",
    )
    language_friction: float = param(
        0.7,
        lo=0.0,
        hi=1.0,
        unit="x",
        role=U,
        source="Egger & Lassmann (2012), Economics Letters 116:221-224: a common language raises bilateral trade "
        "by 44% (meta-analysis of 701 estimates), so 1/1.44 ~ 0.7 (the transfer from trade to OI partnerships "
        "is an estimate; references.toml egger_lassmann_2012_common_language); official languages: " + COUNTRY_TABLE,
        sa=(0.4, 1.0),
        doc="Border friction and foreign search cost between countries that share an official language, as a "
        "multiple of the others' (1 = no language effect).",
    )

    # --- regional and sectoral innovation systems ------------------------------------------
    local_bias: float = param(
        0.35,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=ASSUMPTION + " (proximity: SMEs' innovation partners are often in their own region)",
        sa=(0.15, 0.6),
        doc="Probability that a domestic chance encounter is drawn from the SME's own region (else anywhere in "
        "the country).",
    )
    border_bias: float = param(
        0.3,
        lo=0.0,
        hi=1.0,
        unit="probability",
        role=U,
        source=ASSUMPTION + " (cross-border regions: Interreg cooperation)",
        sa=(0.1, 0.5),
        doc="Probability that a foreign chance encounter of an SME in a border region is with a region touching "
        "it across the border (else anywhere abroad).",
    )
    neighbour_friction: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="x",
        role=U,
        source=ASSUMPTION + " (neighbouring regions share markets and often a language)",
        sa=(0.3, 0.8),
        doc="Border friction and foreign search cost between regions that touch across a border, as a multiple "
        "of the countries'.",
    )
    search_cost_region: float = param(
        0.03,
        lo=0.0,
        hi=5.0,
        unit="attractiveness",
        role=U,
        source=ASSUMPTION + " (a partner in the SME's own region is nearer)",
        sa=(0.0, 0.1),
        doc="Extra search cost of a domestic candidate outside the SME's own region.",
    )
    regional_partner_concentration: float = param(
        2.0,
        lo=0.0,
        hi=10.0,
        unit="-",
        role=S,
        source="public research and large firms concentrate in strong regions (RIS); value " + ASSUMPTION,
        doc="Research organisations and large firms are located in a country's regions in proportion to SMEs x "
        "exp(this x (region strength - the country's mean region strength)).",
    )
    sector_search_effect: float = param(
        1.0,
        lo=0.0,
        hi=3.0,
        unit="-",
        role=U,
        source=CIS + " cooperation by sector (sectors.csv)",
        sa=(0.5, 1.5),
        doc="Search scales with (the sector's CIS cooperation share / the SME-weighted mean) ** this.",
    )

    # --- warm-up and structural constants of initialisation and rules ----------------------
    burn_in: int = param(
        36,
        lo=0,
        hi=600,
        unit="months",
        role=S,
        source=ASSUMPTION + " (the cooperating share settles within about 24 months)",
        doc="Months simulated before reporting month 1, without policies, so outputs leave out the start-up ramp.",
    )
    persona_culture_weight: float = param(
        0.5,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Weight of the national culture vector in a manager's persona (managers of one country are alike).",
    )
    vision_sector_weight: float = param(
        0.8,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Weight of the sector vector in an SME's strategic vision (SMEs of one sector share part of it).",
    )
    capability_peer_a: float = param(
        2.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of SME peers: a."
    )
    capability_peer_b: float = param(
        3.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of SME peers: b."
    )
    capability_psr_a: float = param(
        6.0,
        lo=0.1,
        hi=50.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Beta(a, b) capability of research organisations: a.",
    )
    capability_psr_b: float = param(
        2.0,
        lo=0.1,
        hi=50.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Beta(a, b) capability of research organisations: b.",
    )
    capability_large_firm_a: float = param(
        5.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of large firms: a."
    )
    capability_large_firm_b: float = param(
        2.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of large firms: b."
    )
    capability_crowd_a: float = param(
        2.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of the crowd: a."
    )
    capability_crowd_b: float = param(
        5.0, lo=0.1, hi=50.0, unit="-", role=S, source=ASSUMPTION, doc="Beta(a, b) capability of the crowd: b."
    )
    sme_capability_base: float = param(
        0.2,
        lo=0.0,
        hi=1.0,
        unit="capability",
        role=S,
        source=ASSUMPTION,
        doc="Capability an SME brings as a partner before learning: base + technical learning stock (capped at 1).",
    )
    initial_cash_sigma: float = param(
        0.8, lo=0.0, hi=3.0, unit="log units", role=S, source=ASSUMPTION, doc="Log-spread of initial cash (lognormal)."
    )
    initial_confidence_min: float = param(
        0.6,
        lo=0.0,
        hi=1.0,
        unit="confidence",
        role=S,
        source=ASSUMPTION,
        doc="Initial confidence is uniform between this and 1.",
    )
    initial_learning_max: float = param(
        0.3,
        lo=0.0,
        hi=1.0,
        unit="skill units",
        role=S,
        source=ASSUMPTION,
        doc="Initial technical and soft-skill stocks are uniform between 0 and this.",
    )
    initial_resource_bands: list[float] = Field(
        default=[0.8, 0.9, 1.0, 2.0],
        min_length=4,
        max_length=4,
        description="Initial resources by stage: exploration up to [0] x development_threshold; development from "
        "that threshold up to [1] x scaling_threshold; scaling-up and commercialisation scaling_threshold plus up "
        "to [2] and [3] resource units.",
        json_schema_extra={"unit": "-", "role": "structural", "source": ASSUMPTION},
    )
    initial_results_bands: list[float] = Field(
        default=[0.2, 0.8, 2.0],
        min_length=3,
        max_length=3,
        description="Initial business results by stage (before the focus factor): development up to [0] units; "
        "scaling-up up to [1] x commercialisation_threshold; commercialisation from that threshold up to [2] x it.",
        json_schema_extra={"unit": "-", "role": "structural", "source": ASSUMPTION},
    )
    success_confidence_boost: float = param(
        0.2,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=INSPIRE + " (success builds confidence); share assumed",
        doc="Share of the gap to full confidence a success closes.",
    )
    recovery_resilience_floor: float = param(
        0.5,
        lo=0.0,
        hi=5.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Confidence recovery scales with (floor + resilience): resilient SMEs recover (1 + floor) / floor faster.",
    )
    search_cost_offset: float = param(
        1.5,
        lo=1.0,
        hi=5.0,
        unit="-",
        role=S,
        source=ASSUMPTION,
        doc="Search scales with (offset - share of the project cost the SME pays itself): grants make OI affordable.",
    )
    retry_window: int = param(
        12,
        lo=1,
        hi=120,
        unit="months",
        role=S,
        source=ASSUMPTION,
        doc="A new project within this many months of a failure counts as a retry.",
    )
    scaleup_fit_threshold: float = param(
        0.75,
        lo=0.0,
        hi=1.0,
        unit="fit",
        role=S,
        source=INSPIRE + " (partners whose skills no longer fit)",
        doc="Trusted partners whose stage fit at scaling-up is below this may be dropped on entering scaling-up.",
    )
    results_share_development: float = param(
        0.1,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=INSPIRE + " (resources are a stopover); share assumed",
        doc="Share of a development-stage success that becomes business results (exploration: 0).",
    )
    results_share_scaling: float = param(
        0.6,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=S,
        source=INSPIRE + " (market stages build results); share assumed",
        doc="Share of a scaling-up success that becomes business results (commercialisation: 1).",
    )

    @model_validator(mode="after")
    def _check_shares(self) -> ModelParams:
        total = self.share_psr + self.share_large_firm + self.share_crowd + self.share_peer
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"share_psr + share_large_firm + share_crowd + share_peer = {total:.3f}; "
                "they must add up to 1 (fix: rescale them)"
            )
        s = sum(self.initial_stage_shares)
        if abs(s - 1.0) > 1e-6 or min(self.initial_stage_shares) < 0:
            raise ValueError(f"initial_stage_shares add up to {s:.3f}; give four non-negative shares adding up to 1")
        if not (self.development_threshold <= self.scaling_threshold):
            raise ValueError("development_threshold must not exceed scaling_threshold")
        return self


class Country(Strict):
    """A national innovation system: size, strength, cultural position, innovation activity, regions.

    A scenario usually takes countries from the shipped table (``countries = "EU27"``, a list
    of codes, or ``[[countries]]`` with a ``code``; :mod:`inspire_sim.core.countries`); the
    defaults below apply only to a country written out in full without a code.
    """

    name: str = Field(min_length=1, description="Country name (unique).")
    code: str | None = Field(
        None, description="Eurostat country code (EL = Greece); fills the other fields from the table."
    )
    smes: float = Field(
        100_000.0,
        gt=0,
        description="Real number of SMEs the country stands for (10-249 persons employed); simulated SMEs are "
        "allocated in proportion (at least one each) and each carries the weight represented / simulated.",
        json_schema_extra={"unit": "SMEs", "role": "structural", "source": SBS + "; " + COUNTRY_TABLE},
    )
    strength: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Innovation-system strength (0 weak, 1 strong): (EIS summary innovation index - 25) / 125.",
        json_schema_extra={
            "unit": "index",
            "role": "structural",
            "source": "European Innovation Scoreboard 2024 summary innovation index; " + COUNTRY_TABLE,
        },
    )
    culture: list[float] = Field(
        [0.0, 0.0],
        min_length=2,
        max_length=2,
        description="Position in a 2-D cultural space (Hofstede power distance and uncertainty avoidance / 100); "
        "distance = psychological distance.",
        json_schema_extra={
            "unit": "-",
            "role": "structural",
            "source": "Hofstede et al. (2010) power distance and uncertainty avoidance; " + COUNTRY_TABLE,
        },
    )
    innovation_active_share: float = Field(
        0.503,
        ge=0.0,
        le=1.0,
        description="Share of the country's SMEs that are innovation-active and may seek OI partners.",
        json_schema_extra={
            "unit": "share",
            "role": "structural",
            "source": CIS + " 2020 by country (EU 2016-18: 50.3%); " + COUNTRY_TABLE,
        },
    )
    languages: list[str] = Field(
        default_factory=list,
        description="Official languages; countries that share one have less border friction (language_friction).",
        json_schema_extra={
            "unit": "-",
            "role": "structural",
            "source": "EU official languages of the member state (Council Regulation No 1/1958 as amended); "
            + COUNTRY_TABLE,
        },
    )
    regions: list[str] | None = Field(
        None,
        description="Region codes: a country from the table has its NUTS-2 regions (regions.csv); a country "
        "written out in full gets three regions '<name>-1/2/3' unless it lists its own.",
    )

    @property
    def region_names(self) -> list[str]:
        return self.regions if self.regions else [f"{self.name}-{k}" for k in (1, 2, 3)]


# ----------------------------------------------------------------------------------------
# Policy levers
# ----------------------------------------------------------------------------------------

STAGE_NAMES = ("exploration", "development", "scaling_up", "commercialisation")


class PolicyParams(Strict):
    """Targeting, timing and budget shared by every lever."""

    kind: str
    label: str | None = Field(None, description="Optional name shown in reports.")
    countries: Literal["all"] | list[str] = Field("all", description='Country names, or "all".')
    regions: list[str] | None = Field(
        None, description="Restrict to these NUTS-2 regions, by code (regional innovation systems)."
    )
    region_groups: list[Literal["leader", "strong", "moderate", "emerging"]] | None = Field(
        None,
        description="Restrict to regions of these Regional Innovation Scoreboard groups, e.g. "
        '["moderate", "emerging"] for "modest and moderate innovators".',
    )
    sectors: list[str] | None = Field(None, description="Restrict to these sectors (sectoral innovation systems).")
    start: int = Field(0, ge=0, description="First reporting month the measure is active (inclusive, 0-based).")
    end: int | None = Field(None, ge=0, description="Reporting month the measure stops (exclusive); none = to the end.")
    budget_per_step: float | None = Field(
        None,
        ge=0,
        description="Spending cap per month, real EUR for the represented population (none = no cap).",
        json_schema_extra={"unit": "EUR/month", "role": "lever", "source": ASSUMPTION},
    )
    total_budget: float | None = Field(
        None,
        ge=0,
        description="Spending cap over the reporting period, real EUR (none = no cap).",
        json_schema_extra={"unit": "EUR", "role": "lever", "source": ASSUMPTION},
    )

    @model_validator(mode="after")
    def _check_window(self) -> PolicyParams:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start}) (fix: set end > start or omit it)")
        return self


# ----------------------------------------------------------------------------------------
# The parameter table: one row per parameter, read by CLI, SALib, the app and docs. This module
# knows how to tabulate parameter classes; the table over the model and every loaded lever is
# assembled where the levers are loaded (inspire_sim.levers.registry), never here.
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """Everything known about one parameter, read from its single definition."""

    name: str  # dotted: "model.n_smes" or "support_funding.grant_size"
    group: str  # "model" or a lever kind
    field: str
    default: Any
    unit: str
    role: str
    source: str
    doc: str
    lo: float | None
    hi: float | None
    sa_range: tuple[float, float] | None
    integer: bool

    @property
    def short(self) -> str:
        return self.field if self.group == "model" else self.name


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", lo) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", hi) if getattr(m, "le", None) is not None else hi
        hi = getattr(m, "lt", hi) if getattr(m, "lt", None) is not None else hi
    return lo, hi


def _specs_of(cls: type[BaseModel], group: str) -> list[ParamSpec]:
    out = []
    for fname, info in cls.model_fields.items():
        extra: dict[str, Any] = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "role" not in extra:
            continue
        lo, hi = _bounds(info)
        sa = extra.get("sa_range")
        default = info.get_default(call_default_factory=True)
        out.append(
            ParamSpec(
                name=f"{group}.{fname}",
                group=group,
                field=fname,
                default=default,
                unit=extra["unit"],
                role=extra["role"],
                source=extra["source"],
                doc=info.description or "",
                lo=lo,
                hi=hi,
                sa_range=tuple(sa) if sa else None,
                integer=info.annotation is int,
            )
        )
    return out


def tabulate(levers: Mapping[str, type[BaseModel]]) -> list[ParamSpec]:
    """Every parameter: the model's, then each of ``levers``' (params classes by kind, in order)."""
    specs = _specs_of(ModelParams, "model")
    for kind, cls in levers.items():
        specs += _specs_of(cls, kind)
    return specs


def by_name(specs: list[ParamSpec]) -> dict[str, ParamSpec]:
    """``specs`` keyed by dotted name; model parameters also by their bare field name."""
    out: dict[str, ParamSpec] = {}
    for s in specs:
        out[s.name] = s
        if s.group == "model":
            out[s.field] = s
    return out

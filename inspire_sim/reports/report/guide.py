"""Plain-language guide texts of the comparison report, keyed by indicator name.

:data:`GUIDE` maps an indicator name (as in :data:`inspire_sim.core.metrics.INDICATORS`) to its reader's
title and explanation; :data:`UNCERTAINTY_GUIDE` explains the statistics. Kept apart from the
rendering so they can be attached to the indicator registry.
"""

from __future__ import annotations

GUIDE: dict[str, tuple[str, str]] = {
    "cooperating_share": (
        "Cooperating SMEs",
        "Share of SMEs that took part in at least one open-innovation (OI) project in the last 12 months "
        "(the Community Innovation Survey's 'cooperating'). Read changes in percentage points (pp): "
        "+2 pp means two more SMEs in every hundred cooperate.",
    ),
    "cross_border_share": (
        "Cooperating SMEs with a foreign partner",
        "Among the cooperating SMEs, the share with a partner in another country: the 'national trap' "
        "indicator. It is a share of cooperating SMEs, so it can rise when cooperation grows abroad or when "
        "domestic-only cooperation shrinks; read it together with the cooperating share.",
    ),
    "new_partnerships": (
        "New OI projects per month",
        "OI projects started per month, averaged over the run (one project = one lead SME with one partner).",
    ),
    "new_cross_border": (
        "New cross-border projects per month",
        "OI projects with a partner in another country started per month, averaged over the run.",
    ),
    "successes": (
        "Successful projects per month",
        "Projects that ended in success per month, averaged over the run. The cost-effectiveness table "
        "uses the total over the run.",
    ),
    "project_success_rate": (
        "Project success rate",
        "Share of the projects resolved in the last 12 months that succeeded. Quality rather than quantity: "
        "a measure that brings many first-time collaborators can raise the number of successes while the "
        "rate falls.",
    ),
    "scaling_up_reached": (
        "SMEs that reached scaling-up",
        "SMEs that entered the scaling-up stage at some time during the run (a running total).",
    ),
    "mean_confidence": (
        "Confidence in collaboration",
        "Average confidence of SMEs in collaborating (0 to 1). Failed projects lower it; failure-recovery "
        "support helps it come back; SMEs with low confidence stop looking for partners.",
    ),
    "retry_rate_after_failure": (
        "Retry after failure",
        "Share of failed projects followed by a new project of the same SME within 12 months: the "
        "resilience of the ecosystem (success often takes several attempts).",
    ),
    "innovation_turnover": (
        "Innovation turnover",
        "Annual sales of new or improved products of all SMEs at the end, in EUR a year (business results x "
        "turnover_per_result). Heavy-tailed: one breakthrough can dominate a run, so this indicator is noisy; "
        "trust a change only when its interval excludes zero.",
    ),
    "exits": (
        "SME exits per month",
        "SMEs that ran out of cash per month (lower is better); each is replaced by a new SME.",
    ),
    "spend_total": (
        "Public spending",
        "Spending of all support measures over the whole run, in EUR (what the plan costs).",
    ),
}

UNCERTAINTY_GUIDE = [
    (
        "Replications",
        "Each scenario was simulated {R} times with different random seeds. The same {R} seeds were used for every "
        "scenario, so replication r of a plan and replication r of the baseline meet the same chance events "
        "(common random numbers): their difference is the effect of the plan alone. The effect shown is the "
        "average of these {R} paired differences.",
    ),
    (
        "95% confidence interval (CI)",
        "The range of effects compatible with the simulations. When it lies entirely above or below zero the "
        "effect is clear (statistically); when it contains zero the effect is unclear: the plan may help a little, "
        "harm a little or do nothing, and more replications narrow the interval.",
    ),
    (
        "Reading: clear and relevant",
        "Each effect is read twice. Clear: its 95% CI excludes zero. Relevant: it is at least as large as a "
        "practical-relevance threshold (1 percentage point for shares, 5% of the baseline value for counts, as "
        "for the policy goals). 'clear gain' / 'clear loss' means both (in the better / worse direction); 'clear "
        "but small' means a real but practically negligible change; 'unclear' means the CI contains zero.",
    ),
    (
        "Unpaired CI",
        "The interval the same runs would give without pairing (as if plan and baseline had been simulated with "
        "unrelated seeds). The paired interval is usually much narrower: pairing removes the chance differences "
        "between runs.",
    ),
    (
        "What the intervals do not cover",
        "They measure simulation noise only. They do not cover uncertainty about the model's assumptions "
        "(behavioural rules, parameter values, costs); use `inspire-sim sensitivity` for those. Read the results "
        "as a comparison of plans under the same assumptions, not as a forecast.",
    ),
    (
        "Cost per additional unit",
        "Extra spending of the plan over the baseline divided by the extra outcomes over the whole run (for "
        "example EUR per additional successful OI project). Its interval comes from a bootstrap over the paired "
        "replications. 'no upper bound' means the gain could be zero; 'no gain' means the plan produced no more "
        "than the baseline, so a cost per unit would be meaningless; 'saves money' means it gained and cost less.",
    ),
    (
        "Scale",
        "{N} SMEs were simulated over {T} months; each stands for a number of real SMEs of its country, so counts "
        "and costs are shown for the real population ({REAL} SMEs) and budgets are the scenario files' real EUR. "
        "Compare plans with each other: the counts are model estimates, not forecasts of EU totals.",
    ),
]


def guide_title(name: str) -> str:
    """The reader's title of an indicator (its real-units twin ``<name>_real`` shares the title)."""
    from ...core.metrics import REAL_SUFFIX

    base = name.removesuffix(REAL_SUFFIX)
    return GUIDE.get(base, (base.replace("_", " "), ""))[0]

"""The one place where the app reads the model's internals.

Everything the classroom app shows comes either from the public API (``load_scenario``,
``InspireModel(scenario, seed=...)``, ``model.step()``, ``model.recorder``,
``model.inspire_scenario``, :mod:`inspire_sim.core.params`) or from the functions here, which
read the model's arrays (``model.sme``, ``model.actors``, ``model.projects``). When the
model's internals are renamed, only this module changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.agents import PartnerType, Stage

PTYPE_TEXT = {
    PartnerType.SME_PEER: "an SME peer",
    PartnerType.PSR: "a research organisation",
    PartnerType.LARGE_FIRM: "a large firm",
    PartnerType.CROWD: "the crowd",
}
"""How a partner type reads in a sentence."""

STAGE_TEXT = {s: s.label.replace("_", "-") for s in Stage}
"""Stage names as text (``scaling-up``)."""


# ------------------------------------------------------------------ sizes and names


def n_smes(model: Any) -> int:
    """SME slots of the model (constant during a run: an exiting SME's slot goes to an entrant)."""
    return int(model.n)


def n_actors(model: Any) -> int:
    """SMEs plus non-SME partners."""
    return int(model.m)


def real_per_sme(model: Any) -> float:
    """Real SMEs one simulated SME stands for, on average (the represented population / simulated SMEs)."""
    return float(model.world.mean_weight)


def country_names(model: Any) -> list[str]:
    """Country names in the model's order."""
    return list(model.country_names)


def actor_country(model: Any) -> np.ndarray:
    """Country index of every actor (SMEs first)."""
    return np.asarray(model.actors.country, dtype=np.int64)


def region_group_of_smes(model: Any) -> tuple[np.ndarray, list[str]]:
    """Regional Innovation Scoreboard group (index) of every SME slot's NUTS-2 region, and the group names."""
    from ..core.regions import GROUPS

    geo = model.world.geo
    region = np.asarray(model.sme.region[: n_smes(model)], dtype=np.int64)
    return np.asarray(geo.region_group, dtype=np.int64)[region], list(GROUPS)


def sector_of_smes(model: Any) -> tuple[np.ndarray, list[str]]:
    """Sector (index) of every SME slot, and the sector names."""
    return np.asarray(model.sme.sector[: n_smes(model)], dtype=np.int64), list(model.world.geo.sector_names)


def partner_type(model: Any) -> np.ndarray:
    """Partner type of every actor (SME slots included; only rows >= n_smes are partners)."""
    return np.asarray(model.actors.ptype)


def horizon(model: Any) -> int:
    """Months the scenario runs."""
    return int(model.inspire_scenario.params.steps)


def months_done(model: Any) -> int:
    """Months simulated so far (1-based number of the month just finished)."""
    return int(model.time)


# ------------------------------------------------------------------ SMEs


@dataclass(frozen=True)
class SmeState:
    """Per-SME-slot arrays of one month (copies)."""

    uid: np.ndarray
    stage: np.ndarray
    successes: np.ndarray
    failures: np.ndarray
    false_failures: np.ndarray
    stock: np.ndarray  # resources + business results
    confidence: np.ndarray
    learning: np.ndarray  # technical + soft
    innovative: np.ndarray


def sme_state(model: Any) -> SmeState:
    """This month's state of every SME slot."""
    s, n = model.sme, model.n
    return SmeState(
        uid=model.actors.uid[:n].copy(),
        stage=s.stage.copy(),
        successes=s.successes.copy(),
        failures=s.failures.copy(),
        false_failures=s.false_failures.copy(),
        stock=(s.resources + s.results).copy(),
        confidence=s.confidence.astype(np.float32),
        learning=(s.learn_tech + s.learn_soft).astype(np.float32),
        innovative=s.innovative.copy(),
    )


def sme_stage(model: Any) -> np.ndarray:
    """Stage of every SME slot (a view: do not modify)."""
    return model.sme.stage


def actor_uid(model: Any, row: int) -> int:
    """The unique id of actor ``row``."""
    return int(model.actors.uid[row])


def who(model: Any, row: int) -> str:
    """``"SME #12"`` for an SME slot, ``"a research organisation"`` etc. for a partner."""
    if row < model.n:
        return f"SME #{model.actors.uid[row]}"
    return PTYPE_TEXT[PartnerType(int(model.actors.ptype[row]))]


def sme_facts(model: Any, slot: int) -> dict[str, Any]:
    """What the journey panel says about SME ``slot``: the agent's own summary plus cash and entry month."""
    info = dict(model.sme_agents[slot].journey())
    info["cash"] = float(model.sme.cash[slot])
    info["born"] = int(model.sme.born[slot])
    info["stage_index"] = int(model.sme.stage[slot])
    return info


def trusted_partners(model: Any, slot: int) -> list[tuple[str, str, float]]:
    """(who, country, trust) of the SME's remembered partners."""
    s, a = model.sme, model.actors
    out = []
    for j, t in zip(s.mem_partner[slot], s.mem_trust[slot], strict=True):
        if j >= 0:
            name = f"SME #{a.uid[j]}" if j < model.n else PTYPE_TEXT[PartnerType(int(a.ptype[j]))].split(" ", 1)[1]
            out.append((name, model.country_names[a.country[j]], float(t)))
    return out


def memory(model: Any, rows: np.ndarray) -> np.ndarray:
    """Remembered partners of SME ``rows`` (-1 = empty slot), shape (len(rows), memory)."""
    return model.sme.mem_partner[rows]


def partner_busy(model: Any) -> np.ndarray:
    """Whether each actor is in a project this month."""
    return model.actors.load > 0


# ------------------------------------------------------------------ projects


@dataclass(frozen=True)
class Projects:
    """The running projects (one entry per project)."""

    lead: np.ndarray
    partner: np.ndarray
    start: np.ndarray
    end: np.ndarray
    cross_border: np.ndarray
    brokered: np.ndarray
    matchmade: np.ndarray
    funded: np.ndarray


def running_projects(model: Any) -> Projects:
    """The projects running this month."""
    r = model.projects.running
    return Projects(
        lead=r["lead"].astype(np.int64),
        partner=r["partner"].astype(np.int64),
        start=r["start"],
        end=r["end"],
        cross_border=r["cross_border"].astype(bool),
        brokered=r["brokered"].astype(bool),
        matchmade=r["matchmade"].astype(bool),
        funded=r["funded"].astype(bool),
    )


def current_month_index(model: Any) -> int:
    """The 0-based month just simulated (projects' ``start`` uses this clock)."""
    return int(model.month)


def current_projects(model: Any, slot: int) -> list[dict[str, Any]]:
    """Running projects of SME ``slot``, as lead or as partner."""
    r = running_projects(model)
    out = []
    for p in np.flatnonzero((r.lead == slot) | (r.partner == slot)):
        lead = int(r.lead[p]) == slot
        other = int(r.partner[p]) if lead else int(r.lead[p])
        out.append(
            {
                "role": "lead" if lead else "partner",
                "with": who(model, other),
                "country": model.country_names[model.actors.country[other]],
                "cross_border": bool(r.cross_border[p]),
                "ends": int(r.end[p]) + 1,
            }
        )
    return out


# ------------------------------------------------------------------ indicators


def series(model: Any, name: str) -> np.ndarray:
    """Indicator ``name`` month by month so far (from the model's Mesa DataCollector)."""
    return np.asarray(model.datacollector.model_vars.get(name, []), dtype=float)


def latest(model: Any) -> dict[str, float]:
    """This month's indicators (empty before the first step)."""
    return dict(model.recorder.latest)

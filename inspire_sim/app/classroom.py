"""The model as the app runs it: a scenario with the class's slider values, every SME's
journey recorded month by month, the SME the class follows, and milestones to pause at."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.agents import Stage
from ..core.model import InspireModel
from ..core.scenario import Scenario, list_scenarios, load_scenario
from ..errors import InputError, unknown_key_fix
from . import adapter
from .labels import INTENSITY, LEVER_KINDS, SLIDERS, as_number, scenario_value, spec

SCENARIO_NAMES = [p.stem for p in list_scenarios()]
DEFAULT_SCENARIO = "baseline" if "baseline" in SCENARIO_NAMES else (SCENARIO_NAMES[0] if SCENARIO_NAMES else "baseline")
N_SMES_CHOICES = [250, 500, 1000, 2000]  # the EU-27 needs at least one firm in each of its 27 countries
DEFAULT_N_SMES = 500  # a classroom-sized economy (the model's own default is larger)

MILESTONES = {
    "first_failure": "the first project failed",
    "first_cross_border": "the first cross-border project started",
    "first_scaling_up": "the first SME reached the scaling-up stage",
    "first_unicorn": "the first unicorn (an exceptional success)",
}
"""Moments the app can pause at (key -> what happened)."""


def _same(a: float, b: float) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-12))


def classroom_scenario(
    scenario_name: str = DEFAULT_SCENARIO, n_smes: int = DEFAULT_N_SMES, values: dict[str, Any] | None = None
) -> Scenario:
    """The scenario a classroom run uses: ``scenario_name`` with ``n_smes`` and slider values.

    A slider value equal to the scenario's own (:func:`scenario_value`) changes nothing; a
    lever the scenario lacks is added (all countries, parameter defaults) only if its
    on/off parameter is moved above zero.
    """
    scen = load_scenario(scenario_name, n_smes=int(n_smes))
    changed: dict[str, Any] = {}
    for name, value in (values or {}).items():
        if name not in SLIDERS:
            raise InputError("not a classroom slider", field=name, fix=unknown_key_fix(name, SLIDERS))
        value = as_number(value, spec(name).integer)
        if not _same(value, scenario_value(scen, name)):
            changed[name] = value
    present = {p.kind for p in scen.policies}
    for kind in LEVER_KINDS:
        if kind not in present and not changed.get(f"{kind}.{INTENSITY[kind]}"):
            changed = {k: v for k, v in changed.items() if not k.startswith(kind + ".")}
    return scen.with_overrides(changed) if changed else scen


class JourneyBook:
    """Every SME slot's trajectory (stage, confidence, learning) and events, month by month.

    When an SME exits, the entrant taking its slot starts a fresh journey.
    """

    def __init__(self, model: InspireModel) -> None:
        n = adapter.n_smes(model)
        self.stage: list[np.ndarray] = []
        self.confidence: list[np.ndarray] = []
        self.learning: list[np.ndarray] = []
        self.since = np.zeros(n, dtype=np.int64)  # first month index of the slot's occupant
        self.events: dict[int, list[tuple[int, str]]] = {}
        self.n_events = np.zeros(n, dtype=np.int64)
        self.failed = np.zeros(n, dtype=bool)  # the occupant has had a failure
        self._snap = adapter.sme_state(model)

    @property
    def innovative(self) -> np.ndarray:
        """Whether each slot's current SME is innovative (as of the last recorded month)."""
        return self._snap.innovative

    def _add(self, slot: int, month: int, text: str) -> None:
        self.events.setdefault(int(slot), []).append((month, text))
        self.n_events[slot] += 1

    def record(self, model: InspireModel) -> None:
        """Append this month's state and turn its changes into events."""
        month, now, before = adapter.months_done(model), adapter.sme_state(model), self._snap
        k = len(self.stage)
        self.stage.append(now.stage)
        self.confidence.append(now.confidence)
        self.learning.append(now.learning)
        for i in np.flatnonzero(now.uid != before.uid):
            self.events[int(i)] = []
            self.n_events[i] = 0
            self.since[i] = k
            self.failed[i] = False
            self._add(int(i), month, f"entered the economy (replacing SME #{before.uid[i]}, which ran out of cash)")
        same = now.uid == before.uid
        for i in np.flatnonzero(same & (now.successes > before.successes)):
            gain = max(float(now.stock[i] - before.stock[i]), 0.0)
            self._add(int(i), month, f"a project succeeded (+{gain:.2f} resources/results, more trust in the partner)")
        for i in np.flatnonzero(same & (now.failures > before.failures)):
            false = now.false_failures[i] > before.false_failures[i]
            self.failed[i] = True
            self._add(
                int(i),
                month,
                "a project failed"
                + (": a false failure, a big jump in learning" if false else "")
                + f"; confidence down to {now.confidence[i]:.2f}",
            )
        for i in np.flatnonzero(same & (now.stage != before.stage)):
            self._add(int(i), month, f"moved to the {adapter.STAGE_TEXT[Stage(int(now.stage[i]))]} stage")
        self._record_starts(model, month)
        self._snap = now

    def _record_starts(self, model: InspireModel, month: int) -> None:
        r, n = adapter.running_projects(model), adapter.n_smes(model)
        names = adapter.country_names(model)
        country = adapter.actor_country(model)
        for p in np.flatnonzero(r.start == adapter.current_month_index(model)):
            lead, partner = int(r.lead[p]), int(r.partner[p])
            bits = [
                x
                for x, on in (
                    ("cross-border", r.cross_border[p]),
                    ("brokered", r.brokered[p]),
                    ("matchmade", r.matchmade[p]),
                    ("with a grant", r.funded[p]),
                )
                if on
            ]
            self._add(
                lead,
                month,
                f"started an OI project with {adapter.who(model, partner)} in {names[country[partner]]}"
                + (f" ({', '.join(bits)})" if bits else ""),
            )
            if partner < n:
                self._add(partner, month, f"joined {adapter.who(model, lead)}'s project as a partner")

    def trajectory(self, slot: int, what: str) -> list[float]:
        """``what`` ("stage", "confidence", "learning") of the slot's current SME, month by month."""
        rows = getattr(self, what)[int(self.since[slot]) :]
        return [float(x[slot]) for x in rows]


class ClassroomModel(InspireModel):
    """:class:`InspireModel` built from a scenario name, a size, a seed and slider values.

    Args:
        scenario_name: a shipped scenario or a path.
        n_smes: number of SMEs.
        seed: the run's seed.
        **values: slider values by dotted parameter name (see :func:`classroom_scenario`).

    The run stops (``running = False``) at the scenario's horizon. :attr:`journeys`
    records every SME's journey; :attr:`followed` is the SME slot the app follows: until
    the class picks one it moves to an SME with a story (a failure and a new attempt);
    once chosen it stays. :attr:`new_milestones` lists the milestones of the last month.
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        n_smes: int = DEFAULT_N_SMES,
        seed: int = 0,
        **values: Any,
    ) -> None:
        scen = classroom_scenario(scenario_name, n_smes, values)
        super().__init__(scen, seed=int(seed), record_partnerships=False)
        self.scenario_name = scenario_name
        self.slider_values = dict(values)
        self.journeys = JourneyBook(self)
        innovative = np.flatnonzero(self.journeys.innovative)
        self.followed = int(innovative[0]) if len(innovative) else 0
        self.auto_follow = True
        self.milestones: dict[str, int] = {}  # key -> month reached
        self.new_milestones: list[str] = []

    @property
    def month_number(self) -> int:
        """Months simulated so far (the month just finished, 1-based)."""
        return adapter.months_done(self)

    def step(self) -> None:
        """One month, then the journeys, the followed SME and the milestones."""
        super().step()
        self.journeys.record(self)
        if self.auto_follow:
            self._auto_follow()
        self._milestones()
        if self.month_number >= adapter.horizon(self):
            self.running = False

    def _auto_follow(self) -> None:
        book = self.journeys
        if book.failed[self.followed] and book.n_events[self.followed] >= 2:
            return
        storied = book.failed & (book.n_events >= 3)
        if storied.any():
            self.followed = int(np.argmax(np.where(storied, book.n_events, -1)))
        elif book.n_events[self.followed] < 2 and book.n_events.max() > 0:
            self.followed = int(np.argmax(book.n_events))

    def _milestones(self) -> None:
        latest = adapter.latest(self)
        reached = {
            "first_failure": latest.get("failures", 0) > 0,
            "first_cross_border": latest.get("new_cross_border", 0) > 0,
            "first_scaling_up": latest.get("scaling_up_reached", 0) > 0,
            "first_unicorn": latest.get("unicorns", 0) > 0,
        }
        self.new_milestones = [k for k, on in reached.items() if on and k not in self.milestones]
        for k in self.new_milestones:
            self.milestones[k] = self.month_number

    def follow(self, slot: int) -> None:
        """Follow SME slot ``slot`` from now on (stops the automatic choice)."""
        n = adapter.n_smes(self)
        if not 0 <= int(slot) < n:
            raise InputError(f"no SME slot {slot}", field="followed", fix=f"choose 0..{n - 1}")
        self.followed = int(slot)
        self.auto_follow = False

    def follow_candidates(self, k: int = 12) -> list[int]:
        """SME slots worth following: the followed one, then SMEs with a failure, then the most eventful."""
        book = self.journeys
        score = book.n_events + 1000 * book.failed
        ranked = np.argsort(-score, kind="stable")
        if book.n_events.max() == 0:
            ranked = np.concatenate([np.flatnonzero(book.innovative), ranked])
        out = [self.followed]
        for i in ranked:
            if int(i) not in out:
                out.append(int(i))
            if len(out) >= k:
                break
        return out

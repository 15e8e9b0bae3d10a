"""OI toolbox: coaching with the INSPIRE Integrated Toolbox (partnership model and shared vision).

Each month a toolbox programme coaches, within its scaled capacity and budget and in a
random common-random-number order, innovation-active SMEs of its countries whose
coaching gain has faded below ``recoach_below`` of a fresh one. Coaching adds
``partnership_model_gain`` to the SME's partnership-model quality and ``vision_gain`` to
its vision setting (both capped at 1); both gains decay with a half-life of
``half_life_months`` (skills fade unless used; assumption).
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np

from ..core.params import ASSUMPTION, INSPIRE, PolicyParams, Role, param
from ..core.policies import Policy, lever
from ..core.rules import weak
from ..core.state import IntermediaryKind
from ..core.world import World

L = Role.LEVER


class OIToolbox(PolicyParams):
    """Coaching with the INSPIRE Integrated Toolbox: partnership model and shared vision."""

    kind: Literal["oi_toolbox"] = "oi_toolbox"
    capacity: int = param(
        1_000,
        lo=0,
        hi=10_000_000,
        unit="real SMEs/month (targeted countries together)",
        role=L,
        source=INSPIRE + " (Integrated Toolbox); IMP3rove reached 3,500 SMEs in about five years (references.toml "
        "eu_imp3rove_smes_assessed); the number coached a month is an estimate",
        sa=(0, 10_000),
        doc="SMEs coached per month in the targeted countries together, shared by their SMEs.",
    )
    partnership_model_gain: float = param(
        0.3,
        lo=0.0,
        hi=1.0,
        unit="quality",
        role=L,
        source=INSPIRE + " (partnership model is a critical success factor)",
        sa=(0.1, 0.5),
        doc="Partnership-model quality added to a coached SME (capped at 1).",
    )
    vision_gain: float = param(
        0.2,
        lo=0.0,
        hi=1.0,
        unit="alignment",
        role=L,
        source=INSPIRE + " (shared vision setting)",
        sa=(0.05, 0.4),
        doc="Improvement of a coached SME's vision-setting (adds to shared vision with every partner).",
    )
    cost_per_service: float = param(
        5_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/real SME",
        role=L,
        source="coaching at EUR 450-1,000 an adviser day for 3-12 days (references.toml eu_coaching_cost_per_sme)",
        sa=(1_500.0, 12_000.0),
        doc="Cost of coaching one SME.",
    )

    half_life_months: float = param(
        60.0,
        lo=1.0,
        hi=1200.0,
        unit="months",
        role=L,
        source=ASSUMPTION,
        sa=(24.0, 120.0),
        doc="Half-life of coaching gains (partnership model and vision setting).",
    )
    recoach_below: float = param(
        0.1,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=L,
        source=ASSUMPTION,
        sa=(0.0, 0.5),
        doc="An SME may be coached again once its coaching gain has decayed below this share of a fresh one.",
    )


@lever(OIToolbox)
class OIToolboxPolicy(Policy):
    """Coaching with the OI toolbox: partnership-model quality and vision setting, decaying."""

    kind = "oi_toolbox"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    batchable = True
    spec: OIToolbox

    def __init__(self, spec: OIToolbox, world: World, index: int) -> None:
        super().__init__(spec, world, index)
        self.gain_pm = np.zeros(world.n, dtype=np.float32)  # this programme's contribution, decaying
        self.gain_vision = np.zeros(world.n, dtype=np.float32)
        # monthly decay factor: one, or one per run when the runs of a batch differ in half-life
        specs = [cast(OIToolbox, self.spec_of(r)) for r in range(len(self.specs))]
        decays = [np.float32(0.5 ** (1.0 / sp.half_life_months)) for sp in specs]
        self.decay = decays[0]
        self.decay_by_run = None if len(set(decays)) == 1 else np.array(decays, dtype=np.float32)

    def open_month(self, world: World, month: int) -> None:
        s = world.sme
        held = np.flatnonzero(self.gain_pm > 0)
        if len(held):
            old_pm, old_v = self.gain_pm[held], self.gain_vision[held]
            decay = self.decay if self.decay_by_run is None else self.decay_by_run[world.sme_run[held]]
            self.gain_pm[held] *= decay
            self.gain_vision[held] *= decay
            s.toolbox[held] = np.maximum(s.toolbox[held] - (old_pm - self.gain_pm[held]), 0.0)
            s.vision_align[held] = np.maximum(s.vision_align[held] - (old_v - self.gain_vision[held]), 0.0)
        super().open_month(world, month)

    def apply(self, world: World, month: int) -> None:
        s = world.sme
        run = world.sme_run
        below = self.value("recoach_below", run) * self.value("partnership_model_gain", run)
        faded = s.toolbox <= weak(below, s.toolbox)
        eligible = np.flatnonzero(self.sme_mask & s.innovative & faded)
        priority = self.random(world, "", month)[eligible]
        chosen = self.serve(world, eligible, priority, month)
        pm_gain, v_gain = self.value("partnership_model_gain", run[chosen]), self.value("vision_gain", run[chosen])
        new_pm = np.minimum(1.0, s.toolbox[chosen] + weak(pm_gain, s.toolbox))
        new_v = np.minimum(1.0, s.vision_align[chosen] + weak(v_gain, s.vision_align))
        self.gain_pm[chosen] += new_pm - s.toolbox[chosen]
        self.gain_vision[chosen] += new_v - s.vision_align[chosen]
        s.toolbox[chosen] = new_pm
        s.vision_align[chosen] = new_v

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        super().on_entry(world, rows)
        self.gain_pm[rows] = 0.0
        self.gain_vision[rows] = 0.0

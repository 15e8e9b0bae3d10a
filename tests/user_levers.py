"""A lever defined only in the tests: a user's own module, named in a scenario by import path.

``kind = "user_levers:ConfidenceCoaching"`` (with ``tests/`` on the path) imports this
module, whose decorator registers the lever.
"""

from __future__ import annotations

import numpy as np

from inspire_sim.core.world import World
from inspire_sim.levers import Policy, PolicyParams, Role, lever, param


class ConfidenceCoachingParams(PolicyParams):
    """Coaching that tops up the confidence of innovation-active SMEs."""

    capacity: int = param(
        5_000, lo=0, hi=10**9, unit="real SMEs/month/country", role=Role.LEVER, source="test", doc="SMEs coached."
    )
    cost_per_service: float = param(
        500.0, lo=0.0, hi=1e6, unit="EUR/real SME", role=Role.LEVER, source="test", doc="Cost of one coaching."
    )
    confidence_gain: float = param(
        0.3, lo=0.0, hi=1.0, unit="confidence", role=Role.LEVER, source="test", doc="Confidence added."
    )


@lever(ConfidenceCoachingParams)
class ConfidenceCoaching(Policy):
    """Coaches innovation-active SMEs in a random order; adds confidence."""

    kind = "confidence_coaching"
    spec: ConfidenceCoachingParams

    def apply(self, world: World, month: int) -> None:
        s = world.sme
        eligible = np.flatnonzero(self.sme_mask & s.innovative & (s.confidence < 0.9))
        priority = self.rng(world, "priority", month).random(world.n)[eligible]
        chosen = self.serve(world, eligible, priority, month)
        s.confidence[chosen] = np.minimum(1.0, s.confidence[chosen] + self.spec.confidence_gain)

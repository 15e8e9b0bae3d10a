"""A model subclass for the ``model_class`` spec key (used by test_experiments_faults.py)."""

from __future__ import annotations

from inspire_sim.core.model import InspireModel


class NoPolicyModel(InspireModel):
    """The INSPIRE model with every policy switched off: no measure opens, nothing is spent."""

    def apply_policies(self, month: int) -> None:
        self.world.spend_month[:] = 0.0


class NotAModel:
    """Not a subclass of InspireModel (refused)."""

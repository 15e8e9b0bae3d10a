"""The shipped policy levers, one module each (params class + policy class, registered together).

Importing this package registers them in :mod:`inspire_sim.policies`, in this order (the
order of the ``spend_*`` columns).
"""

# isort: skip_file
from . import support_funding
from . import brokering
from . import matchmaking
from . import toolbox
from . import failure_recovery


from ..policies import LEVER_POLICIES as _REGISTERED

SHIPPED: tuple[str, ...] = tuple(_REGISTERED)
"""Kinds of the shipped levers, in registration order (their ``spend_*`` columns always exist)."""

__all__ = ["SHIPPED", "brokering", "failure_recovery", "matchmaking", "support_funding", "toolbox"]

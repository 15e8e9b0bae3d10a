"""``python -m inspire_sim.cli``: the ``inspire-sim`` command line (as ``python -m inspire_sim``)."""

from . import main

raise SystemExit(main())

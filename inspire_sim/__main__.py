"""``python -m inspire_sim``: the ``inspire-sim`` command line."""

from .cli import main

raise SystemExit(main())

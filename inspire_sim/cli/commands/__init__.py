"""Command modules of the ``inspire-sim`` CLI (each has ``register(app)``)."""

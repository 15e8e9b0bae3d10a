"""The pinned baseline: any change of model behaviour shows up here.

If a change is deliberate, re-pin with ``.venv/bin/python scripts/update_baseline.py``
and explain the change in the commit message.
"""

from __future__ import annotations

import json

import pytest
from pinned import PINNED_FILE, pinned_values


def test_baseline_matches_pinned_values():
    pinned = json.loads(PINNED_FILE.read_text())
    now = pinned_values()
    assert set(now) == set(pinned), "indicator set changed: re-pin with scripts/update_baseline.py"
    changed = {k: (pinned[k], now[k]) for k in pinned if now[k] != pytest.approx(pinned[k], rel=1e-9, abs=1e-12)}
    assert not changed, f"baseline changed (pinned, now): {changed}; if deliberate run scripts/update_baseline.py"

"""Re-pin the baseline regression values (tests/data/pinned_baseline.json).

Run this only after a deliberate change of model behaviour, and say why in the commit:

    .venv/bin/python scripts/update_baseline.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pinned import PINNED_FILE, pinned_values  # noqa: E402

if __name__ == "__main__":
    values = pinned_values()
    PINNED_FILE.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
    print(f"pinned {len(values)} values in {PINNED_FILE.relative_to(ROOT)}")

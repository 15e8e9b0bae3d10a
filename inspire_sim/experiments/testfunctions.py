"""Test functions with known sensitivity indices, runnable through the runner's
``model = "module:function"`` route (a dict of parameters in, a dict of outputs out)."""

from __future__ import annotations

import math
from typing import Any

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(params: dict[str, Any]) -> dict[str, float]:
    """Ishigami & Homma (1990): ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` (a=7, b=0.1 unless given).

    Inputs x1, x2, x3 uniform on [-pi, pi]. Analytic indices (a=7, b=0.1): S1 = 0.314,
    0.442, 0; ST = 0.558, 0.442, 0.244. Same formula as ``SALib.test_functions.Ishigami``.
    """
    a = float(params.get("a", ISHIGAMI_A))
    b = float(params.get("b", ISHIGAMI_B))
    x1, x2, x3 = float(params["x1"]), float(params["x2"]), float(params["x3"])
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)}


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, list[float]]:
    """Analytic first-order and total indices of the Ishigami function."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}

"""Map a picklable function over tasks on local processes, in task order (results independent of workers).

Used by the analyses that run many small independent simulations (``robust``, ``validate``).
Each task carries its own seed, so results do not depend on the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def map_tasks[T, R](
    func: Callable[[T], R], tasks: Sequence[T], workers: int | None = None, progress: Callable[[int], Any] | None = None
) -> list[R]:
    """``[func(t) for t in tasks]`` on ``workers`` processes (default: all cores; 1 = in this process)."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            out.append(func(t))
            if progress is not None:
                progress(1)
        return out
    with ProcessPoolExecutor(max_workers=min(n, len(tasks))) as pool:
        out = []
        for r in pool.map(func, tasks, chunksize=1):
            out.append(r)
            if progress is not None:
                progress(1)
        return out

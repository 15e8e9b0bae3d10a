"""Map a picklable function over tasks on local processes, in task order (results independent of workers);
run many simulations in batches.

Used by the analyses that run many small independent simulations (``robust``, ``calibrate``,
``validate``). Each task carries its own seed, so results do not depend on the number of workers,
nor on the batch size of :func:`run_batched`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def map_tasks[T, R](
    func: Callable[[T], R],
    tasks: Sequence[T],
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
    sizes: Sequence[int] | None = None,
) -> list[R]:
    """``[func(t) for t in tasks]`` on ``workers`` processes (default: all cores; 1 = in this process).

    ``progress`` is called after each task with ``sizes[i]`` (default 1): e.g. the runs of a batch.
    """
    n = workers if workers is not None else (os.cpu_count() or 1)

    def tick(i: int) -> None:
        if progress is not None:
            progress(sizes[i] if sizes is not None else 1)

    if n <= 1 or len(tasks) <= 1:
        out = []
        for i, t in enumerate(tasks):
            out.append(func(t))
            tick(i)
        return out
    with ProcessPoolExecutor(max_workers=min(n, len(tasks))) as pool:
        out = []
        for i, r in enumerate(pool.map(func, tasks, chunksize=1)):
            out.append(r)
            tick(i)
        return out


def spread_batch(batch: int, runs: int, slots: int) -> int:
    """Runs per batch for ``runs`` runs on ``slots`` workers: ``batch``, but at most
    ``ceil(runs / slots)`` so that every worker gets a batch (results do not depend on it)."""
    return max(1, min(int(batch), math.ceil(runs / max(int(slots), 1))))


def _one_by_one(scens: list[Any], seeds: list[int], steps: int | None, partnerships: bool) -> list[Any]:
    from .run import run

    results = []
    for scen, seed in zip(scens, seeds, strict=True):
        try:
            results.append(run(scen, seed=seed, steps=steps, record_partnerships=partnerships))
        except Exception as exc:
            exc.add_note(f"in the run of scenario {scen.name!r} with seed {seed}")
            raise
    return results


def _run_jobs(task: tuple[list[Any], list[int], int | None, bool, Callable[[Any], Any] | None, bool]) -> list[Any]:
    """Worker side of :func:`run_batched`: one batch through :func:`~inspire_sim.run.run_batch` (with
    batching off: its runs one by one through :func:`~inspire_sim.run.run`); if the batch raises, its
    runs one by one, so the exception names the failing run."""
    from .run import run_batch

    scens, seeds, steps, partnerships, reduce, batched = task
    if not batched:
        results = _one_by_one(scens, seeds, steps, partnerships)
    else:
        try:
            results = run_batch(scens, seeds, steps=steps, record_partnerships=partnerships)
        except Exception:
            if len(scens) == 1:
                raise
            results = _one_by_one(scens, seeds, steps, partnerships)
    return [reduce(r) for r in results] if reduce is not None else results


def run_batched(
    jobs: Sequence[tuple[Any, int]],
    *,
    steps: int | None = None,
    record_partnerships: bool = True,
    reduce: Callable[[Any], Any] | None = None,
    batch: int | str | None = "auto",
    workers: int | None = 1,
    progress: Callable[[int], Any] | None = None,
) -> list[Any]:
    """Run every ``(scenario, seed)`` job; return its :class:`~inspire_sim.results.RunResult`, or
    ``reduce(result)`` computed in the worker (a picklable function), in the order of ``jobs``.

    Consecutive jobs go to :func:`~inspire_sim.run.run_batch` ``batch`` at a time (the execution
    setting of :func:`~inspire_sim.run.resolve_batch`: ``"auto"`` sized for the largest
    ``n_smes``, N, or 1 for one run at a time; at most an equal share per worker), so put jobs
    that can share a batch (one scenario, several seeds) next to each other. Batches run on
    ``workers`` local processes (:func:`map_tasks`). Results do not depend on ``batch`` nor on
    ``workers``; ``progress`` is called with the number of runs finished.
    """
    from .run import resolve_batch

    if not jobs:
        return []
    n = workers if workers is not None else (os.cpu_count() or 1)
    size = spread_batch(resolve_batch(batch, max(s.params.n_smes for s, _ in jobs)), len(jobs), n)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    tasks = [([s for s, _ in c], [int(x) for _, x in c], steps, record_partnerships, reduce, size > 1) for c in chunks]
    out = map_tasks(_run_jobs, tasks, workers, progress, sizes=[len(t[0]) for t in tasks])
    return [r for part in out for r in part]

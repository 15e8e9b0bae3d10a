"""The C allocator during large runs: freed memory is kept for reuse instead of going back to the OS.

A month of a vectorised run allocates and frees dozens of temporaries the size of the population.
glibc's ``malloc`` serves blocks above its mmap threshold (at most 32 MiB) with fresh ``mmap``
pages and returns smaller ones at the top of the heap once more than its trim threshold is free,
so every month the kernel faults in and zeroes the same gigabytes again. While
:func:`reuse_freed_memory` is active, ``mallopt(M_MMAP_MAX, 0)`` serves every block from the
heap and ``M_TRIM_THRESHOLD`` keeps up to 2 GiB of freed heap for the next temporaries.

Measured with ``benchmarks/bench_scale.py``'s phases, one CPU, seed 1: the burn-in and reporting
months take 22% less time at 100,000 and 300,000 SMEs (2.55 -> 2.0 s, 7.35 -> 5.7 s,
120 months), 12% less at 1 M (60 months) and 24% less at 4 M (120 months). The peak memory is
the same (the run's largest moment, its result tables, reuses what the months freed), and
results are bit-identical: only where the bytes live changes. Small runs gain nothing (their
blocks stay below the threshold), so it switches on from :data:`MIN_ROWS` simulated SMEs.

It acts on glibc only (Linux); elsewhere it does nothing. ``INSPIRE_SIM_MALLOC=default`` in the
environment turns it off. On leaving, glibc's defaults come back and ``malloc_trim`` returns the
free heap; glibc's adaptive mmap threshold stays off for the rest of the process.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MIN_ROWS = 100_000
"""Simulated SME rows (all runs of a batch together) from which large runs reuse freed memory."""
TRIM_THRESHOLD = 2**31 - 1
"""Free heap (bytes) kept for reuse while active: glibc's largest (``mallopt`` takes an ``int``)."""

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt's parameter numbers (malloc.h)
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536  # glibc's defaults
_lock = threading.Lock()
_depth = 0


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both must exist)
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def reuse_freed_memory(rows: int) -> Iterator[bool]:
    """While active, a run of ``rows`` simulated SMEs (>= :data:`MIN_ROWS`) keeps freed memory for reuse.

    Yields whether it is on. Nested and concurrent uses share one setting: the outermost exit restores it.
    """
    global _depth
    libc = _glibc() if rows >= MIN_ROWS and os.environ.get("INSPIRE_SIM_MALLOC", "") != "default" else None
    if libc is None:
        yield False
        return
    with _lock:
        if _depth == 0:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                libc.malloc_trim(0)


def active() -> bool:
    """Whether some run in this process is reusing freed memory now."""
    return _depth > 0


__all__ = ["MIN_ROWS", "TRIM_THRESHOLD", "active", "reuse_freed_memory"]

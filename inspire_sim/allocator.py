"""The C allocator during large runs: freed memory is kept for reuse instead of going back to the OS.

A month of a vectorised run allocates and frees dozens of temporaries the size of the population.
glibc's ``malloc`` serves blocks above its mmap threshold (at most 32 MiB) with fresh ``mmap``
pages and returns smaller ones at the top of the heap once more than its trim threshold is free,
so every month the kernel faults in and zeroes the same gigabytes again. While
:func:`reuse_freed_memory` is active, ``mallopt(M_MMAP_MAX, 0)`` serves every block from the
heap and ``M_TRIM_THRESHOLD`` keeps up to 2 GiB of freed heap for the next temporaries.

Measured with ``benchmarks/bench_scale.py --child``, one CPU, seed 1, 36 + 120 months, interleaved
with ``INSPIRE_SIM_MALLOC=default``: 100,000 SMEs 2.78 -> 2.35 s (0.84x, medians of 3), 1 M
23.4 -> 21.4 s (0.91x), 4 M 105 -> 80 s (0.76x, the months alone); 25 M SMEs took 570 s
(docs/performance.md). The peak memory is the same at those sizes (what the months keep free is
reused by the next temporaries and the result tables), and results are bit-identical: only where
the bytes live changes. Small runs gain nothing measurable (a sweep's batch of 24 x 1,000 SMEs),
so it switches on from :data:`MIN_ROWS` simulated SMEs.

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

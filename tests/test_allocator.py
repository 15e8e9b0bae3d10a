"""The allocator setting of large runs: blocks come from the heap while active, results do not change."""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd

from inspire_sim import allocator, run
from inspire_sim.core.scenario import load_scenario
from inspire_sim.core.simulation import Simulation

GLIBC = allocator._glibc() is not None  # elsewhere the setting is documented to do nothing


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def _mallinfo() -> _Mallinfo2:
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _Mallinfo2
    return libc.mallinfo2()


def _mmapped_by_a_large_block() -> int:
    """Bytes glibc mmaps for a block larger than all its free heap (64 MB more): with mmap allowed such
    a block is mmapped whatever earlier runs left free in the heap; with mmap off it extends the heap."""
    info = _mallinfo()
    block = np.empty((info.fordblks + 64_000_000) // 8)  # never touched: address space only
    grew = int(_mallinfo().hblkhd) - int(info.hblkhd)
    del block
    return grew


def test_off_glibc_the_setting_does_nothing(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)  # as on macOS, Windows or musl
    with allocator.reuse_freed_memory(10**9) as on:
        assert not on and not allocator.active()


def test_large_blocks_come_from_the_heap_only_while_active():
    if not GLIBC:  # no mallopt here: the setting reports itself off
        with allocator.reuse_freed_memory(allocator.MIN_ROWS) as on:
            assert not on and not allocator.active()
        return
    assert _mmapped_by_a_large_block() >= 64_000_000, _mallinfo().fordblks  # glibc's default: its own mmap
    with allocator.reuse_freed_memory(allocator.MIN_ROWS) as on:
        assert on and allocator.active()
        assert _mmapped_by_a_large_block() == 0
        with allocator.reuse_freed_memory(allocator.MIN_ROWS):  # nested: the outer one restores
            pass
        assert allocator.active() and _mmapped_by_a_large_block() == 0
    assert not allocator.active()
    assert _mmapped_by_a_large_block() >= 64_000_000, _mallinfo().fordblks


def test_small_runs_and_the_environment_switch_leave_the_allocator_alone(monkeypatch):
    with allocator.reuse_freed_memory(allocator.MIN_ROWS - 1) as on:
        assert not on and not allocator.active()
        if GLIBC:
            assert _mmapped_by_a_large_block() >= 64_000_000, _mallinfo().fordblks
    monkeypatch.setenv("INSPIRE_SIM_MALLOC", "default")
    with allocator.reuse_freed_memory(10**9) as on:
        assert not on and not allocator.active()


def test_a_run_reusing_freed_memory_gives_the_same_results(monkeypatch):
    scen = load_scenario("baseline", n_smes=600)
    monkeypatch.setenv("INSPIRE_SIM_MALLOC", "default")
    plain = run(scen, seed=3, steps=12)
    monkeypatch.delenv("INSPIRE_SIM_MALLOC")
    monkeypatch.setattr(allocator, "MIN_ROWS", 1)  # this small run as if it were large
    seen: list[bool] = []
    step = Simulation.step

    def spying_step(self: Simulation) -> object:
        seen.append(allocator.active())
        return step(self)

    monkeypatch.setattr(Simulation, "step", spying_step)
    reused = run(scen, seed=3, steps=12)
    assert seen == [GLIBC] * 12
    assert not allocator.active()
    for name in ("timeseries", "smes", "partnerships", "countries"):
        pd.testing.assert_frame_equal(getattr(plain, name), getattr(reused, name))

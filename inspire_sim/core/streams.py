"""Named random streams: common random numbers across scenarios.

Every draw in the model comes from ``streams.get(name, month)``: a fresh
``numpy.random.Generator`` seeded from ``SeedSequence(seed, spawn_key=(id(name), month))``
where ``id(name)`` is a stable hash (CRC32, never Python's salted ``hash()``). A policy run
and its baseline with the same seed therefore draw the same numbers for the same
process in the same month, however differently the policy makes them behave, and
per-SME draws are made for all SME slots so that SME ``i`` gets the same number in both.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np


def replicate_seed(root_seed: int, replicate: int, point_id: int | None = None) -> int:
    """The seed of replicate ``replicate`` of root seed ``root_seed``: the one derivation.

    ``SeedSequence(root_seed, spawn_key=(replicate,))`` (or ``(point_id, replicate)`` when
    a sweep asks for independent streams per design point), reduced to a non-negative
    63-bit integer. ``run_replications``, ``compare``, ``sweep``, ``sensitivity`` and the
    app all call this, so replicate r of seed S is the same run from every entry point.
    """
    if isinstance(root_seed, bool) or not isinstance(root_seed, (int, np.integer)) or root_seed < 0:
        raise ValueError(f"root seed must be a non-negative integer (got {root_seed!r})")
    key = (int(replicate),) if point_id is None else (int(point_id), int(replicate))
    state = np.random.SeedSequence(int(root_seed), spawn_key=key).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


def replicate_seeds(root_seed: int, replications: int) -> list[int]:
    """Seeds of replicates ``0 .. replications-1`` of ``root_seed`` (see :func:`replicate_seed`)."""
    return [replicate_seed(root_seed, r) for r in range(replications)]


def stable_id(name: str) -> int:
    """A stable 32-bit id of a stream name (same on every machine and Python run)."""
    return zlib.crc32(name.encode("utf-8"))


MONTH_OFFSET = 1 << 20
"""Added to a month before it keys a stream, so burn-in months (negative) key streams too."""


class RandomStreams:
    """Generators keyed by (process name, month), all derived from one seed.

    Months are reporting months; burn-in months are negative (down to ``-MONTH_OFFSET``).
    """

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        self.seed_sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
        self.entropy = self.seed_sequence.entropy
        self._keys: dict[str, np.uint64] = {}

    def get(self, name: str, month: int = -MONTH_OFFSET) -> np.random.Generator:
        """The generator for process ``name`` in ``month`` (default: initialisation)."""
        ss = np.random.SeedSequence(
            self.entropy, spawn_key=(*self.seed_sequence.spawn_key, stable_id(name), int(month) + MONTH_OFFSET)
        )
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, name: str, month: int, ids: np.ndarray, ncols: int) -> np.ndarray:
        """Uniforms (len(ids), ncols) for the given SME ids, stateless (hash-based).

        SME ``uid`` gets the same numbers in ``month`` whatever other SMEs do, which keeps
        random numbers common across scenarios for sparse per-SME draws (candidates).
        """
        from .rules import hash_uniform

        return hash_uniform(self.key(name), int(month) + MONTH_OFFSET, np.asarray(ids, dtype=np.uint64), ncols)

    def key(self, name: str) -> np.uint64:
        """A 64-bit key for hash-based (stateless) randomness, e.g. pair chemistry."""
        if name not in self._keys:
            ss = np.random.SeedSequence(self.entropy, spawn_key=(*self.seed_sequence.spawn_key, stable_id(name)))
            self._keys[name] = np.uint64(ss.generate_state(1, dtype=np.uint64)[0])
        return self._keys[name]


class BatchStreams:
    """The random streams of a batch of runs, each run with its own :class:`RandomStreams`.

    A batch stacks R runs of one scenario in one set of arrays: SME rows
    ``[r * n_run, (r + 1) * n_run)`` belong to run ``r``. Every draw is made per run from that
    run's own streams, exactly as the run alone would make it, and concatenated, so each run
    of a batch draws the same numbers as it would alone (R = 1 is a single run).
    """

    def __init__(self, seeds: list[int], n_run: int) -> None:
        self.runs: list[RandomStreams] = [RandomStreams(int(s)) for s in seeds]
        self.n_run = int(n_run)
        self._keys: dict[str, np.ndarray] = {}
        self._seeder: _Seeder | None = None

    def __len__(self) -> int:
        return len(self.runs)

    def get(self, name: str, month: int = -MONTH_OFFSET, run: int = 0) -> np.random.Generator:
        """Run ``run``'s generator for process ``name`` in ``month`` (see :meth:`RandomStreams.get`)."""
        return self.runs[run].get(name, month)

    def random(self, name: str, month: int) -> np.ndarray:
        """One uniform per SME row: each run's ``get(name, month).random(n_run)``, concatenated."""
        if len(self.runs) == 1:
            return self.runs[0].get(name, month).random(self.n_run)
        return np.concatenate([g.random(self.n_run) for g in self.generators(name, month)])

    def random_runs(self, name: str, month: int, size: int) -> np.ndarray:
        """(R, size) uniforms: row r is run r's ``get(name, month).random(size)``."""
        if len(self.runs) == 1:
            return self.runs[0].get(name, month).random(size)[None]
        return np.stack([g.random(size) for g in self.generators(name, month)])

    def generators(self, name: str, month: int) -> Iterator[np.random.Generator]:
        """Each run's generator for ``(name, month)`` in turn: ``get(name, month, r)`` for r = 0, 1, ...

        For speed the same Generator object is yielded each time, set to run r's state: use it
        before asking for the next. The states are numpy's ``PCG64(SeedSequence(seed,
        spawn_key=(id(name), month)))``, computed for all runs at once (:class:`_Seeder`).
        """
        if self._seeder is None:
            self._seeder = _Seeder([int(rs.entropy) for rs in self.runs])  # type: ignore[arg-type]
        yield from self._seeder.generators((stable_id(name), int(month) + MONTH_OFFSET))

    def key(self, name: str) -> np.ndarray:
        """(R,) 64-bit keys of ``name`` (each run's :meth:`RandomStreams.key`)."""
        if name not in self._keys:
            self._keys[name] = np.array([rs.key(name) for rs in self.runs], dtype=np.uint64)
        return self._keys[name]

    def uniform(self, name: str, month: int, run: np.ndarray | int, ids: np.ndarray, ncols: int) -> np.ndarray:
        """Hash uniforms (len(ids), ncols) for ``ids`` of runs ``run`` (one run per id, or one for all).

        Each element is what :meth:`RandomStreams.uniform` of that id's run gives.
        """
        from .rules import month_salt, salted_uniform

        keys = self.key(name)
        if len(keys) == 1:
            salt: np.uint64 | np.ndarray = month_salt(keys[0], int(month) + MONTH_OFFSET)
        else:  # month_salt for every run: uint64 array arithmetic wraps modulo 2**64 as month_salt does
            salts = keys + month_salt(0, int(month) + MONTH_OFFSET)
            salt = salts[np.asarray(run, dtype=np.int64)]
        return salted_uniform(salt, np.asarray(ids, dtype=np.uint64), ncols)


_M32 = 0xFFFFFFFF
_M128 = (1 << 128) - 1
# numpy's SeedSequence (bit_generator.pyx) and PCG64 (pcg64.h) constants
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341


def _words(value: int) -> list[int]:
    """An integer as numpy's SeedSequence reads it: 32-bit words, least significant first."""
    if value == 0:
        return [0]
    out = []
    while value > 0:
        out.append(value & _M32)
        value >>= 32
    return out


def _hashmix(value: int, const: int) -> tuple[int, int]:
    value ^= const
    const = (const * _MULT_A) & _M32
    value = (value * const) & _M32
    return value ^ (value >> 16), const


def _mix(x: np.ndarray, y: np.ndarray | int) -> np.ndarray:
    r = (np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * np.asarray(y, dtype=np.uint32)).astype(np.uint32)
    return r ^ (r >> np.uint32(16))


class _Seeder:
    """``PCG64(SeedSequence(entropy_r, spawn_key=key))`` for many runs r at once, exactly as numpy builds it.

    The runs' entropy is mixed into their pools once; a spawn key then adds the same hashed
    words to every pool (one numpy operation for all runs), and each run's PCG64 state is
    set on one reusable generator. ``tests/test_batch.py`` checks it against numpy.
    """

    def __init__(self, entropies: list[int]) -> None:
        pools = []
        for e in entropies:
            words = _words(int(e))
            words += [0] * (4 - len(words))  # numpy pads run entropy to the pool size when a spawn key follows
            if len(words) > 4:
                raise ValueError("run entropy above 128 bits is not supported")
            const, pool = _INIT_A, [0] * 4
            for i in range(4):
                pool[i], const = _hashmix(words[i], const)
            for src in range(4):
                for dst in range(4):
                    if src != dst:
                        h, const = _hashmix(pool[src], const)
                        r = (_MIX_L * pool[dst] - _MIX_R * h) & _M32
                        pool[dst] = r ^ (r >> 16)
            pools.append(pool)
        self.const = const  # the same for every run (it depends only on the number of words mixed)
        self.pools = np.array(pools, dtype=np.uint32)
        hb, consts = _INIT_B, []
        for _ in range(8):
            consts.append(hb)
            hb = (hb * _MULT_B) & _M32
            consts.append(hb)
        self.xor_b = np.array(consts[0::2], dtype=np.uint32)
        self.mult_b = np.array(consts[1::2], dtype=np.uint32)
        self.bit_generator = np.random.PCG64(0)
        self.generator = np.random.Generator(self.bit_generator)

    def generators(self, key: tuple[int, ...]) -> Iterator[np.random.Generator]:
        pools, const = self.pools, self.const
        for value in key:
            for word in _words(value):
                hashed = []
                for _ in range(4):
                    h, const = _hashmix(word, const)
                    hashed.append(h)
                pools = _mix(pools, np.array(hashed, dtype=np.uint32))
        data = pools[:, [0, 1, 2, 3, 0, 1, 2, 3]] ^ self.xor_b
        data = (data * self.mult_b).astype(np.uint32)
        data ^= data >> np.uint32(16)
        val = data[:, 0::2].astype(np.uint64) | (data[:, 1::2].astype(np.uint64) << np.uint64(32))
        bg, gen = self.bit_generator, self.generator
        for v0, v1, v2, v3 in val.tolist():
            inc = ((((v2 << 64) | v3) << 1) | 1) & _M128
            state = (((inc + ((v0 << 64) | v1)) & _M128) * _PCG_MULT + inc) & _M128
            bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}
            yield gen


# -- stream-name registry ------------------------------------------------------------------
STREAMS: dict[int, str] = {}
"""Registered stream names by their :func:`stable_id` (CRC32); see :func:`register_stream`."""


def register_stream(name: str) -> int:
    """Register the stream ``name`` and return its :func:`stable_id`.

    Two different names with the same CRC32 would silently share random numbers, so a
    collision raises ``ValueError`` naming both; registering the same name again is a no-op.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a stream name must be a non-empty string (got {name!r})")
    sid = stable_id(name)
    other = STREAMS.setdefault(sid, name)
    if other != name:
        raise ValueError(f"stream name {name!r} collides with {other!r} (CRC32 {sid:#010x}): rename one of them")
    return sid

"""Shared helpers for the experiment-runner tests: a toy model written to a temp dir.

(Kept in a test module so that no conftest is needed; it holds one smoke test.)
"""

from __future__ import annotations

import contextlib
import faulthandler
import textwrap
from collections.abc import Iterator
from pathlib import Path

TOY = textwrap.dedent(
    '''
    import os, signal, time
    import numpy as np

    def toy(params, seed):
        """z = x + 2y + noise; misbehaves on purpose for some x (see mode)."""
        x, y = float(params["x"]), float(params["y"])
        mode = params.get("mode", "ok")
        if mode == "fail" and x > 0.75:
            raise ValueError(f"boom at x={x:.3f}")
        if mode == "hang" and x > 0.75:  # busy in Python: interruptible
            t0 = time.monotonic()
            while time.monotonic() - t0 < 600:
                pass
        if mode == "hardhang" and x > 0.75:  # (one line: test_experiments_faults pins line numbers below)
            _mark("hung"); signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(600)
        if mode == "crash" and x > 0.75:
            os._exit(3)
        if mode == "slow":
            time.sleep(0.05)
        if x > 0.75:  # faults a sweep must contain (see test_experiments_faults.py)
            if mode == "sysexit":
                raise SystemExit(4)
            if mode == "kbint":
                raise KeyboardInterrupt
            if mode == "segv":
                import ctypes
                ctypes.string_at(0)
            if mode == "memerr":
                raise MemoryError("no room")
            if mode == "hog":
                np.ones(2**31)  # 16 GiB
            if mode == "swallow":  # swallows the time limit's exception
                t0 = time.monotonic()
                while time.monotonic() - t0 < 600:
                    try:
                        time.sleep(0.01)
                    except BaseException:
                        pass
            if mode == "nan":
                return {"z": float("nan"), "w": float("inf"), "noise": 0.0}
            if mode == "text":
                return {"z": "high", "w": 1.0, "noise": 0.0}
            if mode == "notdict":
                return [x, y]
        if mode == "wait" and x > 0.75:  # the rest finish, these wait (interrupt / kill tests)
            time.sleep(600)
        if mode == "hardhang":
            _mark("ran")
        rng = np.random.default_rng(seed)
        return {"z": x + 2 * y + 0.1 * rng.normal(), "w": x * y, "noise": rng.normal()}

    def _mark(what):
        """Which worker process ran what: an empty pid file beside this module."""
        here = os.path.dirname(os.path.abspath(__file__))
        open(os.path.join(here, f"{what}-{os.getpid()}"), "a").close()
    '''
)


@contextlib.contextmanager
def hang_guard(seconds: float = 600.0) -> Iterator[None]:
    """A guard, not a measurement: should the block hang for ``seconds`` (far beyond any honest run,
    however loaded the machine), dump every thread's traceback and end this test process, so that a
    hang fails the suite instead of stalling it. Nothing is asserted on how long the block took."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def toy_spec(
    tmp: Path,
    *,
    mode: str = "ok",
    design: str = "grid",
    replications: int = 2,
    extra: str = "",
    timeout: float | None = None,
    name: str = "toy",
) -> Path:
    """Write toy.py and a spec using it; return the spec path."""
    (tmp / "toy.py").write_text(TOY)
    if design == "grid":
        factors = (
            '[[factors]]\nname = "x"\nlevels = [0.1, 0.5, 0.9]\n\n[[factors]]\nname = "y"\nrange = [0, 1]\npoints = 4\n'
        )
        design_t = 'kind = "grid"'
    else:
        factors = '[[factors]]\nname = "x"\nrange = [0, 1]\n\n[[factors]]\nname = "y"\nrange = [0, 1]\n'
        design_t = f'kind = "{design}"\nsamples = {16 if design != "morris" else 10}'
    text = f'''name = "{name}"
model = "toy.py:toy"
replications = {replications}
seed = 42
{f"timeout = {timeout}" if timeout else ""}
{extra}
[design]
{design_t}

[fixed]
mode = "{mode}"

{factors}
[[outputs]]
indicator = "z"

[[outputs]]
indicator = "w"
'''
    path = tmp / f"{name}.toml"
    path.write_text(text)
    return path


def test_toy_spec_sequential_runs(tmp_path):
    from inspire_sim.experiments import run_sweep

    res = run_sweep(toy_spec(tmp_path), tmp_path / "out", workers=1, progress=False, figures=False)
    assert res.n_runs == 3 * 4 * 2 and res.n_failed == 0
    assert list(res.runs.columns) == [
        "run_id",
        "point_id",
        "replicate",
        "seed",
        "status",
        "error",
        "duration_s",
        "x",
        "y",
        "z",
        "w",
    ]
    assert (res.runs["w"] == res.runs["x"] * res.runs["y"]).all()

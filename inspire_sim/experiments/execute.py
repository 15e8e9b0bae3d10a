"""Running many runs: the worker-side evaluation and the execution backends.

Backends (all yield one result dict per run, in completion order):

* :class:`Sequential` - one run after another. With a time limit (a sweep always has
  one, default :data:`DEFAULT_TIMEOUT`; other callers pass
  ``RunContext(..., timeout=RunContext.DEFAULT_TIMEOUT)``) on user code (the model route
  or a ``model_class``), or with ``max_memory``, the runs go to ONE worker process of a
  `pebble <https://pypi.org/project/Pebble/>`_ ``ProcessPool``, so a run that hangs, exits
  or crashes is contained; the shipped INSPIRE model runs in the calling process, its time
  limit enforced by ``SIGALRM``; without a limit (``RunContext.timeout`` left at ``None``)
  in the calling process, uncontained;
* :class:`LocalProcesses` - a pebble ``ProcessPool`` of N spawn-context workers
  (safe with threads, macOS and Windows): per-task time limits, dead workers replaced;
* :class:`DaskBackend` - ``dask.distributed``: an existing scheduler address or a
  ``LocalCluster`` started for the sweep (optional extra ``inspire-sim[dask]``).

Runs go to the backends in *batches* (:attr:`RunContext.batch` runs each, consecutive
tasks; 1 = no batching): a worker task is one batch, which the INSPIRE route hands to
:func:`inspire_sim.run.run_batch` as one call (results identical to the runs alone), and
results still come back one per run. A batch that raises or overruns its limit is run
again one run at a time, so nothing computed is lost and the failing run is named.

Failures never stop a sweep. A run that raises anything - ``SystemExit`` and
``KeyboardInterrupt`` included - is recorded as ``failed`` with its error. A run over
its time limit is interrupted inside the worker (``SIGALRM``; worker processes run
tasks in their main thread) and recorded as ``timed_out``; a run that cannot be
interrupted (stuck in C code, or swallowing the exception) is stopped by pebble, which
kills its worker after ``timeout + grace`` seconds and starts a new one (on Dask: the
task is cancelled and its worker restarted). A worker that dies (``os._exit``, a
segfault, an out-of-memory kill, or the optional per-run ``max_memory`` address-space
limit) fails that run with the cause (exit code or signal); the other runs go on.
Outputs that are NaN or infinite get the status ``invalid``.

No worker outlives the sweep: local workers stay in the sweep's process group and ask
the kernel (``prctl(PR_SET_PDEATHSIG)``, Linux) to be killed when the sweep's process
dies, however it dies.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import InputError

Task = tuple[int, int, dict[str, Any]]  # run_id, seed, factor values
Tick = Callable[[], None] | None

DEFAULT_TIMEOUT = 3600.0
"""Per-run time limit of a sweep when neither the spec nor ``--timeout`` sets one (seconds)."""

STATUSES = ("ok", "failed", "timed_out", "invalid")


class RunTimeout(BaseException):
    """Raised inside a run that exceeds its time limit (BaseException: user code's
    ``except Exception`` does not swallow it)."""


# ----------------------------------------------------------------------------------------
# worker side
# ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def soft_timeout(seconds: float | None) -> Iterator[None]:
    """Interrupt the enclosed code with :class:`RunTimeout` after ``seconds`` (``SIGALRM``;
    only in a process's main thread - elsewhere the caller's hard limit applies)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise RunTimeout(f"exceeded the time limit of {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class RunContext:
    """Everything a worker needs to evaluate runs (pickled once per worker).

    ``timeout`` is the per-run time limit in seconds. Left at ``None`` there is no limit,
    and :class:`Sequential` runs the tasks in the calling process, uncontained (a run that
    calls ``sys.exit`` or hangs takes the caller with it). Pass
    ``timeout=RunContext.DEFAULT_TIMEOUT`` (:data:`DEFAULT_TIMEOUT`, what sweeps use) for
    contained runs on every backend: :class:`Sequential` then runs them in one worker
    process, and a run that exits, crashes or overruns fails alone.
    """

    DEFAULT_TIMEOUT: ClassVar[float] = DEFAULT_TIMEOUT

    route: str  # "inspire" | "model"
    outputs: list[Any]  # spec.Output
    timeout: float | None = None  # seconds; None: no limit (Sequential: in this process, uncontained)
    scenario: Any = None  # inspire route: the base Scenario (fixed applied)
    steps: int | None = None
    model_ref: str | None = None
    base_dir: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    model_class: str | None = None  # inspire route: "module:Class", a subclass of InspireModel
    max_memory: int | None = None  # bytes; reported with MemoryError
    plans: dict[str, Any] = field(default_factory=dict)  # inspire route: effect_of plan -> Scenario (fixed applied)
    batch: int = 1  # runs per batch (a worker task); 1 = one run per task
    batch_model_ref: str | None = None  # model route: "module:function" evaluating a list of runs at once
    _func: Any = field(default=None, repr=False, compare=False)
    _batch_func: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_func": None, "_batch_func": None}

    @property
    def batchable(self) -> bool:
        """Whether a batch of runs is evaluated by one call (:func:`~inspire_sim.run.run_batch` on the
        INSPIRE route without ``model_class``; ``batch_model_ref`` on the model route); otherwise
        a batch's runs are evaluated one by one in its worker task."""
        if self.route == "inspire":
            return not self.model_class
        return self.batch_model_ref is not None

    @property
    def batched(self) -> bool:
        """Whether batches go to one call each: :attr:`batchable` and :attr:`batch` above 1."""
        return self.batchable and self.batch > 1

    def batches(self, tasks: list[Task]) -> list[list[Task]]:
        """``tasks`` in consecutive batches of :attr:`batch` runs."""
        size = max(1, int(self.batch))
        return [tasks[i : i + size] for i in range(0, len(tasks), size)]

    def limit(self, n: int, alone: bool = False) -> float:
        """Time limit of a worker task of ``n`` runs (seconds; 0 = none): ``n x timeout``, twice
        that for a batch evaluated in one call (a batch over its limit is run again run by run);
        ``alone``: runs evaluated one by one."""
        if not self.timeout:
            return 0.0
        return n * self.timeout * (2 if self.batched and not alone else 1)

    # -- one run ---------------------------------------------------------------------
    def _model(self, params: dict[str, Any], seed: int) -> dict[str, Any]:
        if self._func is None:
            from .spec import accepts_seed, import_model

            func = import_model(self.model_ref or "", self.base_dir)
            self._func = (func, accepts_seed(func))
        func, with_seed = self._func
        args = {**self.fixed, **params}
        return self._outputs(func(args, seed=seed) if with_seed else func(args))

    def _outputs(self, out: Any) -> dict[str, Any]:
        if not isinstance(out, dict):
            raise TypeError(f"the model function returned {type(out).__name__}, not a dict of outputs")
        values = {}
        for o in self.outputs:
            if o.indicator not in out:
                raise KeyError(f"the model function returned no {o.indicator!r} (keys: {', '.join(map(str, out))})")
            values[o.column] = out[o.indicator]
        return values

    def _model_batch(self, tasks: list[Task]) -> list[dict[str, Any]]:
        if self._batch_func is None:
            from .spec import import_model

            self._batch_func = import_model(self.batch_model_ref or "", self.base_dir, field="batch_model_ref")
        outs = self._batch_func([{**self.fixed, **t[2]} for t in tasks], [t[1] for t in tasks])
        if not isinstance(outs, list) or len(outs) != len(tasks):
            raise TypeError(f"the batch model function returned {type(outs).__name__}, not one dict per run")
        return [self._outputs(o) for o in outs]

    def _inspire(self, params: dict[str, Any], seed: int) -> dict[str, Any]:
        from ..run import run

        if self._func is None:
            from .spec import import_model_class

            self._func = import_model_class(self.model_class, self.base_dir) if self.model_class else False

        def simulate(base: Any) -> Any:
            res = run(
                base.with_overrides(params),
                seed=seed,
                steps=self.steps,
                record_partnerships=False,
                model_cls=self._func or None,
                tables=("timeseries",),
            )
            return res.timeseries

        # paired effects: every plan runs with the same factor values and seed as the base scenario
        series: dict[str | None, Any] = {None: simulate(self.scenario)}
        for plan in self._plan_names():
            series[plan] = simulate(self.plans[plan])
        return self._statistics(series)

    def _plan_names(self) -> list[str]:
        return list(dict.fromkeys(o.effect_of for o in self.outputs if o.effect_of is not None))

    def _statistics(self, series: dict[str | None, Any]) -> dict[str, Any]:
        return {
            o.column: statistic(series[o.effect_of], o) - statistic(series[None], o)
            if o.effect_of is not None
            else statistic(series[None], o)
            for o in self.outputs
        }

    def _inspire_batch(self, tasks: list[Task]) -> list[dict[str, Any]]:
        """A batch of runs (each with its ``effect_of`` plans, same factor values and seed) in one
        :func:`~inspire_sim.run.run_batch` call."""
        from ..run import run_batch

        plans = self._plan_names()
        bases = [self.scenario, *(self.plans[p] for p in plans)]
        scens, seeds = [], []
        made: dict[tuple[int, str], Any] = {}  # runs of the same factor values share one scenario object
        for _, seed, params in tasks:
            key = repr(sorted(params.items()))
            for b, base in enumerate(bases):
                if (b, key) not in made:
                    made[b, key] = base.with_overrides(params)
                scens.append(made[b, key])
                seeds.append(seed)
        results = run_batch(scens, seeds, steps=self.steps, record_partnerships=False, tables=("timeseries",))
        keys: list[str | None] = [None, *plans]
        k = len(bases)
        return [
            self._statistics({key: r.timeseries for key, r in zip(keys, results[i * k : (i + 1) * k], strict=True)})
            for i in range(len(tasks))
        ]

    def evaluate(self, task: Task, contain: bool = True) -> dict[str, Any]:
        """Run one task; never raises. ``contain``: a model's SystemExit/KeyboardInterrupt
        fail the run (in a worker process); False in the sweep's own process, where a
        KeyboardInterrupt is the user's Ctrl-C."""
        run_id, seed, params = task
        t0 = time.perf_counter()
        try:
            with soft_timeout(self.timeout):
                raw = self._inspire(params, seed) if self.route == "inspire" else self._model(params, seed)
        except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
            if not contain:
                raise
            return self._record(run_id, None, t0, exc)
        except BaseException as exc:
            return self._record(run_id, None, t0, exc)
        return self._record(run_id, raw, t0)

    def _failure(self, exc: BaseException) -> tuple[str, str]:
        if isinstance(exc, RunTimeout):
            return "timed_out", str(exc)
        if isinstance(exc, MemoryError):
            limit = f" (over max_memory = {self.max_memory / 2**20:g} MiB)" if self.max_memory else ""
            return "failed", _describe(exc) + limit
        if isinstance(exc, (SystemExit, KeyboardInterrupt, GeneratorExit)):
            return "failed", _describe(exc) + " (raised by the model)"
        return "failed", _describe(exc)

    def _record(self, run_id: int, raw: Any, t0: float, exc: BaseException | None = None, n: int = 1) -> dict[str, Any]:
        """The record of one run: its outputs checked (finite numbers), or its failure ``exc``;
        ``n``: runs that shared the time since ``t0`` (a batch)."""
        status, error, values = "ok", None, {}
        if exc is not None:
            status, error = self._failure(exc)
        else:
            try:
                values = _floats(raw)
            except Exception as bad_output:
                status, error = "failed", _describe(bad_output)
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                status = "invalid"
                error = "not a finite number: " + ", ".join(f"{k} = {values[k]}" for k in bad)
        return {
            "run_id": run_id,
            "status": status,
            "error": error,
            "duration_s": (time.perf_counter() - t0) / n,
            "values": values,
        }

    def evaluate_batch(self, tasks: list[Task], contain: bool = True) -> list[dict[str, Any]]:
        """Evaluate a batch of runs; one record per run, in order; never raises (but see
        :meth:`evaluate` for ``contain``). A batched context (:attr:`batched`) evaluates
        the batch in one call within ``len(tasks) x timeout``; if that call raises or overruns,
        the batch's runs are evaluated again one by one (each with its own limit), so the
        failing run is identified and the others still succeed."""
        if not tasks or not self.batched:
            return [self.evaluate(t, contain) for t in tasks]
        t0 = time.perf_counter()
        try:
            with soft_timeout(self.timeout * len(tasks) if self.timeout else None):
                raws = self._inspire_batch(tasks) if self.route == "inspire" else self._model_batch(tasks)
        except (SystemExit, KeyboardInterrupt, GeneratorExit):
            if not contain:
                raise
            return [self.evaluate(t, contain) for t in tasks]
        except BaseException:  # any failure, a timeout or MemoryError: run by run
            return [self.evaluate(t, contain) for t in tasks]
        return [self._record(t[0], raw, t0, n=len(tasks)) for t, raw in zip(tasks, raws, strict=True)]

    def evaluate_many(self, tasks: list[Task], contain: bool = True) -> list[dict[str, Any]]:
        """Evaluate ``tasks`` in batches of :attr:`batch` runs (see :meth:`evaluate_batch`)."""
        return [rec for b in self.batches(tasks) for rec in self.evaluate_batch(b, contain)]


def _floats(raw: dict[str, Any]) -> dict[str, float]:
    values = {}
    for k, v in raw.items():
        if isinstance(v, bool) or (not isinstance(v, (int, float)) and not hasattr(v, "__float__")):
            raise TypeError(f"output {k!r} is not a scalar number (got {type(v).__name__})")
        try:
            values[k] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"output {k!r} is not a scalar number (got {type(v).__name__})") from None
    return values


def statistic(ts: Any, out: Any) -> float:
    """final / mean / cumulative of one indicator over a window of months."""
    col = ts[out.indicator]
    if out.statistic == "final":
        return float(col.iloc[-1])
    if out.window is not None:
        a, b = out.window
        if a < 0:  # counted from the end: [-12, -1] = the last 12 months
            last = int(ts["step"].iloc[-1])
            a, b = last + 1 + a, last + 1 + b
        col = col[(ts["step"] >= a) & (ts["step"] <= b)]
    return float(col.mean() if out.statistic == "mean" else col.sum())


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" if tb else ""
    text = f"{type(exc).__name__}: {exc}{where}"
    return text if len(text) <= 2000 else text[:1997] + "..."


def _lost(task: Task, status: str, error: str, duration: float) -> dict[str, Any]:
    return {"run_id": task[0], "status": status, "error": error, "duration_s": duration, "values": {}}


# -- local worker processes (pebble) -------------------------------------------------------

_WORKER_CTX: RunContext | None = None
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _init_worker(ctx: RunContext, parent: int, max_memory: int | None) -> None:
    """Pebble initializer (never raises: pebble would restart the worker forever)."""
    global _WORKER_CTX
    _WORKER_CTX = ctx
    _die_with_parent(parent)
    if max_memory:
        try:
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, hard))
        except (ImportError, ValueError, OSError):
            pass


def _ping() -> int:
    return os.getpid()


def _run_batch(batch: list[Task], alone: bool = False) -> list[dict[str, Any]]:
    """Pebble task: one batch of runs in a worker process (``alone``: one by one)."""
    assert _WORKER_CTX is not None
    if alone:
        return [_WORKER_CTX.evaluate(t) for t in batch]
    return _WORKER_CTX.evaluate_batch(batch)


async def _exit_worker() -> None:
    """Dask: end this worker process at once (a run in it overran its time limit; a
    coroutine, so it runs on the worker's event loop even while its thread is stuck)."""
    os._exit(75)


_CTX_CACHE: dict[bytes, RunContext] = {}


def _run_chunk_with(blob: bytes, chunk: list[Task], alone: bool = False) -> list[dict[str, Any]]:
    """Dask task: evaluate a chunk in batches (the pickled context is unpickled once per worker)."""
    ctx = _CTX_CACHE.get(blob)
    if ctx is None:
        _CTX_CACHE.clear()
        ctx = _CTX_CACHE[blob] = pickle.loads(blob)
    return [ctx.evaluate(t) for t in chunk] if alone else ctx.evaluate_many(chunk)


def _death(exc: BaseException) -> str:
    code = getattr(exc, "exitcode", None)
    if isinstance(code, int) and code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
        if -code == signal.SIGKILL:
            how += " (an out-of-memory kill?)"
    elif code is not None:
        how = f"exit code {code}"
    else:
        how = "no exit code"
    return f"worker process died during this run ({how}: a crash, os._exit or a memory limit)"


# ----------------------------------------------------------------------------------------
# backends
# ----------------------------------------------------------------------------------------


class Backend:
    """Base class: ``execute(ctx, tasks, tick)`` yields result dicts as runs complete and
    calls ``tick()`` at least every half second while it waits (the store's flush clock)."""

    name = "backend"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def slots(self) -> int:
        """Runs this backend evaluates at once (worker processes or threads)."""
        return 1

    def execute(self, ctx: RunContext, tasks: list[Task], tick: Tick = None) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class LocalProcesses(Backend):
    """A pebble ``ProcessPool`` of spawn-context worker processes (default: all cores).

    ``grace``: seconds a run may overrun its time limit before its worker is killed;
    ``max_memory``: address-space limit per worker in bytes (``RLIMIT_AS``, POSIX);
    ``max_tasks``: restart a worker after this many tasks (a task is a batch of runs; 0 = never).
    """

    name = "processes"
    START_TIMEOUT = 120.0
    POLL_S = 0.25

    def __init__(
        self, workers: int | None = None, grace: float = 5.0, max_memory: int | None = None, max_tasks: int = 0
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.grace = grace
        self.max_memory = max_memory
        self.max_tasks = max_tasks
        self.pool: Any = None

    def slots(self) -> int:
        return int(self.workers)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "workers": self.workers,
            "start_method": "spawn",
            "executor": "pebble.ProcessPool",
            "max_memory": self.max_memory,
        }

    def _start(self, ctx: RunContext) -> Any:
        import multiprocessing

        from pebble import ProcessPool

        pool = ProcessPool(
            max_workers=self.workers,
            max_tasks=self.max_tasks,
            initializer=_init_worker,
            initargs=(ctx, os.getpid(), self.max_memory),
            context=multiprocessing.get_context("spawn"),
        )
        self.pool = pool
        # a pool that cannot start (a script without `if __name__ == "__main__":`) is reported
        try:
            pool.schedule(_ping).result(timeout=self.START_TIMEOUT)
        except Exception as exc:
            self._stop()
            raise RuntimeError(
                "worker processes could not start (a script that starts a sweep with local processes must "
                'run it under `if __name__ == "__main__":`, as the spawn start method re-imports the script): '
                f"{type(exc).__name__}: {exc}"
            ) from None
        return pool

    def _stop(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=30)

    def _outcome(self, fut: Any, batch: list[Task], ctx: RunContext) -> list[dict[str, Any]] | None:
        """The records of a finished worker task; None when a batch of several runs was lost
        (its worker died or it overran its limit: its runs are then run again one by one)."""
        from pebble import ProcessExpired

        try:
            return list(fut.result())
        except Exception as exc:  # (a Ctrl-C of the sweep's process is not a lost batch: it propagates)
            if len(batch) > 1:
                return None
            task = batch[0]
            if isinstance(exc, FutureTimeout):
                return [
                    _lost(
                        task,
                        "timed_out",
                        f"did not stop within the time limit of {ctx.timeout:g} s (+ {self.grace:g} s grace); "
                        "its worker process was killed",
                        float(ctx.timeout or 0.0),
                    )
                ]
            if isinstance(exc, ProcessExpired):
                return [_lost(task, "failed", _death(exc), 0.0)]
            if isinstance(exc, CancelledError):
                return [_lost(task, "failed", "the run was cancelled", 0.0)]
            return [_lost(task, "failed", f"worker error: {_describe(exc)}", 0.0)]  # e.g. an unpicklable result

    def execute(self, ctx: RunContext, tasks: list[Task], tick: Tick = None) -> Iterator[dict[str, Any]]:
        pending: deque[tuple[list[Task], bool]] = deque((b, False) for b in ctx.batches(tasks))
        inflight: dict[Any, list[Task]] = {}
        pool = self._start(ctx)
        try:
            while pending or inflight:
                while pending and len(inflight) < 2 * self.workers:
                    batch, alone = pending.popleft()
                    hard = ctx.limit(len(batch), alone) + self.grace if ctx.timeout else None
                    inflight[pool.schedule(_run_batch, (batch, alone), timeout=hard)] = batch
                done, _ = futures_wait(list(inflight), timeout=self.POLL_S, return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = inflight.pop(fut)
                    records = self._outcome(fut, batch, ctx)
                    if records is None:  # lost with its worker or over its limit: run by run, first
                        pending.extendleft(([t], True) for t in reversed(batch))
                    else:
                        yield from records
                if tick:
                    tick()
        finally:
            self._stop()

    def close(self) -> None:
        self._stop()


class Sequential(LocalProcesses):
    """One run after another.

    * ``max_memory``, or a time limit (``RunContext.timeout``, e.g. ``RunContext.DEFAULT_TIMEOUT``)
      on user code (the model route, or a ``model_class``): in ONE pebble worker process
      (contained, limit enforced even on code that never returns to Python);
    * a time limit on the shipped INSPIRE model (the INSPIRE route without ``model_class``): in
      this process, the limit enforced by ``SIGALRM`` (:func:`soft_timeout`): no second
      interpreter to start (issue 23: ~0.6 s of a 24-run sweep). ``in_process=False`` forces the
      worker process;
    * neither: in this process (no containment).
    """

    name = "sequential"

    def __init__(self, grace: float = 5.0, max_memory: int | None = None, in_process: bool | None = None) -> None:
        super().__init__(1, grace=grace, max_memory=max_memory)
        self.in_process = in_process

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "backend": self.name}

    def runs_here(self, ctx: RunContext) -> bool:
        """Whether :meth:`execute` evaluates ``ctx``'s runs in this process (see the class)."""
        if self.max_memory:
            return False
        if not ctx.timeout:
            return True
        trusted = ctx.route == "inspire" and not ctx.model_class
        return trusted if self.in_process is None else bool(self.in_process) and trusted

    def execute(self, ctx: RunContext, tasks: list[Task], tick: Tick = None) -> Iterator[dict[str, Any]]:
        if not self.runs_here(ctx):
            yield from super().execute(ctx, tasks, tick)
            return
        for batch in ctx.batches(tasks):
            yield from ctx.evaluate_batch(batch, contain=False)
            if tick:
                tick()


# -- Dask ----------------------------------------------------------------------------------


class _Scheduler:
    """Dask: adaptive chunks, bounded in-flight work, deadlines and isolation of suspects."""

    TARGET_CHUNK_S = 0.5
    MAX_CHUNK = 256

    def __init__(
        self, tasks: list[Task], slots: int, timeout: float | None, grace: float, ctx: RunContext | None = None
    ) -> None:
        self.ctx = ctx
        self.batch = max(1, ctx.batch) if ctx is not None else 1
        self.pending: deque[Task] = deque(tasks)
        self.suspects: deque[Task] = deque()  # retried alone after a crash / hard timeout
        self.slots = max(1, slots)
        self.timeout = timeout
        self.grace = grace
        self.inflight: dict[Any, tuple[list[Task], float, bool]] = {}  # future -> (chunk, deadline, alone)
        self.done_time = 0.0
        self.done_n = 0

    def observe(self, results: list[dict[str, Any]]) -> None:
        for r in results:
            self.done_time += r["duration_s"]
            self.done_n += 1

    def chunk_size(self) -> int:
        """Runs per Dask task: adaptive (about TARGET_CHUNK_S of work), a whole number of batches."""
        if self.done_n < self.slots:
            return self.batch
        mean = self.done_time / self.done_n
        size = self.MAX_CHUNK if mean <= 0 else int(self.TARGET_CHUNK_S / mean)
        size = min(size, math.ceil(len(self.pending) / (2 * self.slots)))
        size = max(1, min(self.MAX_CHUNK, size))
        return max(self.batch, size // self.batch * self.batch)

    def deadline(self, n: int, alone: bool = False) -> float:
        """When the parent stops waiting for a chunk: ``n x timeout + grace`` (twice the
        runs' time for batches evaluated in one call, see :meth:`RunContext.limit`). Dask worker
        threads cannot take ``SIGALRM``, so this is the time limit there. A chunk may
        still wait (behind a stuck run, or for a restarting worker), so only the expiry
        of a run submitted alone - nothing else in flight - is a verdict; other expired
        chunks are retried alone."""
        if not self.timeout:
            return math.inf
        limit = self.ctx.limit(n, alone) if self.ctx else n * self.timeout
        return time.monotonic() + limit + self.grace

    def next_chunk(self) -> tuple[list[Task], bool] | None:
        """The next chunk to submit, or None (nothing, all worker threads busy, or a
        suspect waiting to run alone)."""
        if self.suspects:
            if self.inflight:
                return None
            return [self.suspects.popleft()], True
        if len(self.inflight) >= self.slots:
            return None
        if not self.pending:
            return None
        n = self.chunk_size()
        return [self.pending.popleft() for _ in range(min(n, len(self.pending)))], False

    def requeue(self, chunk: list[Task], suspect: bool) -> None:
        (self.suspects if suspect else self.pending).extendleft(reversed(chunk))

    def wait_time(self) -> float:
        nearest = min((d for _, d, _ in self.inflight.values()), default=math.inf)
        return max(0.05, min(0.5, nearest - time.monotonic()))

    def expired(self) -> list[Any]:
        now = time.monotonic()
        return [f for f, (_, d, _) in self.inflight.items() if d < now]

    @property
    def finished(self) -> bool:
        return not (self.pending or self.suspects or self.inflight)


def _import_distributed() -> tuple[Any, Any]:
    try:
        import dask
        import distributed
    except ImportError:
        raise InputError(
            "Dask is not installed",
            field="--scheduler/--cluster",
            fix="pip install 'inspire-sim[dask]' (or use --workers N for local processes)",
        ) from None
    return dask, distributed


class DaskBackend(Backend):
    """``dask.distributed``: connect to ``address`` or start a LocalCluster
    (``max_memory`` becomes the LocalCluster's per-worker ``memory_limit``)."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        processes: bool = True,
        threads_per_worker: int = 1,
        grace: float = 3.0,
        max_memory: int | None = None,
    ) -> None:
        dask, distributed = _import_distributed()
        self.grace = grace
        self.cluster = None
        self.address = address
        if address is None:
            # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in new worker processes, which makes
            # numpy's allocations slow (about halves model speed): unset it.
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                self.cluster = distributed.LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=threads_per_worker,
                    processes=processes,
                    dashboard_address=":0",
                    silence_logs=50,
                    memory_limit=max_memory if max_memory else "auto",
                )
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    f"cannot connect to the Dask scheduler at {address!r} ({exc})",
                    field="--scheduler",
                    fix="check the address (tcp://host:8786) and that it runs",
                ) from None
        self.processes = processes

    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def describe(self) -> dict[str, Any]:
        info = self.client.scheduler_info() if hasattr(self.client, "scheduler_info") else {}
        return {
            "backend": self.name,
            "scheduler": self.client.scheduler.address,
            "local_cluster": self.cluster is not None,
            "workers": len(info.get("workers", {})),
            "threads": sum(self.client.nthreads().values()),
        }

    def _timed_out(self, fut: Any, chunk: list[Task], alone: bool, ctx: RunContext) -> dict[str, Any] | None:
        client = self.client
        where = [w for w, keys in client.processing().items() if fut.key in keys]
        fut.cancel()
        if self.processes and where:  # its nanny starts a new worker process
            with contextlib.suppress(Exception):
                client.run(_exit_worker, workers=where, wait=False)
        if alone:
            return _lost(
                chunk[0],
                "timed_out",
                f"did not stop within the time limit of {ctx.timeout:g} s; its Dask task was cancelled",
                float(ctx.timeout or 0.0),
            )
        return None

    @staticmethod
    def _finished(fut: Any, sched: _Scheduler, cancelled: dict[int, int]) -> Iterator[dict[str, Any]]:
        chunk, _, alone = sched.inflight.pop(fut)
        if fut.status == "finished":
            results = fut.result()
            sched.observe(results)
            yield from results
        elif fut.status == "cancelled":  # lost with a restarted worker: run again
            for t in chunk:
                cancelled[t[0]] = cancelled.get(t[0], 0) + 1
                if cancelled[t[0]] > 3:
                    yield _lost(t, "failed", "Dask cancelled this run's task repeatedly", 0.0)
                else:
                    sched.requeue([t], suspect=alone)
        elif alone or len(chunk) == 1:
            yield _lost(chunk[0], "failed", f"Dask task failed: {_describe(fut.exception())}", 0.0)
        else:
            sched.requeue(chunk, suspect=True)

    def execute(self, ctx: RunContext, tasks: list[Task], tick: Tick = None) -> Iterator[dict[str, Any]]:
        _, distributed = _import_distributed()
        client = self.client
        slots = max(1, sum(client.nthreads().values()))
        sched = _Scheduler(tasks, slots, ctx.timeout, self.grace, ctx)
        blob = pickle.dumps(ctx)  # by value: a worker killed for a timeout takes scattered data with it
        cancelled: dict[int, int] = {}
        try:
            while not sched.finished:
                while (nxt := sched.next_chunk()) is not None:
                    chunk, alone = nxt
                    if alone:  # its deadline must not run while no worker is up (restarts)
                        with contextlib.suppress(Exception):
                            client.wait_for_workers(1, timeout=300)
                    fut = client.submit(_run_chunk_with, blob, chunk, alone, pure=False, retries=0)
                    sched.inflight[fut] = (chunk, sched.deadline(len(chunk), alone), alone)
                with contextlib.suppress(Exception):
                    distributed.wait(list(sched.inflight), timeout=sched.wait_time(), return_when="FIRST_COMPLETED")
                if tick:
                    tick()
                for fut in [f for f in sched.inflight if f.status != "pending"]:
                    yield from self._finished(fut, sched, cancelled)
                for fut in sched.expired():
                    chunk, _, alone = sched.inflight.pop(fut)
                    lost = self._timed_out(fut, chunk, alone, ctx)
                    if lost is None:
                        sched.requeue(chunk, suspect=True)
                    else:
                        yield lost
        finally:
            for fut in sched.inflight:
                fut.cancel()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def check_backend_options(workers: int | None, scheduler: str | None, cluster: str | None) -> None:
    """Refuse bad backend options (before a sweep opens its store)."""
    if scheduler and cluster:
        raise InputError("give either --scheduler or --cluster, not both", field="--scheduler", fix="drop one of them")
    if cluster and cluster != "local":
        raise InputError(
            f"unknown cluster {cluster!r}",
            field="--cluster",
            fix="use --cluster local, or --scheduler ADDRESS for an existing Dask cluster",
        )
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} is below 1", field="--workers", fix="use 1 (sequential) or more")


def make_backend(
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    dask_processes: bool = True,
    max_memory: int | None = None,
) -> Backend:
    """Pick a backend from CLI-style options (``workers=1`` = sequential)."""
    check_backend_options(workers, scheduler, cluster)
    if scheduler:
        return DaskBackend(address=scheduler)
    if cluster:
        return DaskBackend(workers=workers, processes=dask_processes, max_memory=max_memory)
    if workers == 1:
        return Sequential(max_memory=max_memory)
    return LocalProcesses(workers, max_memory=max_memory)

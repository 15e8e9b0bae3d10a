"""Running many runs: the worker-side evaluation and the execution backends.

Backends (all yield one result dict per run, in completion order):

* :class:`Sequential` - in this process;
* :class:`LocalProcesses` - ``concurrent.futures.ProcessPoolExecutor`` with the
  *spawn* start method (safe with threads, macOS and Windows), adaptive chunked
  submission (chunks of about half a second of work; single runs for slow models);
* :class:`DaskBackend` - ``dask.distributed``: an existing scheduler address or a
  ``LocalCluster`` started for the sweep (optional extra ``inspire-sim[dask]``).

Failures never stop a sweep. A run that raises is recorded as ``failed`` with its
error. A run over the per-run time limit is interrupted inside the worker and
recorded as ``timed_out`` (``SIGALRM`` in a process's main thread; an asynchronous
exception in a thread otherwise); if it cannot be interrupted (stuck in C code), the
parent kills the worker after a grace period (the process pool is replaced, the Dask
worker restarted) and records it as ``timed_out``. A worker that dies (segfault,
out-of-memory kill) is detected; its runs are retried in isolation and the culprit is
recorded as ``failed``. Nothing hangs.
"""

from __future__ import annotations

import ctypes
import math
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

Task = tuple[int, int, dict[str, Any]]  # run_id, seed, factor values


class RunTimeout(BaseException):
    """Raised inside a run that exceeds its time limit (BaseException: user code's
    ``except Exception`` does not swallow it)."""


# ----------------------------------------------------------------------------------------
# worker side
# ----------------------------------------------------------------------------------------


@contextmanager
def soft_timeout(seconds: float | None):
    """Interrupt the enclosed code with :class:`RunTimeout` after ``seconds``."""
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def _alarm(signum, frame):
            raise RunTimeout(f"exceeded the time limit of {seconds:g} s")

        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        return
    # not the main thread (Dask worker threads): asynchronous exception into this thread
    tid = threading.get_ident()
    lock = threading.Lock()
    state = {"active": True, "fired": False}

    def _fire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(RunTimeout))

    timer = threading.Timer(seconds, _fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["active"] = False
            timer.cancel()
            if state["fired"]:  # clear a pending exception not yet raised
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


@dataclass
class RunContext:
    """Everything a worker needs to evaluate runs (pickled once per worker)."""

    route: str  # "inspire" | "model"
    outputs: list[Any]  # spec.Output
    timeout: float | None = None
    scenario: Any = None  # inspire route: the base Scenario (fixed applied)
    steps: int | None = None
    model_ref: str | None = None
    base_dir: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    _func: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_func": None}

    # -- one run ---------------------------------------------------------------------
    def _model(self, params: dict[str, Any], seed: int) -> dict[str, float]:
        if self._func is None:
            from .spec import accepts_seed, import_model

            func = import_model(self.model_ref, self.base_dir)
            self._func = (func, accepts_seed(func))
        func, with_seed = self._func
        args = {**self.fixed, **params}
        out = func(args, seed=seed) if with_seed else func(args)
        if not isinstance(out, dict):
            raise TypeError(f"the model function returned {type(out).__name__}, not a dict of outputs")
        values = {}
        for o in self.outputs:
            if o.indicator not in out:
                raise KeyError(f"the model function returned no {o.indicator!r} (keys: {', '.join(map(str, out))})")
            values[o.column] = out[o.indicator]
        return values

    def _inspire(self, params: dict[str, Any], seed: int) -> dict[str, float]:
        from ..run import run

        scen = self.scenario.with_overrides(params)
        ts = run(scen, seed=seed, steps=self.steps, record_partnerships=False).timeseries
        return {o.column: statistic(ts, o) for o in self.outputs}

    def evaluate(self, task: Task) -> dict[str, Any]:
        """Run one task; never raises (except KeyboardInterrupt/SystemExit)."""
        run_id, seed, params = task
        status, error, values = "ok", None, {}
        t0 = time.perf_counter()
        try:
            with soft_timeout(self.timeout):
                raw = self._inspire(params, seed) if self.route == "inspire" else self._model(params, seed)
            for k, v in raw.items():
                try:
                    values[k] = float(v)
                except (TypeError, ValueError):
                    raise TypeError(f"output {k!r} is not a scalar number (got {type(v).__name__})") from None
        except RunTimeout as exc:
            status, error, values = "timed_out", str(exc), {}
        except Exception as exc:
            status, error, values = "failed", _describe(exc), {}
        return {
            "run_id": run_id,
            "status": status,
            "error": error,
            "duration_s": time.perf_counter() - t0,
            "values": values,
        }


def statistic(ts: Any, out: Any) -> float:
    """final / mean / cumulative of one indicator over a window of months."""
    col = ts[out.indicator]
    if out.statistic == "final":
        return float(col.iloc[-1])
    if out.window is not None:
        a, b = out.window
        col = col[(ts["step"] >= a) & (ts["step"] <= b)]
    return float(col.mean() if out.statistic == "mean" else col.sum())


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" if tb else ""
    text = f"{type(exc).__name__}: {exc}{where}"
    return text if len(text) <= 2000 else text[:1997] + "..."


_WORKER_CTX: RunContext | None = None


def _init_worker(ctx: RunContext) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _ping() -> bool:
    return True


def _run_chunk(chunk: list[Task]) -> list[dict[str, Any]]:
    return [_WORKER_CTX.evaluate(t) for t in chunk]


def _run_chunk_with(ctx: RunContext, chunk: list[Task]) -> list[dict[str, Any]]:
    return [ctx.evaluate(t) for t in chunk]


def _lost(task: Task, status: str, error: str, duration: float) -> dict[str, Any]:
    return {"run_id": task[0], "status": status, "error": error, "duration_s": duration, "values": {}}


# ----------------------------------------------------------------------------------------
# scheduling shared by the parallel backends
# ----------------------------------------------------------------------------------------


class _Scheduler:
    """Adaptive chunks, bounded in-flight work, deadlines and isolation of suspects."""

    TARGET_CHUNK_S = 0.5
    MAX_CHUNK = 256

    def __init__(self, tasks: list[Task], slots: int, timeout: float | None, grace: float) -> None:
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
        if self.done_n < self.slots:
            return 1
        mean = self.done_time / self.done_n
        size = self.MAX_CHUNK if mean <= 0 else int(self.TARGET_CHUNK_S / mean)
        size = min(size, math.ceil(len(self.pending) / (2 * self.slots)))
        return max(1, min(self.MAX_CHUNK, size))

    def deadline(self, n: int, alone: bool) -> float:
        """When the parent stops waiting for a chunk. Runs normally stop themselves at
        the time limit (soft timeout); this is the backstop for runs stuck in C code.
        A chunk sharing the pool may also wait behind others, so its deadline is
        generous and its expiry is no verdict: its runs are then retried alone, and
        only a run that overruns alone is recorded as timed out."""
        if not self.timeout:
            return math.inf
        if alone:
            return time.monotonic() + self.timeout + self.grace
        largest = max((len(c) for c, _, _ in self.inflight.values()), default=1)
        return time.monotonic() + 2 * max(n, largest) * self.timeout + self.grace

    def next_chunk(self) -> tuple[list[Task], bool] | None:
        """The next chunk to submit, or None (nothing, or waiting to isolate a suspect)."""
        if self.suspects:
            if self.inflight:
                return None
            return [self.suspects.popleft()], True
        if not self.pending or len(self.inflight) >= 2 * self.slots:
            return None
        n = self.chunk_size()
        return [self.pending.popleft() for _ in range(min(n, len(self.pending)))], False

    def requeue(self, chunk: list[Task], suspect: bool) -> None:
        (self.suspects if suspect else self.pending).extendleft(reversed(chunk))

    def wait_time(self) -> float:
        nearest = min((d for _, d, _ in self.inflight.values()), default=math.inf)
        return max(0.05, min(1.0, nearest - time.monotonic()))

    def expired(self) -> list[Any]:
        now = time.monotonic()
        return [f for f, (_, d, _) in self.inflight.items() if d < now]

    @property
    def finished(self) -> bool:
        return not (self.pending or self.suspects or self.inflight)


class Backend:
    """Base class: ``execute(ctx, tasks)`` yields result dicts as runs complete."""

    name = "backend"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def execute(self, ctx: RunContext, tasks: list[Task]) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Sequential(Backend):
    """Runs in this process, one after another. The time limit uses ``SIGALRM``; code
    that never returns to the interpreter (a stuck C call) cannot be interrupted here."""

    name = "sequential"

    def execute(self, ctx: RunContext, tasks: list[Task]) -> Iterator[dict[str, Any]]:
        for t in tasks:
            yield ctx.evaluate(t)


class LocalProcesses(Backend):
    """A spawn-context process pool on this machine (default: all cores)."""

    name = "processes"

    def __init__(self, workers: int | None = None, grace: float = 5.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.grace = grace
        self.pool: ProcessPoolExecutor | None = None

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "workers": self.workers, "start_method": "spawn"}

    def _new_pool(self, ctx: RunContext) -> ProcessPoolExecutor:
        import multiprocessing

        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(ctx,),
        )
        # wait for a started worker: deadlines then exclude start-up, and a pool that
        # cannot start at all is reported instead of failing every run
        try:
            pool.submit(_ping).result(timeout=300)
        except (BrokenProcessPool, TimeoutError) as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError(
                "worker processes could not start (a script that starts a sweep with local processes must "
                'run it under `if __name__ == "__main__":`, as the spawn start method re-imports the script; '
                f"or use workers=1): {exc}"
            ) from None
        return pool

    def _kill_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        # Python 3.14 has pool.kill_workers(); on 3.12 reach the processes directly
        procs = list(getattr(pool, "_processes", {}).values())
        for p in procs:
            try:
                p.kill()
            except Exception:
                pass
        for p in procs:
            p.join(timeout=5)
        pool.shutdown(wait=False, cancel_futures=True)

    def execute(self, ctx: RunContext, tasks: list[Task]) -> Iterator[dict[str, Any]]:
        sched = _Scheduler(tasks, self.workers, ctx.timeout, self.grace)
        self.pool = self._new_pool(ctx)
        try:
            while not sched.finished:
                while (nxt := sched.next_chunk()) is not None:
                    chunk, alone = nxt
                    fut = self.pool.submit(_run_chunk, chunk)
                    sched.inflight[fut] = (chunk, sched.deadline(len(chunk), alone), alone)
                done, _ = futures_wait(list(sched.inflight), timeout=sched.wait_time(), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    chunk, _, alone = sched.inflight.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if alone:
                            yield _lost(
                                chunk[0],
                                "failed",
                                "worker process died during this run (crash or out-of-memory kill)",
                                0.0,
                            )
                        else:
                            sched.requeue(chunk, suspect=True)
                        continue
                    sched.observe(results)
                    yield from results
                expired = sched.expired()
                if broken or expired:
                    for fut in expired:
                        chunk, _, alone = sched.inflight.pop(fut)
                        if alone:
                            yield _lost(
                                chunk[0],
                                "timed_out",
                                f"did not stop within the time limit of "
                                f"{ctx.timeout:g} s; its worker process was killed",
                                float(ctx.timeout),
                            )
                        else:
                            sched.requeue(chunk, suspect=True)
                    for fut, (chunk, _, _) in list(sched.inflight.items()):
                        sched.requeue(chunk, suspect=broken)  # collateral: run again
                    sched.inflight.clear()
                    self._kill_pool()
                    self.pool = self._new_pool(ctx)
        finally:
            self._kill_pool() if sched.inflight else self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def _import_distributed():
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
    """``dask.distributed``: connect to ``address`` or start a LocalCluster."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        processes: bool = True,
        threads_per_worker: int = 1,
        grace: float = 10.0,
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
                    silence_logs=40,
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

    def describe(self) -> dict[str, Any]:
        info = self.client.scheduler_info() if hasattr(self.client, "scheduler_info") else {}
        return {
            "backend": self.name,
            "scheduler": self.client.scheduler.address,
            "local_cluster": self.cluster is not None,
            "workers": len(info.get("workers", {})),
            "threads": sum(self.client.nthreads().values()),
        }

    def execute(self, ctx: RunContext, tasks: list[Task]) -> Iterator[dict[str, Any]]:
        _, distributed = _import_distributed()
        client = self.client
        slots = max(1, sum(client.nthreads().values()))
        sched = _Scheduler(tasks, slots, ctx.timeout, self.grace)
        ctx_f = client.scatter(ctx, broadcast=True, hash=False)
        cancelled: dict[int, int] = {}
        try:
            while not sched.finished:
                while (nxt := sched.next_chunk()) is not None:
                    chunk, alone = nxt
                    fut = client.submit(_run_chunk_with, ctx_f, chunk, pure=False, retries=0)
                    sched.inflight[fut] = (chunk, sched.deadline(len(chunk), alone), alone)
                try:
                    distributed.wait(list(sched.inflight), timeout=sched.wait_time(), return_when="FIRST_COMPLETED")
                except Exception:
                    pass
                done = [f for f in sched.inflight if f.status != "pending"]
                for fut in done:
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
                for fut in sched.expired():
                    chunk, _, alone = sched.inflight.pop(fut)
                    where = [w for w, keys in client.processing().items() if fut.key in keys]
                    fut.cancel()
                    if self.processes and where:
                        try:
                            client.restart_workers(where, raise_for_error=False)
                        except Exception:
                            pass
                    if alone:
                        yield _lost(
                            chunk[0],
                            "timed_out",
                            f"did not stop within the time limit of {ctx.timeout:g} s; its Dask task was cancelled",
                            float(ctx.timeout),
                        )
                    else:
                        sched.requeue(chunk, suspect=True)
        finally:
            for fut in sched.inflight:
                fut.cancel()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_backend(
    workers: int | None = None, scheduler: str | None = None, cluster: str | None = None, dask_processes: bool = True
) -> Backend:
    """Pick a backend from CLI-style options (``workers=1`` = sequential)."""
    if scheduler and cluster:
        raise InputError("give either --scheduler or --cluster, not both", field="--scheduler", fix="drop one of them")
    if scheduler:
        return DaskBackend(address=scheduler)
    if cluster:
        if cluster != "local":
            raise InputError(
                f"unknown cluster {cluster!r}",
                field="--cluster",
                fix="use --cluster local, or --scheduler ADDRESS for an existing Dask cluster",
            )
        return DaskBackend(workers=workers, processes=dask_processes)
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} is below 1", field="--workers", fix="use 1 (sequential) or more")
    if workers == 1:
        return Sequential()
    return LocalProcesses(workers)

"""Run an experiment: design -> runs on a backend -> resumable store -> analysis."""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..manifest import base_manifest
from ..runpool import spread_batch
from .analysis import sensitivity_indices, summarize
from .design import DEFAULT_MAX_RUNS, Design, build_design, check_size, run_table
from .execute import DEFAULT_TIMEOUT, Backend, RunContext, check_backend_options, make_backend
from .names import safe_name
from .spec import ExperimentSpec, load_spec, parse_memory
from .store import FORMAT, RunStore

if TYPE_CHECKING:
    from ..core.scenario import Scenario


@dataclass
class SweepResult:
    """What a sweep produced (tables are also on disk in ``out``)."""

    spec: ExperimentSpec
    design: Design
    out: Path
    runs: pd.DataFrame  # one row per run: ids, seed, status, error, duration, factors, outputs
    summary: pd.DataFrame  # per point x output: mean, sd, CI
    indices: pd.DataFrame | None = None  # tidy sensitivity indices (sobol / morris)
    notes: list[str] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    elapsed_s: float = 0.0
    executed: int = 0  # runs executed in this call (the rest were resumed from disk)

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def n_failed(self) -> int:
        """Runs that did not succeed (failed, timed out or invalid)."""
        return int((self.runs["status"] != "ok").sum())

    @property
    def n_invalid(self) -> int:
        """Runs whose outputs are NaN or infinite."""
        return int((self.runs["status"] == "invalid").sum())

    @property
    def n_timed_out(self) -> int:
        return int((self.runs["status"] == "timed_out").sum())

    @property
    def failures(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]


def _batch_size(spec: ExperimentSpec, design: Design, batch: int | str | None, scenario: Scenario | None = None) -> int:
    """Runs per batch: ``batch`` (else the spec's, else "auto"). "auto" sizes batches for the
    largest ``n_smes`` of the design's points (the model route: 1, no batching). ``scenario``:
    the spec's base scenario if already loaded."""
    from ..run import check_batch, resolve_batch

    value = check_batch(batch if batch is not None else spec.batch, "batch" if batch is None else "--batch")
    if spec.route != "inspire":
        return 1 if value == "auto" else int(value)
    n_smes = (scenario or spec.load_base_scenario()).params.n_smes
    if "n_smes" in design.factors:
        n_smes = max([n_smes, *(int(v) for v in design.points["n_smes"])])
    return resolve_batch(value, n_smes)


def _context(
    spec: ExperimentSpec, timeout: float, max_memory: int | None, batch: int = 1, scenario: Scenario | None = None
) -> RunContext:
    if spec.route == "inspire":
        return RunContext(
            route="inspire",
            outputs=list(spec.outputs),
            timeout=timeout,
            scenario=scenario or spec.load_base_scenario(),
            steps=spec.steps,
            model_class=spec.model_class,
            base_dir=spec.base_dir,
            max_memory=max_memory,
            plans=spec.load_plan_scenarios(),
            batch=batch,
        )
    return RunContext(
        route="model",
        outputs=list(spec.outputs),
        timeout=timeout,
        max_memory=max_memory,
        model_ref=spec.model,
        base_dir=spec.base_dir,
        fixed=dict(spec.fixed),
        batch=batch,
    )


def _manifest(spec: ExperimentSpec, design: Design, ctx: RunContext) -> dict[str, Any]:
    source = Path(spec.source) if spec.source else None
    spec_text = source.read_text(encoding="utf-8") if source is not None and source.is_file() else None
    m: dict[str, Any] = base_manifest("sweep", seed=spec.seed, spec_text=spec_text) | {
        "format": FORMAT,
        "spec": spec.model_dump(mode="json"),
        "spec_hash": spec.hash,
        "spec_source": spec.source,
        "root_seed": spec.seed,
        "seeding": (
            "SeedSequence(root_seed, spawn_key=(replicate,)) - common random numbers across design points"
            if spec.common_random_numbers
            else "SeedSequence(root_seed, spawn_key=(point_id, replicate))"
        ),
        "design": {
            "kind": design.kind,
            "factors": design.factors,
            "n_points": design.n_points,
            "replications": design.replications,
            "n_runs": design.n_runs,
            "problem": design.problem,
        },
        "outputs": spec.output_names,
    }
    if ctx.scenario is not None:
        m["scenario"] = ctx.scenario.to_dict()
    if ctx.plans:  # effect_of plans: each output with effect_of is plan minus scenario, paired
        m["plans"] = {name: scen.to_dict() for name, scen in ctx.plans.items()}
    return m


def _design_frame(design: Design) -> pd.DataFrame:
    df = design.points.copy()
    if design.unit is not None:
        for i, n in enumerate(design.factors):
            df[f"unit_{n}"] = design.unit[:, i]
    return df


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a sweep; every finished run is on disk (resume by
    running it again)."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the sweep like Ctrl-C (cleanly, runs flushed); main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _term(signum: int, frame: Any) -> None:
        raise SweepInterrupted(f"stopped by {signal.Signals(signum).name}")

    old = signal.signal(signal.SIGTERM, _term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run_sweep(
    spec: ExperimentSpec | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    backend: Backend | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    analyze: bool | None = None,
    figures: bool = True,
    flush_seconds: float = 1.0,
    timeout: float | None = None,
    max_memory: int | str | None = None,
    max_runs: int = DEFAULT_MAX_RUNS,
    batch: int | str | None = None,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run (or resume) every run of ``spec`` and store the results in ``out``.

    ``workers=1`` runs one after another in one worker process; ``workers=N``
    (default: all cores) on N local processes; ``scheduler="tcp://host:8786"`` on a
    Dask cluster; ``cluster="local"`` on a Dask LocalCluster; or pass a ``backend``.
    ``out=None`` uses a temporary directory. Sensitivity indices are computed when
    ``analyze`` (default: for sobol and morris designs). Failed, timed-out and invalid
    runs are recorded, never raised: see ``result.n_failed`` and ``result.failures``.

    Execution settings are not part of the spec's identity (a store resumes with other
    values): ``timeout`` per run in seconds (default: the spec's, else
    :data:`~inspire_sim.experiments.execute.DEFAULT_TIMEOUT`), ``max_memory`` per run
    (bytes or "2G"; default: the spec's, else none), ``max_runs`` (refuse larger
    designs before anything runs), ``batch`` (runs per batch: "auto", the default unless
    the spec sets one, sizes batches to about 50,000 simulated SMEs; N; 1 = no batching;
    results do not depend on it). ``log`` gets one-line notices (default: stderr).
    Ctrl-C or SIGTERM raise :class:`SweepInterrupted` after flushing the finished runs.
    """
    t0 = time.perf_counter()
    say = log or (lambda line: print(f"inspire-sim: {line}", file=sys.stderr))
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    check_size(spec, max_runs)
    if backend is None:
        check_backend_options(workers, scheduler, cluster)
    timeout = float(timeout) if timeout is not None else (spec.timeout or DEFAULT_TIMEOUT)
    memory = parse_memory(max_memory, "max_memory") if max_memory is not None else spec.max_memory
    design = build_design(spec)
    runs = run_table(spec, design)
    base = spec.load_base_scenario() if spec.route == "inspire" else None  # loaded and validated once
    ctx = _context(spec, timeout, memory, _batch_size(spec, design, batch, base), base)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"inspire-{safe_name(spec.name)}-"))
    store = RunStore(out, spec.output_names, flush_seconds=flush_seconds)
    design_df = _design_frame(design)
    store.open(_manifest(spec, design, ctx), design_df)
    try:
        done = store.recorded(retry_failed=retry_failed)
        for line in store.problems:
            say(line)
        with _sigterm_as_interrupt():
            executed = _execute(
                spec, design, runs, ctx, store, done, backend, progress, memory, workers, scheduler, cluster, figures
            )
        table = store.finalize(design_df, spec.factor_names)
    finally:
        store.close()
    summary = summarize(table, spec)
    _write(summary, out / "summary")
    result = SweepResult(spec, design, out, table, summary, executed=executed, notes=list(store.problems))
    if analyze is None:
        analyze = spec.design.kind in ("sobol", "morris")
    if analyze:
        result.indices, notes = sensitivity_indices(table, spec, design)
        result.notes += notes
        _write(result.indices, out / "indices")
    if figures:
        from .plots import make_figures

        result.figures = make_figures(spec, result.summary, result.indices, out / "figures")
    result.elapsed_s = time.perf_counter() - t0
    return result


class _NoBar:
    """The progress bar of a quiet sweep (no tqdm to import: tqdm.auto imports asyncio)."""

    def set_postfix(self, **_: Any) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(name: str, total: int, initial: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc=name,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def _execute(
    spec: ExperimentSpec,
    design: Design,
    runs: pd.DataFrame,
    ctx: RunContext,
    store: RunStore,
    done: set[int],
    backend: Backend | None,
    progress: bool,
    memory: int | None,
    workers: int | None,
    scheduler: str | None,
    cluster: str | None,
    figures: bool = False,
) -> int:
    params = [design.params(i) for i in range(design.n_points)]
    point = runs["point_id"].to_numpy()
    rep = runs["replicate"].to_numpy()
    seed = runs["seed"].to_numpy()
    tasks = [(int(r), int(seed[r]), params[point[r]]) for r in runs["run_id"].to_numpy() if int(r) not in done]
    if not tasks:
        return 0
    executed = failed = 0
    own = backend is None
    backend = backend or make_backend(workers=workers, scheduler=scheduler, cluster=cluster, max_memory=memory)
    ctx.batch = spread_batch(ctx.batch, len(tasks), backend.slots())
    bar = _progress_bar(spec.name, design.n_runs, design.n_runs - len(tasks)) if progress else _NoBar()
    bar.set_postfix(failed=0)
    try:
        store.start_session(
            {**backend.describe(), "runs_to_do": len(tasks), "timeout": ctx.timeout, "batch": ctx.batch}
        )
        prefetched = not figures

        def tick() -> None:  # the backend calls this while it waits for runs (its workers are up)
            nonlocal prefetched
            if not prefetched:
                from .plots import prefetch

                prefetch()  # import matplotlib while the runs execute
                prefetched = True
            store.tick()

        for res in backend.execute(ctx, tasks, tick=tick):
            r = res["run_id"]
            res.update(point_id=int(point[r]), replicate=int(rep[r]), seed=int(seed[r]))
            store.add(res)
            executed += 1
            if res["status"] != "ok":
                failed += 1
                bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
    except KeyboardInterrupt as exc:
        raise SweepInterrupted(str(exc) or "interrupted (Ctrl-C)") from None
    finally:
        store.flush()
        store.end_session(runs_done=executed, runs_failed=failed)
        bar.close()
        if own:
            backend.close()
    return executed


def run_sensitivity(spec: ExperimentSpec | str | Path, out: str | Path | None = None, **kw: Any) -> SweepResult:
    """:func:`run_sweep` for a sobol or morris design, with the indices computed."""
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if spec.design.kind not in ("sobol", "morris"):
        from ..errors import InputError

        raise InputError(
            f"design {spec.design.kind!r} has no sensitivity indices",
            source=spec.source,
            field="design.kind",
            fix='use kind = "sobol" or "morris", or run it with the sweep command',
        )
    return run_sweep(spec, out, analyze=True, **kw)


def _write(df: pd.DataFrame, stem: Path) -> None:
    import pyarrow as pa

    from .store import _atomic_csv, _atomic_parquet

    df = df.copy()
    for c in df.columns:  # mixed-type level columns -> strings for Parquet
        if df[c].dtype == object and df[c].map(type).nunique() > 1:
            df[c] = df[c].astype(str)
    _atomic_parquet(pa.Table.from_pandas(df, preserve_index=False), stem.with_suffix(".parquet"))
    _atomic_csv(df, stem.with_suffix(".csv"))


def format_summary(result: SweepResult, max_rows: int = 20) -> str:
    """A plain-text summary for the terminal."""
    spec = result.spec
    lines = [
        f"{spec.name}: {result.n_runs} runs ({result.design.n_points} points x {spec.replications} "
        f"replications, design {spec.design.kind}), {result.n_runs - result.n_failed} ok, "
        f"{result.n_failed - result.n_timed_out - result.n_invalid} failed, {result.n_timed_out} timed out, "
        f"{result.n_invalid} invalid; "
        f"{result.executed} executed now in {result.elapsed_s:.1f} s"
    ]
    if result.indices is not None and not result.indices.empty:
        from .analysis import wide_indices

        wide = wide_indices(result.indices)
        key = "ST" if spec.design.kind == "sobol" else "mu_star"
        for out, g in wide.groupby("output", sort=False):
            lines.append(f"\n{out} ({'Sobol' if key == 'ST' else 'Morris'}, sorted by {key}):")
            g = g.sort_values(key, ascending=False).drop(columns="output")
            lines.append(g.head(max_rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    else:
        s = result.summary
        wide = s.pivot_table(index=["point_id", *spec.factor_names], columns="output", values="mean", sort=False)
        wide = wide.reset_index().drop(columns="point_id")
        lines.append(f"\nmean over ok replications per design point (first {min(max_rows, len(wide))} of {len(wide)}):")
        lines.append(wide.head(max_rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for n in result.notes:
        lines.append(f"note: {n}")
    if result.n_failed:
        first = result.failures.iloc[0]
        lines.append(f"first problem: run {first['run_id']} ({first['status']}): {first['error']}")
    lines.append(
        f"\nresults: {result.out}/results.parquet (.csv), summary.parquet"
        + (", indices.parquet" if result.indices is not None else "")
        + (f", {len(result.figures)} figures in {result.out}/figures" if result.figures else "")
    )
    return "\n".join(lines)

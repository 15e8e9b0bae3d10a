"""The comparison's run store and runner: one results folder per (scenario, seed), resumable."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...results import RunResult


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:60] or "scenario"


def scenario_key(scenario: Any, steps: int, code: str | None = None) -> str:
    """Hash of what determines a run besides its seed: resolved scenario, months, code."""
    from ...manifest import PACKAGE_VERSION, git_revision

    data = scenario.to_dict()
    data.pop("path", None)
    blob = json.dumps(
        {
            "scenario": data,
            "steps": int(steps),
            "version": PACKAGE_VERSION,
            "code": code if code is not None else git_revision(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def run_and_store(args: dict[str, Any], seed: int) -> dict[str, float]:
    """Worker side (a ``module:function`` model of the experiment runner): run one
    (scenario, replication) and save it atomically to its store directory."""
    from ...run import run

    t0 = time.perf_counter()
    res = run(args["scenarios"][args["key"]], seed=seed, steps=args["steps"])
    _store(res, args, seed)
    return {"months": float(len(res.timeseries)), "seconds": time.perf_counter() - t0}


def run_and_store_batch(args: list[dict[str, Any]], seeds: list[int]) -> list[dict[str, float]]:
    """Worker side, batched (the experiment runner's ``batch_model_ref``): the runs of a batch
    in one :func:`~inspire_sim.run.run_batch` call, each saved as :func:`run_and_store` saves it."""
    from ...run import run_batch

    t0 = time.perf_counter()
    results = run_batch([a["scenarios"][a["key"]] for a in args], list(seeds), steps=args[0]["steps"])
    each = (time.perf_counter() - t0) / max(len(args), 1)
    for res, a, seed in zip(results, args, seeds, strict=True):
        _store(res, a, seed)
    return [{"months": float(len(res.timeseries)), "seconds": each} for res in results]


def _store(res: RunResult, args: dict[str, Any], seed: int) -> None:
    """Save one run atomically to its folder ``<key dir>/seed-<seed>``."""
    from ...results import save_run

    res.manifest["replication"] = int(args["replication"])
    res.manifest["root_seed"] = int(args["root_seed"])
    target = Path(args["dirs"][args["key"]]) / f"seed-{seed}"
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    save_run(res, tmp)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def _plan_dirs(
    scenarios: Sequence[Any], steps: int | None, root: Path, draws: Sequence[dict[str, float]] | None, reps: int
) -> tuple[list[list[str]], dict[str, str], dict]:
    """Store key of each (plan, replication), folder and scenario of each key (equal plans share keys).

    Without ``draws`` a plan has one key for all replications; with them, replication ``r`` runs the
    plan with the parameter overrides ``draws[r]``, and the key (hash of the resolved scenario)
    includes the draw.
    """
    from ...manifest import git_revision

    code = git_revision()
    keys: list[list[str]] = []
    dirs: dict[str, str] = {}
    by_key: dict[str, Any] = {}
    for scen in scenarios:
        n_steps = steps if steps is not None else scen.params.steps
        variants = [scen.with_overrides(d) for d in draws] if draws is not None else [scen]
        mine = []
        for variant in variants:
            key = scenario_key(variant, n_steps, code)
            mine.append(key)
            by_key[key] = variant
            dirs[key] = str(root / f"{_slug(scen.name)}-{key}")
            Path(dirs[key]).mkdir(parents=True, exist_ok=True)
        keys.append(mine if draws is not None else mine * reps)
    return keys, dirs, by_key


def _execute(backend: Any, fixed: dict[str, Any], tasks: list, progress: bool, batch: int = 1) -> list[tuple[int, str]]:
    """Run the tasks on ``backend`` (``batch`` runs per worker task, at most an equal share per
    worker); return (run_id, error) of the failed ones."""
    from tqdm.auto import tqdm

    from ...experiments.execute import RunContext
    from ...experiments.spec import Output
    from ...runpool import spread_batch

    ctx = RunContext(
        route="model",
        outputs=[Output(indicator="months", window=None, name=None)],
        model_ref="inspire_sim.reports.compare.store:run_and_store",
        batch_model_ref="inspire_sim.reports.compare.store:run_and_store_batch",
        batch=spread_batch(batch, len(tasks), backend.slots()),
        fixed=fixed,
        timeout=RunContext.DEFAULT_TIMEOUT,  # contained runs on every backend, --workers 1 included
    )
    failed = []
    bar = tqdm(total=len(tasks), unit="run", desc="compare", disable=not progress, dynamic_ncols=True)
    try:
        for res in backend.execute(ctx, tasks):
            if res["status"] != "ok":
                failed.append((res["run_id"], res["error"]))
            bar.update(1)
    finally:
        bar.close()
    return failed


def run_plans(
    scenarios: Sequence[Any],
    replications: int,
    *,
    seed: int = 0,
    steps: int | None = None,
    workers: int | None = 1,
    store: str | Path | None = None,
    fresh: bool = False,
    progress: bool = False,
    backend: Any = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    draws: Sequence[dict[str, float]] | None = None,
    batch: int | str | None = "auto",
) -> tuple[list[list[RunResult]], dict[str, Any]]:
    """Run ``replications`` replications of each scenario with common seeds.

    ``draws`` (one dict of dotted parameter overrides per replication, e.g. posterior draws): replication
    ``r`` of every scenario runs with ``draws[r]`` and seed ``r`` (common parameters and random numbers).

    Tasks go to the experiment runner's backend (``workers=1`` sequential in this
    process, ``N`` local processes, ``scheduler``/``cluster`` Dask as in
    :func:`~inspire_sim.experiments.execute.make_backend`, or a given ``backend``;
    workers write to ``store``, which must be visible to them). Runs are stored under
    ``store`` (a temporary directory when None) and reused when present unless
    ``fresh``. Returns the replications per scenario (in order) and run information.

    ``batch`` (the execution setting, :func:`~inspire_sim.run.resolve_batch`): runs per worker
    task, each task one :func:`~inspire_sim.run.run_batch` call; tasks are in plan order, so a
    batch holds one plan's replications (``"auto"``: sized for the largest ``n_smes``; 1: one
    run per task). Results do not depend on it.
    """
    from ...experiments.execute import make_backend
    from ...results import load_run
    from ...run import replication_seeds, resolve_batch
    from ...runpool import spread_batch

    seeds = replication_seeds(seed, replications)
    size = resolve_batch(batch, max((s.params.n_smes for s in scenarios), default=1))
    tmp = None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="inspire-compare-")
        store = tmp.name
    if draws is not None and len(draws) != replications:
        raise ValueError(f"{len(draws)} parameter draws for {replications} replications")
    root = Path(store) / "runs"
    keys, dirs, by_key = _plan_dirs(scenarios, steps, root, draws, replications)
    tasks: list[tuple[int, int, dict[str, Any]]] = []
    index: dict[int, tuple[str, int]] = {}
    cells = dict.fromkeys((k[r], r) for k in keys for r in range(replications))
    for key, r in cells:
        s = seeds[r]
        done = (Path(dirs[key]) / f"seed-{s}" / "manifest.json").is_file()
        if done and not fresh:
            continue
        index[len(tasks)] = (key, r)
        tasks.append((len(tasks), s, {"key": key, "replication": r}))
    info: dict[str, Any] = {
        "runs_total": len(cells),
        "runs_executed": len(tasks),
        "runs_reused": len(cells) - len(tasks),
        "store": str(root),
        "batch": size,
    }
    t0 = time.perf_counter()
    if tasks:
        fixed = {"scenarios": by_key, "dirs": dirs, "steps": steps, "root_seed": int(seed)}
        own = backend is None
        backend = backend or make_backend(workers=workers, scheduler=scheduler, cluster=cluster)
        info["backend"] = backend.describe()
        info["batch"] = spread_batch(size, len(tasks), backend.slots())
        try:
            failed = _execute(backend, fixed, tasks, progress, size)
        finally:
            if own:
                backend.close()
        if failed:
            key, r = index[failed[0][0]]
            raise RuntimeError(
                f"{len(failed)} run(s) failed; first: {by_key[key].name} replication {r}: {failed[0][1]}"
            )
    info["simulate_s"] = round(time.perf_counter() - t0, 3)
    out = []
    try:
        for mine in keys:
            out.append([load_run(Path(dirs[mine[r]]) / f"seed-{s}") for r, s in enumerate(seeds)])
    finally:
        if tmp is not None:
            tmp.cleanup()
    return out, info

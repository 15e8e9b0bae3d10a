"""OI projects: the running book (arrays) and the partnership log.

A project is one OI move (Livieratos et al. 2022): a lead SME with one partner for a
duration; its success probability is fixed when it forms, from the pair's features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .state import PartnerType, Stage

# Columns stored per project: name -> dtype. The log keeps every project ever started.
# Identities are stored as int32 (2**31 projects and Mesa unique_ids are far beyond any run:
# n_smes <= 5 M) and given to users as int64 (OUTPUT_DTYPES).
COLUMNS: dict[str, str] = {
    "project_id": "int32",  # numbered per run from 0
    "run": "int16",  # run of the batch (internal)
    "start": "int32",
    "end": "int32",
    "lead": "int32",  # SME slot (internal)
    "partner": "int32",  # actor index (internal)
    "lead_id": "int32",
    "partner_id": "int32",
    "partner_type": "int8",
    "lead_stage": "int8",
    "lead_country": "int16",
    "partner_country": "int16",
    "lead_region": "int16",  # NUTS-2 region (global index)
    "partner_region": "int16",
    "lead_sector": "int16",
    "cross_border": "bool",
    "repeat_partner": "bool",
    "lead_resource_focus": "bool",
    "brokered": "bool",
    "matchmade": "bool",
    "introduced_by": "int16",  # index of the policy whose intermediary introduced the partner (-1: none)
    "funded": "bool",
    "cost": "float32",  # EUR: the project's cost to the lead SME
    "grant": "float32",  # EUR paid toward it by the levers (co-funding, vouchers)
    "chemistry": "float32",
    "vision": "float32",
    "pm_quality": "float32",
    "fit": "float32",
    "trust": "float32",
    "friction": "float32",
    "p_success": "float32",
    "success": "bool",
    "false_failure": "bool",
    "resolved": "bool",
}

INTERNAL = ("lead", "partner", "run")
"""Columns of :data:`COLUMNS` used by the model only (not in ``RunResult.partnerships``)."""

OUTPUT_DTYPES: dict[str, str] = {"project_id": "int64", "lead_id": "int64", "partner_id": "int64"}
"""dtype of a ``RunResult.partnerships`` column where it differs from the stored one in :data:`COLUMNS`."""


class ProjectBook:
    """Running projects as arrays, plus an append-only log of all projects."""

    def __init__(self, keep_log: bool = True, runs: int = 1) -> None:
        self.keep_log = keep_log
        self.running: dict[str, np.ndarray] = {k: np.empty(0, dtype=v) for k, v in COLUMNS.items()}
        self._log: list[dict[str, np.ndarray]] = []
        self.next_id = np.zeros(runs, dtype=np.int64)  # per run
        self._by_run: tuple[tuple[int, int, int], dict[str, np.ndarray], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.running["project_id"])

    def start(self, **cols: np.ndarray) -> None:
        """Add new projects (one array per column; missing outcome columns default to False).

        ``run`` (sorted: the runs' projects in turn) numbers each run's projects on from its last id.
        """
        n = len(cols["lead"])
        if n == 0:
            return
        runs = len(self.next_id)
        run = np.asarray(cols.get("run", np.zeros(n, dtype=np.int64)), dtype=np.int64)
        if runs == 1:
            ids = np.arange(self.next_id[0], self.next_id[0] + n)
            self.next_id[0] += n
        else:
            counts = np.bincount(run, minlength=runs)
            first = np.cumsum(counts) - counts
            ids = self.next_id[run] + np.arange(n) - first[run]
            self.next_id += counts
        new = {}
        for k, dtype in COLUMNS.items():
            if k == "project_id":
                new[k] = ids.astype(dtype)
            elif k == "run":
                new[k] = run.astype(dtype)
            elif k in cols:
                new[k] = np.asarray(cols[k]).astype(dtype, copy=False)
            else:
                new[k] = np.zeros(n, dtype=dtype)
        self.running = {k: np.concatenate([self.running[k], new[k]]) for k in COLUMNS}

    def due(self, month: int) -> np.ndarray:
        """Indices (into ``running``) of projects ending this month."""
        return np.flatnonzero(self.running["end"] <= month)

    def close(self, idx: np.ndarray, success: np.ndarray, false_failure: np.ndarray) -> None:
        """Record outcomes of ``running[idx]`` and move them to the log."""
        if len(idx) == 0:
            return
        done = {k: v[idx] for k, v in self.running.items()}
        done["success"] = success.astype(bool)
        done["false_failure"] = false_failure.astype(bool)
        done["resolved"] = np.ones(len(idx), dtype=bool)
        if self.keep_log:
            self._log.append(done)
        keep = np.ones(len(self), dtype=bool)
        keep[idx] = False
        self.running = {k: v[keep] for k, v in self.running.items()}

    def forget_log(self) -> None:
        """Drop the log of resolved projects (at the end of the burn-in); running ones stay."""
        self._log = []

    def _run_slices(self, parts: list[dict[str, np.ndarray]], run: int) -> dict[str, np.ndarray]:
        """Run ``run``'s rows of ``parts`` concatenated in part order: every part joined and grouped by
        run once (a stable sort, so each run keeps its part order) for all the runs' tables of a batch."""
        key = (len(self._log), id(self.running), len(parts))
        cache = self._by_run
        if cache is None or cache[0] != key:
            runs = np.concatenate([p["run"] for p in parts])
            order = np.argsort(runs, kind="stable")
            bounds = np.searchsorted(runs[order], np.arange(len(self.next_id) + 1))
            joined = {k: np.concatenate([p[k] for p in parts])[order] for k in COLUMNS}
            cache = self._by_run = (key, joined, bounds)
        _, joined, bounds = cache
        lo, hi = int(bounds[run]), int(bounds[run + 1])
        return {k: v[lo:hi] for k, v in joined.items()}

    def table(
        self,
        country_names: list[str],
        run: int = 0,
        region_names: list[str] | None = None,
        sector_names: list[str] | None = None,
        consume: bool = False,
    ) -> pd.DataFrame:
        """All projects of run ``run`` (resolved ones and those still running) as a DataFrame (reporting months).

        ``consume``: free the log of resolved projects column by column while the table is built (a
        single run at its end; the log is empty afterwards), so the table costs little memory on top.

        Regions and sectors are categorical with ``region_names`` / ``sector_names`` (else their codes).

        One row per project in ``project_id`` order. Built one column at a time straight from
        the log (no intermediate frame, the categorical columns from their codes), so building it
        needs little more memory than the table itself.
        """
        parts = [*self._log, self.running]
        consume = consume and len(self.next_id) == 1
        if len(self.next_id) > 1:  # a batch: this run's projects only (the same rows, in the same order)
            parts = [self._run_slices(parts, run)]
        logged = parts[:-1] if consume else []
        ids = np.concatenate([p["project_id"] for p in parts])
        order = None if bool(np.all(ids[1:] > ids[:-1])) else np.argsort(ids, kind="stable")
        del ids
        categories = {
            "partner_type": [p.label for p in PartnerType],
            "lead_stage": [s.label for s in Stage],
            "lead_country": list(country_names),
            "partner_country": list(country_names),
        }
        if region_names is not None:
            categories |= {"lead_region": list(region_names), "partner_region": list(region_names)}
        if sector_names is not None:
            categories["lead_sector"] = list(sector_names)
        data: dict[str, object] = {}
        for k, dtype in COLUMNS.items():
            if k in INTERNAL:
                for p in logged:
                    del p[k]
                continue
            col = np.concatenate([p[k] for p in parts])
            for p in logged:  # this column of the log is now in ``col``
                del p[k]
            if order is not None:
                col = col[order]
            col = col.astype(OUTPUT_DTYPES.get(k, dtype), copy=False)
            data[k] = pd.Categorical.from_codes(col, categories[k]) if k in categories else col
        if consume:
            del logged, parts
            self._log = []
            self._by_run = None
        return pd.DataFrame(data, copy=False)

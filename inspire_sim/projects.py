"""OI projects: the running book (arrays) and the partnership log.

A project is one OI move (Livieratos et al. 2022): a lead SME with one partner for a
duration; its success probability is fixed when it forms, from the pair's features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agents import PartnerType, Stage

# Columns stored per project: name -> dtype. The log keeps every project ever started.
COLUMNS: dict[str, str] = {
    "project_id": "int64",  # numbered per run from 0
    "run": "int16",  # run of the batch (internal)
    "start": "int32",
    "end": "int32",
    "lead": "int32",  # SME slot (internal)
    "partner": "int32",  # actor index (internal)
    "lead_id": "int64",
    "partner_id": "int64",
    "partner_type": "int8",
    "lead_stage": "int8",
    "lead_country": "int16",
    "partner_country": "int16",
    "cross_border": "bool",
    "repeat_partner": "bool",
    "lead_resource_focus": "bool",
    "brokered": "bool",
    "matchmade": "bool",
    "introduced_by": "int16",  # index of the policy whose intermediary introduced the partner (-1: none)
    "funded": "bool",
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


class ProjectBook:
    """Running projects as arrays, plus an append-only log of all projects."""

    def __init__(self, keep_log: bool = True, runs: int = 1) -> None:
        self.keep_log = keep_log
        self.running: dict[str, np.ndarray] = {k: np.empty(0, dtype=v) for k, v in COLUMNS.items()}
        self._log: list[dict[str, np.ndarray]] = []
        self.next_id = np.zeros(runs, dtype=np.int64)  # per run

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

    def table(self, country_names: list[str], run: int = 0) -> pd.DataFrame:
        """All projects of run ``run`` (resolved ones and those still running) as a DataFrame (reporting months)."""
        parts = [*self._log, self.running]
        if len(self.next_id) > 1:
            parts = [{k: v[p["run"] == run] for k, v in p.items()} for p in parts]
        data = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0, dtype=v) for k, v in COLUMNS.items()}
        df = pd.DataFrame(data).drop(columns=["lead", "partner", "run"])
        df = df.sort_values("project_id", kind="stable").reset_index(drop=True)
        types = np.array([p.label for p in PartnerType])
        stages = np.array([s.label for s in Stage])
        names = np.array(country_names)
        df["partner_type"] = pd.Categorical(types[df["partner_type"].to_numpy()], categories=list(types))
        df["lead_stage"] = pd.Categorical(stages[df["lead_stage"].to_numpy()], categories=list(stages))
        df["lead_country"] = pd.Categorical(names[df["lead_country"].to_numpy()], categories=list(names))
        df["partner_country"] = pd.Categorical(names[df["partner_country"].to_numpy()], categories=list(names))
        return df

"""The experiment store: a directory that fills up run by run and can be resumed.

Layout::

    OUT/manifest.json        spec, spec hash, design, root seed, versions, git revision,
                             one entry per session (backend, started, finished, runs)
    OUT/design.parquet       design points (point_id + factor values; unit_* columns =
                             the unit-hypercube sample for lhs/sobol/morris)
    OUT/parts/*.parquet      run records written as they complete (atomic renames)
    OUT/runs.parquet         the parts compacted: run_id, point_id, replicate, seed,
                             status, error, duration_s, output columns
    OUT/*.parquet.sha256     the SHA-256 of each chunk (written before the chunk)
    OUT/results.parquet, .csv  one row per run, sorted by run_id, with the factor columns
    OUT/damaged/             chunks that failed their checksum (kept, never read)
    OUT/.lock                held (flock) by the sweep writing to the directory

Finished runs are on disk within ``flush_seconds`` (default 1 s): the sweep's loop
flushes on a clock even while no run completes, so a SIGKILL loses only the runs in
flight. Every chunk is checked against its checksum when read; a chunk that is
missing its checksum, altered, truncated or empty is reported in one line, moved to
``damaged/`` and its runs are computed again. Re-opening a directory resumes it: run
ids already recorded are skipped. A directory holding another spec's runs, or being
written by another sweep (lock), is refused.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError

FORMAT = "inspire-sim-experiment/2"
RUN_COLUMNS = ("run_id", "point_id", "replicate", "seed", "status", "error", "duration_s")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _checked_parquet(table: pa.Table, path: Path) -> None:
    """Write a chunk and its checksum (checksum first: a chunk is never without one)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    _atomic_write_bytes(_checksum_path(path), f"{_sha256(tmp)}  {path.name}\n".encode())
    os.replace(tmp, path)


def chunk_problem(path: Path) -> str | None:
    """Why a chunk cannot be trusted (None when it matches its checksum and reads)."""
    side = _checksum_path(path)
    try:
        if path.stat().st_size == 0:
            return "empty file"
        expected = side.read_text().split()[0] if side.exists() else None
    except (OSError, UnicodeDecodeError, IndexError):
        return "unreadable checksum"
    if expected is None:
        return "no checksum"
    if _sha256(path) != expected:
        return "checksum mismatch (altered or truncated)"
    return None


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class RunStore:
    """An experiment directory (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        output_names: list[str],
        flush_seconds: float = 1.0,
        flush_rows: int = 5000,
        compact_parts: int = 200,
    ) -> None:
        self.path = Path(path)
        self.parts = self.path / "parts"
        self.outputs = list(output_names)
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self.compact_parts = compact_parts
        self._buffer: list[dict[str, Any]] = []
        self.problems: list[str] = []  # damaged chunks found (one line each)
        self._lock: int | None = None
        self._last_flush = time.monotonic()
        self._oldest = self._last_flush  # when the oldest buffered record was added
        self._seq = 0
        self.schema = pa.schema(
            [
                ("run_id", pa.int64()),
                ("point_id", pa.int64()),
                ("replicate", pa.int64()),
                ("seed", pa.int64()),
                ("status", pa.string()),
                ("error", pa.string()),
                ("duration_s", pa.float64()),
            ]
            + [(name, pa.float64()) for name in self.outputs]
        )

    # -- opening -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError(
                "manifest.json is unreadable",
                source=str(self.path),
                field="manifest.json",
                fix="use another --out directory, or delete this one to start over",
            ) from None

    def lock(self) -> None:
        """Take the directory's lock (released when the sweep ends or its process dies)."""
        if self.path.exists() and not self.path.is_dir():
            raise InputError("is a file, not a directory", source=str(self.path), field="--out", fix="give a directory")
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise InputError(
                f"another sweep (pid {holder}) is writing to this directory",
                source=str(self.path),
                field="--out",
                fix="wait for it to finish, or give another --out",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd

    def close(self) -> None:
        """Release the lock."""
        fd, self._lock = self._lock, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def open(self, manifest: dict[str, Any], design: pd.DataFrame) -> dict[str, Any]:
        """Lock and create the directory, or check that it belongs to this spec (then resume)."""
        self.lock()
        try:
            return self._open(manifest, design)
        except BaseException:
            self.close()
            raise

    def _open(self, manifest: dict[str, Any], design: pd.DataFrame) -> dict[str, Any]:
        old = self.read_manifest()
        visible = [p for p in self.path.iterdir() if not p.name.startswith(".")]
        if old is None and visible and not (self.path / "design.parquet").exists():
            raise InputError(
                "the output directory is not empty and holds no experiment",
                source=str(self.path),
                field="--out",
                fix="give a new or empty directory",
            )
        if old is not None and old.get("format") != FORMAT:
            raise InputError(
                f"this directory was written in another store format ({old.get('format')!r}, this is {FORMAT!r})",
                source=str(self.path),
                field="--out",
                fix="use another --out directory (the old one stays readable as Parquet/CSV)",
            )
        if old is not None:
            if old.get("spec_hash") != manifest["spec_hash"]:
                name = old.get("spec", {}).get("name", "?")
                raise InputError(
                    f"this directory holds runs of a different spec ({name!r}, hash {str(old.get('spec_hash'))[:12]}; "
                    f"this spec {manifest['spec_hash'][:12]})",
                    source=str(self.path),
                    field="--out",
                    fix="use another --out directory, or delete this one to start over",
                )
            old.setdefault("sessions", [])
            manifest = {**old, "sessions": old["sessions"]}
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            manifest = {**manifest, "sessions": []}
        self.parts.mkdir(parents=True, exist_ok=True)
        _atomic_parquet(pa.Table.from_pandas(design, preserve_index=False), self.path / "design.parquet")
        self.manifest = manifest
        self.write_manifest()
        self._seq = len(list(self.parts.glob("part-*.parquet")))
        for stale in self.path.rglob(".*.tmp"):  # a write cut short by a kill
            stale.unlink(missing_ok=True)
        return manifest

    def write_manifest(self) -> None:
        _atomic_write_bytes(self.manifest_path, json.dumps(self.manifest, indent=2, default=str).encode())

    # -- reading -----------------------------------------------------------------------
    def _files(self) -> list[Path]:
        files = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        main = self.path / "runs.parquet"
        return ([main] if main.exists() else []) + files

    def _quarantine(self, path: Path, problem: str) -> None:
        damaged = self.path / "damaged"
        damaged.mkdir(exist_ok=True)
        target = damaged / f"{path.name}.{uuid.uuid4().hex[:6]}"
        os.replace(path, target)
        side = _checksum_path(path)
        if side.exists():
            os.replace(side, target.with_name(target.name + ".sha256"))
        self.problems.append(
            f"{path.relative_to(self.path)} is damaged ({problem}): moved to {target.relative_to(self.path)}; "
            "its runs will be computed again"
        )

    def _read_checked(self, path: Path, columns: list[str]) -> pa.Table | None:
        problem = chunk_problem(path)
        if problem is None:
            try:
                with pq.ParquetFile(path) as chunk:  # one file: no pyarrow.dataset to import (read_table's route)
                    return chunk.read(columns=columns)
            except (OSError, pa.ArrowException) as exc:
                problem = f"unreadable: {exc}"
        self._quarantine(path, problem)
        return None

    def read_records(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All run records on disk (latest record per run_id), sorted by run_id; damaged
        chunks are set aside (see :attr:`problems`)."""
        read = [self._read_checked(f, columns or list(self.schema.names)) for f in self._files()]
        tables = [t for t in read if t is not None]
        tables = [
            t.select(columns or list(self.schema.names)).cast(
                pa.schema([self.schema.field(c) for c in (columns or self.schema.names)])
            )
            for t in tables
        ]
        if not tables:
            return (
                self.schema.empty_table().to_pandas()
                if not columns
                else pa.schema([self.schema.field(c) for c in columns]).empty_table().to_pandas()
            )
        df = pa.concat_tables(tables).to_pandas()
        return df.drop_duplicates("run_id", keep="last").sort_values("run_id", kind="stable").reset_index(drop=True)

    def recorded(self, retry_failed: bool = False) -> set[int]:
        """Run ids that need not run again."""
        df = self.read_records(["run_id", "status"])
        if retry_failed:
            df = df[df["status"] == "ok"]
        return set(int(x) for x in df["run_id"])

    # -- writing -----------------------------------------------------------------------
    def add(self, record: dict[str, Any]) -> None:
        """Buffer one run's record. The records buffered earlier are flushed first when the oldest
        is ``flush_seconds`` old, the buffer when it holds ``flush_rows``; otherwise the next
        :meth:`tick` flushes it. A backend yields a batch's records together and then ticks, so
        a batch goes to disk as one chunk, not its first record alone and then the rest."""
        now = time.monotonic()
        if self._buffer and now - self._oldest >= self.flush_seconds:
            self.flush()
        if not self._buffer:
            self._oldest = now
        self._buffer.append(record)
        if len(self._buffer) >= self.flush_rows:
            self.flush()

    def tick(self) -> None:
        """Flush when the last flush is ``flush_seconds`` old (the backends call this after
        yielding records and while they wait)."""
        if self._buffer and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        cols: dict[str, list[Any]] = {c: [] for c in self.schema.names}
        for rec in self._buffer:
            vals = rec.get("values", {})
            for c in RUN_COLUMNS:
                cols[c].append(rec.get(c))
            for c in self.outputs:
                cols[c].append(vals.get(c, np.nan))
        table = pa.Table.from_pydict(cols, schema=self.schema)
        self._seq += 1
        _checked_parquet(table, self.parts / f"part-{self._seq:06d}-{uuid.uuid4().hex[:8]}.parquet")
        self._buffer.clear()
        if len(list(self.parts.glob("part-*.parquet"))) >= self.compact_parts:
            self.compact()

    def compact(self) -> pd.DataFrame:
        """Merge the parts into runs.parquet (crash-safe: duplicates resolve on read); returns the
        records written (what :meth:`read_records` reads back from runs.parquet alone)."""
        files = sorted(self.parts.glob("part-*.parquet"))
        df = self.read_records()
        _checked_parquet(pa.Table.from_pandas(df, schema=self.schema, preserve_index=False), self.path / "runs.parquet")
        for f in files:
            f.unlink(missing_ok=True)
            _checksum_path(f).unlink(missing_ok=True)
        return df

    def finalize(self, design: pd.DataFrame, factor_names: list[str]) -> pd.DataFrame:
        """Consolidate: runs.parquet (records only) and runs.csv / results.parquet with factors."""
        self.flush()
        df = self.compact()  # the records just written: not read back from disk a second time
        runs = df.merge(design[["point_id", *factor_names]], on="point_id", how="left")
        runs = runs[[*RUN_COLUMNS, *factor_names, *self.outputs]]
        _atomic_parquet(pa.Table.from_pandas(runs, preserve_index=False), self.path / "results.parquet")
        _atomic_csv(runs, self.path / "results.csv")
        return runs

    def start_session(self, info: dict[str, Any]) -> None:
        self.manifest["sessions"].append({"started": _now(), **info})
        self.write_manifest()

    def end_session(self, **info: Any) -> None:
        if self.manifest.get("sessions"):
            self.manifest["sessions"][-1].update({"finished": _now(), **info})
            self.write_manifest()

"""Run results: the :class:`RunResult` of one simulation run, and its store on disk.

Layout of a results directory (one run and R replications share it)::

    DIR/
      manifest.json          version, git revision, scenario (full resolved parameters),
                             scenario file hash; per replication its seed and timings
      timeseries.parquet     every table of RunResult, one file per table, the rows of all
      smes.parquet           replications stacked, with a leading ``replication`` column
      partnerships.parquet   (0..R-1, in the order of the list that was saved)
      panel.parquet
      spend.parquet
      countries.parquet

One file per table keeps a whole experiment one ``pandas.read_parquet`` away
(``groupby("replication")``). The Parquet files are deterministic: the same results
give bit-identical files (no timestamps; the index is not stored). ``manifest.json``
holds the timings, so it differs between otherwise identical runs.

:func:`summarize` turns replications into one row per indicator: mean and 95%
t-interval over replications of the indicator's run statistic (see
:func:`indicator_statistic`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"
REPLICATION = "replication"
FORMAT_VERSION = 1
PER_REPLICATION = (REPLICATION, "seed", "timings")
"""Manifest keys always stored per replication (even when there is only one)."""


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        timeseries: one row per month (column ``step`` = 1..T) with the indicator columns
            named in :data:`inspire_sim.core.metrics.INDICATORS`.
        smes: final state, one row per SME alive at the end.
        partnerships: one row per OI project (an "OI move": lead SME x one partner).
        panel: monthly trajectory of a sample of SMEs (``params.panel_size``).
        spend: long table ``step, lever, measure, country, region, sector, eur`` of policy spending.
        countries: long table ``step, country`` + per-country indicators.
        regions: long table ``step, region, country, group`` + per-region (NUTS-2) indicators.
        manifest: version, git revision, seed, full resolved scenario, file hash, timings.
    """

    timeseries: pd.DataFrame
    smes: pd.DataFrame
    partnerships: pd.DataFrame
    panel: pd.DataFrame
    spend: pd.DataFrame
    countries: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)

    TABLES = ("timeseries", "smes", "partnerships", "panel", "spend", "countries", "regions")

    def final(self) -> pd.Series:
        """The last row of the time series (indicator values at the end of the run)."""
        return self.timeseries.iloc[-1]

    def save(self, directory: str | Path) -> Path:
        """Write this run to ``directory`` (see :func:`save_run`)."""
        return save_run(self, directory)

    @classmethod
    def load(cls, directory: str | Path, replication: int = 0) -> RunResult:
        """Read one run back from ``directory`` (see :func:`load_run`)."""
        return load_run(directory, replication)


# ----------------------------------------------------------------------------------------
# Manifest
# ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """JSON fallback for numpy scalars/arrays, paths and sets in manifests."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data (so manifests compare equal after a round trip)."""
    return json.loads(json.dumps(value, default=_jsonable))


def build_manifest(
    results: Sequence[RunResult], extra: dict[str, Any] | None = None, base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One manifest for a list of replications.

    Starts from ``base`` (default: :func:`inspire_sim.manifest.base_manifest` of kind ``"run"``:
    schema, argv, versions, git revision). Keys of :data:`PER_REPLICATION` and keys whose value
    differs between runs go to ``replications[r]``; keys with the same value in every run's
    manifest (version, scenario, file hash, root seed, ...) go to the top level; ``extra``
    (e.g. the command's options and timings) is added at the top level.
    """
    from .manifest import base_manifest

    runs = [_plain(r.manifest) for r in results]
    keys = list(dict.fromkeys(k for m in runs for k in m))
    common = [k for k in keys if k not in PER_REPLICATION and all(k in m and m[k] == runs[0][k] for m in runs)]
    manifest: dict[str, Any] = {"format": FORMAT_VERSION} | _plain(base if base is not None else base_manifest("run"))
    manifest |= {k: runs[0][k] for k in common}
    manifest |= {
        "n_replications": len(runs),
        "replications": [
            {REPLICATION: r} | {k: m[k] for k in keys if k in m and k not in common} for r, m in enumerate(runs)
        ],
        "tables": {
            name: {"file": f"{name}.parquet", "rows": sum(len(getattr(r, name)) for r in results)}
            for name in RunResult.TABLES
        },
    }
    return manifest | _plain(extra or {})


def write_manifest(manifest: dict[str, Any], directory: str | Path) -> Path:
    """Write ``manifest.json`` (indented, keys in insertion order)."""
    path = Path(directory) / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    return path


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Read ``manifest.json`` of a results directory."""
    return json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))


def replication_manifest(manifest: dict[str, Any], replication: int) -> dict[str, Any]:
    """The manifest of one run: the common keys plus that replication's own."""
    common = {k: v for k, v in manifest.items() if k not in {"replications", "tables", "n_replications"}}
    return common | manifest["replications"][replication]


# ----------------------------------------------------------------------------------------
# Parquet store
# ----------------------------------------------------------------------------------------


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack the replications' frames of one table under a leading ``replication`` column."""
    tagged = [f.assign(**{REPLICATION: r}) for r, f in enumerate(frames)]
    nonempty = [f for f in tagged if len(f)] or tagged[:1]
    out = pd.concat(nonempty, ignore_index=True)
    out[REPLICATION] = out[REPLICATION].astype("int32")
    return out[[REPLICATION, *[c for c in out.columns if c != REPLICATION]]]


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one DataFrame as a deterministic Parquet file (zstd, no index, no timestamps)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, compression="zstd")
    return Path(path)


def save_runs(
    results: Sequence[RunResult],
    directory: str | Path,
    extra: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> Path:
    """Write replications to ``directory`` (created if needed): Parquet tables + manifest.

    Returns the directory. Replication ``r`` is ``results[r]``; ``extra`` and ``base`` as in
    :func:`build_manifest`.
    """
    if not results:
        raise ValueError("save_runs needs at least one RunResult")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name in RunResult.TABLES:
        write_table(_stack([getattr(r, name) for r in results]), out / f"{name}.parquet")
    write_manifest(build_manifest(results, extra, base), out)
    return out


def save_run(result: RunResult, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write one run to ``directory`` (the replications layout with one replication)."""
    return save_runs([result], directory, extra)


def load_runs(directory: str | Path) -> list[RunResult]:
    """Read every replication stored in ``directory``, in order."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    tables = {name: _read(directory, name) for name in RunResult.TABLES}
    return [_one(tables, replication_manifest(manifest, r), r) for r in range(manifest["n_replications"])]


def load_run(directory: str | Path, replication: int = 0) -> RunResult:
    """Read one run (replication ``replication``) from ``directory``."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if not 0 <= replication < manifest["n_replications"]:
        raise IndexError(f"{directory} holds replications 0..{manifest['n_replications'] - 1}, not {replication}")
    flt = [(REPLICATION, "==", replication)]
    tables = {name: _read(directory, name, flt) for name in RunResult.TABLES}
    return _one(tables, replication_manifest(manifest, replication), replication)


def _read(directory: Path, name: str, filters: list[Any] | None = None) -> pd.DataFrame:
    """Table ``name`` of a results folder (empty when a folder of an earlier version lacks it)."""
    path = directory / f"{name}.parquet"
    if not path.exists() and name == "regions":
        return pd.DataFrame({REPLICATION: pd.Series([], dtype="int64")})
    return pd.read_parquet(path, filters=filters)


def _one(tables: dict[str, pd.DataFrame], manifest: dict[str, Any], replication: int) -> RunResult:
    def part(df: pd.DataFrame) -> pd.DataFrame:
        rows = df[df[REPLICATION] == replication] if len(df) else df
        return rows.drop(columns=REPLICATION).reset_index(drop=True)

    return RunResult(**{name: part(df) for name, df in tables.items()}, manifest=manifest)


# ----------------------------------------------------------------------------------------
# Summary over replications
# ----------------------------------------------------------------------------------------

FINAL, MEAN_PER_MONTH, TOTAL = "final month", "mean per month", "total over run"


def indicator_statistic(name: str, unit: str) -> tuple[str, str]:
    """How one run is reduced to one number for an indicator: (statistic, unit of it).

    * spending (``spend_*``, EUR/month): the total over the run, in EUR -- what a
      deployment plan costs;
    * other flows (unit ``.../month``: new partnerships, successes, exits, ...): the
      mean per month over the run (comparable across horizons);
    * stocks, shares and cumulative counts (everything else): the final-month value
      (shares such as ``cooperating_share`` are already 12-month windows).
    """
    if unit.endswith("/month"):
        if name.startswith("spend_"):
            return TOTAL, unit.removesuffix("/month")
        return MEAN_PER_MONTH, unit
    return FINAL, unit


STATISTIC_NAMES = {"final": FINAL, "mean": MEAN_PER_MONTH, "cumulative": TOTAL}
"""Short names of the statistics (as in experiment specs) -> the labels used in tables."""


def reduce_series(
    values: pd.Series, statistic: str, steps: pd.Series | None = None, window: tuple[int, int] | None = None
) -> float:
    """One number from a monthly series: the one rule for reducing a run.

    ``statistic``: ``"final"`` (the last month's value), ``"mean"`` (mean per month) or
    ``"cumulative"`` (sum over the months), or their table labels (:data:`STATISTIC_NAMES`).
    ``window = (a, b)`` restricts ``mean`` and ``cumulative`` to months ``a..b`` (``steps`` gives the
    month of each value). Used by :func:`run_statistics`, the comparison's per-country statistics
    and the experiment runner's outputs.
    """
    stat = STATISTIC_NAMES.get(statistic, statistic)
    col = values.astype("float64")
    if stat == FINAL:
        return float(col.iloc[-1]) if len(col) else float("nan")
    if window is not None:
        if steps is None:
            raise ValueError("a window needs the months (steps) of the values")
        a, b = window
        col = col[((steps >= a) & (steps <= b)).to_numpy()]
    if stat == MEAN_PER_MONTH:
        return float(col.mean())
    if stat == TOTAL:
        return float(col.sum())
    raise ValueError(f"unknown statistic {statistic!r}: use one of {', '.join(STATISTIC_NAMES)}")


def run_statistics(result: RunResult) -> pd.Series:
    """One number per indicator for one run (see :func:`indicator_statistic`)."""
    from .core.metrics import INDICATORS

    ts = result.timeseries
    out = {}
    for name, ind in INDICATORS.items():
        if name not in ts:
            continue
        stat, _ = indicator_statistic(name, ind.unit)
        out[name] = reduce_series(ts[name], stat)
    return pd.Series(out, dtype="float64")


def mean_ci(values: np.ndarray, confidence: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided Student-t confidence interval of the mean along ``axis``.

    NaNs are ignored; with fewer than two values the interval is NaN; with zero
    spread it collapses onto the mean.
    """
    import warnings

    from scipy import stats

    values = np.asarray(values, dtype="float64")
    n = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        mean = np.nanmean(values, axis=axis) if values.size else np.full(np.shape(n), np.nan)
        sd = np.nanstd(values, axis=axis, ddof=1) if values.size else mean
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half


def summarize(results: Sequence[RunResult], confidence: float = 0.95) -> pd.DataFrame:
    """Indicators over replications: one row per indicator.

    Columns: ``indicator``, ``statistic`` (final month / mean per month / total over
    run, see :func:`indicator_statistic`), ``unit``, ``mean``, ``ci_low``, ``ci_high``
    (Student-t interval of the mean over replications, ``confidence`` level; NaN with a
    single replication), ``n`` (replications with a value).
    """
    from .core.metrics import INDICATORS

    per_run = pd.DataFrame([run_statistics(r) for r in results])
    mean, lo, hi = mean_ci(per_run.to_numpy(), confidence)
    rows = []
    for j, name in enumerate(per_run.columns):
        stat, unit = indicator_statistic(name, INDICATORS[name].unit)
        rows.append(
            {
                "indicator": name,
                "statistic": stat,
                "unit": unit,
                "mean": mean[j],
                "ci_low": lo[j],
                "ci_high": hi[j],
                "n": int(per_run[name].notna().sum()),
            }
        )
    return pd.DataFrame(rows)

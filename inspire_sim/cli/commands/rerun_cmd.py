"""``inspire-sim rerun DIR``: reproduce a results folder from its ``manifest.json``.

A ``run`` folder is rebuilt from the manifest alone: the fully resolved scenario, the root seed,
the number of replications and the months (the scenario files may have changed since). A
``sweep`` or ``compare`` folder is rerun by replaying its recorded command line with ``--out``
pointing at the new folder, after checking that the spec and scenario files still have the
recorded text. Then every Parquet and CSV table of DIR is compared with the new one: byte for
byte, or else as data frames with the timing columns set aside. Exit status 0 when every table
matches, 1 when one differs, 2 for bad input.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from ...errors import InputError
from ...manifest import KINDS, SCHEMA, git_revision, versions

CLI = "command line"
TIMING_COLUMNS = ("duration_s", "seconds", "simulate_s", "report_s", "total_s")


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a results folder, or a one-line InputError naming what is missing."""
    import json

    path = directory / "manifest.json"
    if not path.is_file():
        raise InputError(
            "has no manifest.json", source=str(directory), fix="give a folder written by run, sweep or compare"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), fix="restore the file") from None
    if manifest.get("schema") != SCHEMA or manifest.get("kind") not in KINDS:
        raise InputError(
            f"no {SCHEMA} manifest (schema {manifest.get('schema')!r})",
            source=str(path),
            field="schema",
            fix="rerun works on folders written by this version of inspire-sim",
        )
    return manifest


def scenario_from_manifest(data: dict[str, Any]) -> Any:
    """The :class:`~inspire_sim.core.scenario.Scenario` recorded in a manifest (``Scenario.to_dict()``)."""
    from ...core.scenario import TOP_KEYS, _validate

    raw = {k: v for k, v in data.items() if k in TOP_KEYS and v is not None}
    scen = _validate(raw, "manifest.json")
    scen.path, scen.file_hash, scen.overrides = data.get("path"), data.get("file_hash"), data.get("overrides") or {}
    return scen


def _rerun_run(manifest: dict[str, Any], out: Path) -> None:
    """Run every recorded replication again with its recorded seed, months and resolved scenario."""
    from ...results import replication_manifest, save_runs, summarize
    from ...runpool import run_batched

    scen = scenario_from_manifest(manifest["scenario"])
    recs = [replication_manifest(manifest, r) for r in range(int(manifest["n_replications"]))]
    results: list[Any] = [None] * len(recs)
    for steps in dict.fromkeys(int(rec["steps"]) for rec in recs):  # a batch per length (one length in practice)
        mine = [i for i, rec in enumerate(recs) if int(rec["steps"]) == steps]
        for i, res in zip(mine, run_batched([(scen, int(recs[i]["seed"])) for i in mine], steps=steps), strict=True):
            res.manifest |= {k: recs[i][k] for k in ("replication", "root_seed") if k in recs[i]}
            results[i] = res
    base: dict[str, Any] = {
        k: manifest[k] for k in ("schema", "kind", "argv", "cwd", "seed", "scenario", "scenario_text") if k in manifest
    }
    save_runs(results, out, extra={"rerun_of": manifest.get("command", {}).get("out")}, base=base)
    summarize(results).to_csv(out / "summary.csv", index=False)


def _check_texts(manifest: dict[str, Any]) -> None:
    texts = dict(manifest.get("scenario_text") or {})
    if manifest.get("spec_text") is not None and manifest.get("spec_source"):
        texts[manifest["spec_source"]] = manifest["spec_text"]
    for path, text in texts.items():
        p = Path(manifest.get("cwd") or ".") / path
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            raise InputError(
                "changed since the recorded run",
                source=path,
                fix="restore the file (its recorded text is in manifest.json) to rerun",
            )


def _replay(manifest: dict[str, Any], out: Path) -> None:
    from .. import main

    argv = manifest.get("argv")
    if not argv or argv[0] != "inspire-sim" or len(argv) < 2:
        raise InputError(
            "no command line recorded", source="manifest.json", field="argv", fix="rerun works on CLI-written folders"
        )
    _check_texts(manifest)
    args = list(argv[1:])
    for flag in ("--out", "-o"):
        while flag in args:
            i = args.index(flag)
            del args[i : i + 2]
    args = [a for a in args if not a.startswith("--out=")]
    out = out.resolve()
    cwd = manifest.get("cwd") or os.getcwd()
    typer.echo(f"replaying in {cwd}: inspire-sim {shlex.join(args)} --out {out}")
    here = os.getcwd()
    try:
        os.chdir(cwd)  # relative paths in the recorded command line refer to the recorded folder
        status = main([*args, "--out", str(out)])
    finally:
        os.chdir(here)
    if status not in (0, None):
        raise typer.Exit(status)


def _frame(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return df.drop(columns=[c for c in df.columns if c in TIMING_COLUMNS])


def compare_outputs(original: Path, new: Path) -> list[tuple[str, str]]:
    """``(file, verdict)`` for every top-level Parquet/CSV table of ``original``.

    Verdicts: ``identical`` (same bytes), ``equal`` (same data, timing columns aside),
    ``DIFFERENT`` or ``MISSING``.
    """
    rows = []
    for path in sorted([*original.glob("*.parquet"), *original.glob("*.csv")]):
        other = new / path.name
        if not other.is_file():
            rows.append((path.name, "MISSING"))
        elif path.read_bytes() == other.read_bytes():
            rows.append((path.name, "identical"))
        else:
            try:
                pd.testing.assert_frame_equal(_frame(path), _frame(other))
                rows.append((path.name, "equal (timings aside)"))
            except AssertionError:
                rows.append((path.name, "DIFFERENT"))
    return rows


def rerun_command(
    directory: Annotated[Path, typer.Argument(help="A folder written by run, sweep or compare.", show_default=False)],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write the rerun (default: DIR-rerun).")
    ] = None,
) -> None:
    """Reproduce a results folder from its manifest.json and check the tables match.

    Example: inspire-sim rerun runs/baseline --out runs/baseline-again
    """
    manifest = read_manifest(directory)
    target = out if out is not None else directory.with_name(directory.name + "-rerun")
    if target.resolve() == directory.resolve():
        raise InputError("is the folder being rerun", source=CLI, field="--out", fix="give another folder")
    for key, now in (("git_revision", git_revision()),):
        if manifest.get(key) != now:
            typer.echo(f"note: recorded {key} {manifest.get(key)}, now {now}", err=True)
    recorded = manifest.get("versions") or {}
    changed = [f"{k} {recorded[k]} -> {v}" for k, v in versions().items() if k in recorded and recorded[k] != v]
    if changed:
        typer.echo(f"note: versions changed: {', '.join(changed)}", err=True)
    if manifest["kind"] == "run":
        _rerun_run(manifest, target)
    else:
        _replay(manifest, target)
    rows = compare_outputs(directory, target)
    for name, verdict in rows:
        typer.echo(f"  {name:<36} {verdict}")
    bad = [n for n, v in rows if v in ("DIFFERENT", "MISSING")]
    typer.echo(
        f"{target}: {len(rows) - len(bad)}/{len(rows)} tables match {directory}"
        + (f"; differ: {', '.join(bad)}" if bad else "")
    )
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``rerun`` to the ``inspire-sim`` app."""
    app.command("rerun")(rerun_command)

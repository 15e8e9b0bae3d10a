"""Manifests: one schema for what ``run``, ``sweep`` and ``compare`` record about themselves.

Every results folder gets a ``manifest.json`` whose common part comes from :func:`base_manifest`::

    schema         "inspire-sim-manifest/1"
    kind           "run" | "sweep" | "compare"
    argv           the command line (["inspire-sim", "run", "baseline", ...]) or null from Python
    cwd            the working folder the command ran in (relative paths in argv refer to it)
    package        "inspire_sim"; version: its version
    git_revision   :func:`git_revision` (the one definition; null outside a git checkout)
    versions       Python, numpy, mesa, pandas, scipy, SALib, pyarrow (:func:`versions`)
    seed           the root seed
    scenario       the fully resolved scenario(s) (``Scenario.to_dict()``), when there is one
    scenario_text  the text of the scenario file(s) as read, keyed by path
    spec_text      the experiment spec's TOML text (sweeps)

Each command adds its own keys (replications, timings, ...). ``inspire-sim rerun DIR`` reads
this back and reproduces the run (see :mod:`inspire_sim.cli.commands.rerun_cmd`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import subprocess
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_VERSION = "0.1.0"
"""The version of inspire-sim (``inspire_sim.__version__``; the same as pyproject.toml's)."""
SCHEMA = "inspire-sim-manifest/1"
KINDS = ("run", "sweep", "compare")
VERSIONED = ("numpy", "mesa", "pandas", "scipy", "SALib", "pyarrow")
"""Distributions whose versions every manifest records (with Python and inspire-sim)."""

_argv: list[str] | None = None


def set_argv(argv: Sequence[str] | None) -> None:
    """Record the command line of this process (called by the ``inspire-sim`` entry point)."""
    global _argv
    _argv = None if argv is None else ["inspire-sim", *argv]


@contextlib.contextmanager
def recording_argv(argv: Sequence[str]) -> Iterator[None]:
    """Record ``argv`` as this process's command line while the block runs, then restore the previous."""
    global _argv
    previous = _argv
    set_argv(argv)
    try:
        yield
    finally:
        _argv = previous


def current_argv() -> list[str] | None:
    """The recorded command line, or None when inspire_sim is used from Python."""
    return None if _argv is None else list(_argv)


def git_revision(path: str | Path | None = None) -> str | None:
    """The git commit of the inspire_sim source (``<sha>+dirty`` if tracked files changed).

    The one definition, used by every manifest. None when the package does not run from its
    own git checkout (an installed wheel), so a virtual environment inside some other repository
    never reports that repository's commit. ``path``: report the repository holding ``path``
    instead (no such check). The package's own revision is computed once per process.
    """
    if path is not None:
        return _revision(Path(path), require_top=None)
    return _own_revision()


@functools.cache
def _own_revision() -> str | None:
    pkg = Path(__file__).resolve().parent
    return _revision(pkg, require_top=pkg.parent)


def _revision(where: Path, require_top: Path | None) -> str | None:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=True)
        return out.stdout.strip()

    try:
        if require_top is not None and Path(git("rev-parse", "--show-toplevel")).resolve() != require_top:
            return None
        rev = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}+dirty" if dirty else rev


@functools.cache
def versions() -> dict[str, str | None]:
    """Versions of Python, inspire-sim and the numerical libraries (None: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("inspire-sim", *VERSIONED):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _package_version() -> str:
    return PACKAGE_VERSION


def scenario_text(scenario: Any) -> dict[str, str]:
    """The text of the file(s) a scenario was read from, keyed by path (empty for in-memory ones)."""
    path = getattr(scenario, "path", None)
    if not path or not Path(path).is_file():
        return {}
    return {str(path): Path(path).read_text(encoding="utf-8")}


def base_manifest(
    kind: str,
    *,
    seed: int | None = None,
    scenarios: Sequence[Any] = (),
    spec_text: str | None = None,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The common part of every manifest (see the module docstring).

    ``scenarios``: :class:`~inspire_sim.core.scenario.Scenario` objects (one for ``run``, the baseline
    then the plans for ``compare``); ``argv`` defaults to :func:`current_argv`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (got {kind!r})")
    m: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "argv": list(argv) if argv is not None else current_argv(),
        "cwd": os.getcwd(),
        "package": "inspire_sim",
        "version": _package_version(),
        "git_revision": git_revision(),
        "versions": versions(),
        "seed": None if seed is None else int(seed),
    }
    if scenarios:
        dicts = [s.to_dict() for s in scenarios]
        texts: dict[str, str] = {}
        for s in scenarios:
            texts |= scenario_text(s)
        m["scenario"] = dicts[0] if kind == "run" else dicts
        m["scenario_text"] = texts
    if spec_text is not None:
        m["spec_text"] = spec_text
    return m


def run_manifest(scenario: Any, *, seed: int, steps: int, timings: dict[str, float]) -> dict[str, Any]:
    """The manifest of one model run (kept on :attr:`RunResult.manifest`).

    Only what identifies the run: package version, git revision, library versions, seed, months,
    the resolved scenario and its file hash, timings. The command line and file texts go into the
    folder's manifest (:func:`base_manifest`), not into every replication.
    """
    return {
        "package": "inspire_sim",
        "version": _package_version(),
        "git_revision": git_revision(),
        "seed": int(seed),
        "steps": int(steps),
        "scenario": scenario.to_dict(),
        "scenario_file_hash": scenario.file_hash,
        "python": platform.python_version(),
        "numpy": versions()["numpy"],
        "timings": timings,
    }

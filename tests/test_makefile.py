"""Makefile: `make browser` installs only what is missing, and never a downloaded browser.

Runs the real recipe with stub commands on an otherwise empty PATH: ``apt-get`` records what it
was asked to install, so the test sees exactly which Debian packages a machine would get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")


def _stub(path: Path, body: str = "exit 0") -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("present", "installed"),
    [
        (("npm",), "chromium"),  # nodejs + npm from elsewhere: chromium alone
        (("npm", "chromium"), None),
        (("chromium",), "npm"),
        ((), "chromium npm"),
    ],
)
def test_browser_installs_only_what_is_missing(tmp_path, present, installed):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "apt.log"
    for name in present:
        _stub(bin_ / name)
    _stub(bin_ / "apt-get", f'echo "$@" >> {log}')
    _stub(bin_ / "inspire-sim", f'echo "inspire-sim $@" >> {tmp_path / "app.log"}')
    stamp = tmp_path / "stamp"
    stamp.touch()
    os.utime(stamp, (4e9, 4e9))  # newer than pyproject.toml: no setup
    env = {"PATH": str(bin_), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(MAKE), "-s", "-C", str(ROOT), "browser", f"BIN={bin_}", f"STAMP={stamp}", "SUDO="],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    if installed is None:
        assert calls == []
    else:
        assert calls[0] == "update -qq"
        assert calls[1].split()[-len(installed.split()) :] == installed.split()
        assert calls[1].startswith("install ")
    assert (tmp_path / "app.log").read_text().strip() == "inspire-sim app --prepare-offline"


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_browser_needs_no_npm_when_solara_assets_are_complete(tmp_path):
    """The venv's front-end is complete (its python says so): chromium only, no npm, no --prepare-offline."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "apt.log"
    _stub(bin_ / "python", "exit 0")  # missing_frontend() is empty
    _stub(bin_ / "apt-get", f'echo "$@" >> {log}')
    _stub(bin_ / "inspire-sim", f'echo "inspire-sim $@" >> {tmp_path / "app.log"}')
    stamp = tmp_path / "stamp"
    stamp.touch()
    os.utime(stamp, (4e9, 4e9))
    proc = subprocess.run(
        [str(MAKE), "-s", "-C", str(ROOT), "browser", f"BIN={bin_}", f"STAMP={stamp}", "SUDO="],
        env={"PATH": str(bin_), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines()[1].split()[-1] == "chromium"  # no npm
    assert not (tmp_path / "app.log").exists()  # no --prepare-offline

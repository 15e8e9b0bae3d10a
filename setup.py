"""Build hook: ship the top-level ``scenarios/``, ``experiments/`` and ``targets/`` folders inside the wheel.

The top-level folders are the source of truth (the project's layout). A regular build copies
their ``*.toml`` files into ``inspire_sim/data/<folder>/`` of the build tree, so an installed
package finds them with :mod:`importlib.resources` (see ``inspire_sim.core.scenario.shipped_dir``).
An editable install reads the top-level folders directly. All other metadata lives in
``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments", "targets")


class BuildPyWithShippedData(build_py):
    """``build_py`` that also copies the shipped TOML folders into ``inspire_sim/data``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the top-level folders in place
        for folder in SHIPPED:
            dst = Path(self.build_lib) / "inspire_sim" / "data" / folder
            dst.mkdir(parents=True, exist_ok=True)
            for src in sorted((HERE / folder).glob("*.toml")):
                shutil.copyfile(src, dst / src.name)


setup(cmdclass={"build_py": BuildPyWithShippedData})

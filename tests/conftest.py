"""Shared fixtures: small, fast runs of the real model."""

from __future__ import annotations

import pytest

import inspire_sim as I


@pytest.fixture(scope="session")
def small_baseline():
    """The baseline scenario at a size that runs in about a second."""
    return I.load_scenario("baseline", n_smes=1000, steps=60)


@pytest.fixture(scope="session")
def small_run(small_baseline):
    return I.run(small_baseline, seed=3)

"""SALib problems from the parameter registry, exported at the package top level (issue 10 item 9)."""

from __future__ import annotations

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.errors import InputError
from inspire_sim.levers import parameter_specs, spec_by_name


def test_salib_problem_is_exported_and_uses_sa_ranges():
    prob = I.salib_problem()
    expected = [s for s in parameter_specs() if s.role == "uncertainty" and s.sa_range is not None]
    assert prob["names"] == [s.name for s in expected]
    assert prob["num_vars"] == len(expected) > 0
    assert prob["bounds"] == [list(s.sa_range or ()) for s in expected]


def test_problem_spec_is_a_salib_problem_spec():
    from SALib import ProblemSpec

    sp = I.problem_spec(["model.search_rate", "model.home_bias"], outputs=["cooperating_share"])
    assert isinstance(sp, ProblemSpec)
    assert sp["names"] == ["model.search_rate", "model.home_bias"]
    assert sp["bounds"] == [list(spec_by_name()[n].sa_range or ()) for n in ("model.search_rate", "model.home_bias")]
    assert sp["outputs"] == ["cooperating_share"]
    sp.sample_sobol(8, calc_second_order=False)
    lo, hi = np.array(sp["bounds"]).T
    assert sp.samples.shape == (8 * 4, 2) and (sp.samples >= lo).all() and (sp.samples <= hi).all()


def test_problem_spec_unknown_name_is_one_line():
    with pytest.raises(InputError, match=r"model\.search_rat.*did you mean 'model\.search_rate'"):
        I.problem_spec(["model.search_rat"])


def test_model_function_runs_the_model_per_row_with_common_random_numbers():
    sp = I.problem_spec(["model.search_rate"], outputs=["cooperating_share"])
    f = I.problem.model_function(sp, "cooperating_share", steps=12, n_smes=300)
    y = f(np.array([[0.02], [0.06], [0.02]]))
    assert y.shape == (3,) and np.isfinite(y).all()
    assert y[0] == y[2]  # same parameters, same seed: the same run
    assert y[1] > y[0]  # more search, more cooperation (same random numbers)

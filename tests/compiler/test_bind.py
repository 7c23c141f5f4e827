"""Sets, params and seeded scenarios."""

import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text, first_error


def values(compiled, name):
    return compiled.bindings.values[compiled.model.symbols[name]]


def test_scenarios_are_drawn_by_default_rng_in_declared_order():
    compiled = compile_text('set s = ["a", "b", "c"]\nparam vol[s] = [1, 2, 3]\n'
                            "scenarios z[4, s] ~ normal(0, vol, seed = 11)\n"
                            "variable x\nminimize o: x\nsubject to\n    lo: x >= 0\n")
    expected = np.random.default_rng(11).normal(0.0, np.array([1.0, 2.0, 3.0]), size=(4, 3))
    np.testing.assert_array_equal(values(compiled, "z"), expected)


def test_student_t_scenarios():
    compiled = compile_text('set s = ["a"]\nscenarios z[5, s] ~ student_t(4, seed = 3)\n'
                            "variable x\nminimize o: x\nsubject to\n    lo: x >= 0\n")
    expected = np.random.default_rng(3).standard_t(4.0, size=(5, 1))
    np.testing.assert_allclose(values(compiled, "z"), expected)


def test_ranges_units_and_broadcast():
    compiled = compile_text("set t = 1..4\nparam spread[t] = 25bp\nparam big = $2.5M\n"
                            "param pct = 1.5%\nvariable x\nminimize o: x\n"
                            "subject to\n    lo: x >= 0\n")
    assert values(compiled, "spread").tolist() == [0.0025] * 4
    assert float(values(compiled, "big")) == 2.5e6
    assert float(values(compiled, "pct")) == pytest.approx(0.015)


def test_two_dimensional_literal_and_dataframe_override():
    body = ('set a = ["x", "y"]\nset b = [1, 2, 3]\nparam m[a, b] = [[1, 2, 3], [4, 5, 6]]\n'
            "variable v\nminimize o: v\nsubject to\n    lo: v >= sum(m)\n")
    assert values(compile_text(body), "m").tolist() == [[1, 2, 3], [4, 5, 6]]
    frame = pd.DataFrame([[6, 5, 4], [3, 2, 1]], index=["y", "x"], columns=[3, 2, 1])
    assert values(compile_text(body, params={"m": frame}), "m").tolist() == [[1, 2, 3],
                                                                               [4, 5, 6]]


def test_data_errors():
    assert first_error('set s = ["a", "a"]\nvariable x\nminimize o: x\n').code == "E504"
    assert first_error('set s = ["a", "b"]\nparam p[s] = [1]\nvariable x\nminimize o: x\n'
                       ).code == "E504"
    assert first_error("param p\nvariable x\nminimize o: x\n").code == "E506"
    assert first_error('set s = ["a"]\nscenarios z[3, s] ~ normal(0, 1)\n'
                       "variable x\nminimize o: x\n").code == "E208"
    # a text set's labels may be held by a param (they compare as labels in indicator),
    # but not used as numbers
    assert first_error('set s = ["a", "b"]\nparam p[s] = s\nvariable x\n'
                       'minimize o: x + sum(p)\n').code == "E505"
    assert first_error('set s = ["a", "b"]\nvariable x\nminimize o: x + sum(s)\n'
                       ).code == "E505"

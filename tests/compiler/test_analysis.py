"""Models without decisions: worst-case analyses (compiler/backends/analysis.py), by closed
forms."""

import numpy as np
import pytest
from saddle_testing import compile_text, first_error

BALL = """
set a = ["x", "y", "z"]
param w[a] = [1, -2, 2]
param c[a] = [0.1, 0.2, 0.3]
param r = 0.5
uncertain u[a] in ball(c, r)
"""


def test_worst_objective_and_each_limit_element_by_closed_form():
    result = compile_text(BALL + "maximize value: w @ u\nsubject to\n"
                          "    floor: u >= -0.3\n    cap: w @ u <= 1.5\n").solve()
    w, c, r = np.array([1, -2, 2.0]), np.array([0.1, 0.2, 0.3]), 0.5
    assert result.status == "optimal" and result.backend == "analysis"
    assert result.objective == pytest.approx(w @ c - r * np.linalg.norm(w), abs=1e-7)
    worst_u = result.worst_case["objective"]["u"].to_numpy()
    assert worst_u == pytest.approx(c - r * w / np.linalg.norm(w), abs=1e-6)
    # each element of `floor` has its own worst case: u_i = c_i - r
    assert result.constraints["floor"].value.to_numpy() == pytest.approx(c - r, abs=1e-7)
    assert result.constraints["floor"].slack.to_numpy() == pytest.approx(c - r + 0.3, abs=1e-7)
    assert list(result.constraints["floor"].binding) == [False, True, False]  # y: c - r = -0.3
    # cap: max of w'u is w'c + r ||w|| = 0.3 + 1.5 = 1.8 > 1.5: broken, and said so, as is
    # floor's element x (c_x - r = -0.4 < -0.3)
    assert result.constraints["cap"].slack == pytest.approx(1.5 - (w @ c + r * 3), abs=1e-7)
    assert any("floor, cap" in note for note in result.notes)


def test_lets_are_reported_at_the_objectives_worst_case():
    result = compile_text(BALL + "let scaled[a] = 2 * u\nmaximize value: w @ u\n").solve()
    w, c = np.array([1, -2, 2.0]), np.array([0.1, 0.2, 0.3])
    assert result.values["scaled"].to_numpy() == pytest.approx(
        2 * (c - 0.5 * w / 3), abs=1e-6)


def test_an_adversary_problem_that_is_not_convex_is_located():
    diagnostic = first_error(BALL + "minimize value: sum(square(u))\n")
    assert diagnostic.code == "E412"


def test_an_equality_limit_is_refused():
    diagnostic = first_error(BALL + "maximize value: w @ u\nsubject to\n    same: sum(u) == 1\n")
    assert diagnostic.code == "E411"


def test_check_and_verify_name_the_analysis(capsys):
    from pathlib import Path

    from compiler.cli import main

    model = Path(__file__).resolve().parents[2] / "models" / "robust_bond_analysis.saddle"
    assert main(["check", str(model), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "worst-case analysis (no decisions)" in out and "one path" in out

"""Regressions from the differential fuzzer's findings (tests/fuzz, benchmarks/fuzz.py),
each against its own closed form or direct formulation."""

import pytest
from saddle_testing import compile_text

L1_BLOCK = ('set s = ["a", "b"]\nuncertain u[s]:\n    norm1(u) <= 0.25\n'
            "variable w[s] >= -2 <= 0.5\n")


@pytest.mark.parametrize(("sense", "expected"), [("minimize", -4.0), ("maximize", 1.0)])
def test_an_indexed_robust_row_whose_coefficients_hold_no_decision(sense, expected):
    """F5: `w + u <= 1` over an l1 ball on the saddle-point backend crashed in dsp-cvxpy
    ("No arguments given to saddle_max"). Each element's worst case is max u_i = 0.25,
    so the row is w_i <= 0.75: min sum(w) = -4, max sum(w) = 2 * 0.5 (w's own bound)."""
    result = compile_text(L1_BLOCK + f"{sense} obj: sum(w)\nsubject to\n    r: w + u <= 1\n"
                          ).solve()
    assert result.status.startswith("optimal")
    assert result.objective == pytest.approx(expected, abs=1e-6)


def test_an_infeasible_robust_row_on_the_saddle_point_backend_is_infeasible():
    """F6: a block that is one point (u = (-1.5, 0.25)) makes `w @ u >= 0.75` impossible
    for 0 <= w <= 1 (its largest value is 0.25); the DSP backend said "unbounded"."""
    body = ('set s = ["5Y", "7Y"]\nparam lo[s] = [-1.5, -0.75]\nparam hi[s] = [-1.5, 1.25]\n'
            "param a[s] = [-1.5, 0.25]\nparam c[s] = [-1.5, 0.25]\nuncertain u[s]:\n"
            "    u >= lo\n    hi >= u\n    cap: sum(u) <= -1.25\n    u @ a == 2.3125\n"
            "    norm1(u - c) <= 1\nparam g[s] = [1.75, 0]\nvariable w[s] >= 0 <= 1\n"
            "maximize obj: -sum(w) + (g * w) @ u\nsubject to\n    r: w @ u >= 0.75\n")
    result = compile_text(body).solve()
    assert result.status.startswith("infeasible")


def test_a_miqp_with_integers_in_a_quad_form_next_to_a_continuous_decision():
    """F9: the polish re-solve (integers fixed) crashed in cvxpy on quad_form of
    constants. Brute force over w in {0, 1, 2}^2, v at its bound 0.5."""
    import itertools

    import numpy as np

    P = np.array([[1.75, -0.5], [-0.5, 0.75]])
    best = max(0.5 - np.array(w) @ P @ np.array(w)
               for w in itertools.product(range(3), repeat=2))
    result = compile_text('set s = ["a", "b"]\nset s2 = s\n'
                          "param P[s, s2] = [[1.75, -0.5], [-0.5, 0.75]]\n"
                          "variable w[s] integer >= 0 <= 2\nvariable v >= 0 <= 0.5\n"
                          "maximize obj: v - quad_form(w, P)\n").solve()
    assert result.status == "optimal" and result.solver == "SCIP"
    assert result.objective == pytest.approx(best, abs=1e-7)


def test_an_infeasible_model_with_a_free_direction_is_infeasible():
    """F10: Clarabel reported dual infeasibility first ("unbounded"); no point has
    v >= 1.5 with v <= 1."""
    result = compile_text('set s = ["a", "b"]\nvariable w[s] <= 2\nvariable v >= 0 <= 1\n'
                          "minimize obj: sum(w) + 0 * sum_squares(w)\n"
                          "subject to\n    c: v >= 1.5\n").solve()
    assert result.status == "infeasible"


def test_an_unbounded_mixed_integer_model_says_unbounded():
    """F8: HiGHS' "infeasible_or_unbounded" on a MIP with a free direction (x -> inf)."""
    result = compile_text("set s = 1..2\nparam p1[s] = [1.75, 2.75]\nparam p5[s] = [0, 3]\n"
                          "variable w[s] integer >= 0 <= 1\nvariable x\n"
                          "maximize obj: 3 * mean(x * p5) + w @ p1\n").solve()
    assert result.status == "unbounded"


def test_a_quadratic_form_of_a_scaled_vector_in_a_constraint():
    """F7: `(0.5 * (1.5 * w)) @ P @ (0.5 * (1.5 * w)) <= 0.5` was E402; it is
    quad_form(0.75 w, P) <= 0.5, checked against plain cvxpy."""
    import cvxpy as cp
    import numpy as np

    P = np.array([[2.75, 0.75, -1.75], [0.75, 2, -0.25], [-1.75, -0.25, 2.75]])
    result = compile_text('set s = ["5Y", "7Y", "10Y"]\nset s2 = s\n'
                          "param P[s, s2] = [[2.75, 0.75, -1.75], [0.75, 2, -0.25], "
                          "[-1.75, -0.25, 2.75]]\nvariable w[s] >= -0.5 <= 2\n"
                          "maximize obj: sum(w)\nsubject to\n"
                          "    c: (0.5 * (1.5 * w)) @ P @ (0.5 * (1.5 * w)) <= 0.5\n").solve()
    w = cp.Variable(3)
    oracle = cp.Problem(cp.Maximize(cp.sum(w)),
                        [w >= -0.5, w <= 2, cp.quad_form(0.75 * w, P) <= 0.5])
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, rel=1e-6)


def test_an_answer_that_breaks_a_constraint_is_never_optimal():
    """F12: cvxpy's SCIP interface said "optimal" for a robust integer model whose row
    `-2 <= 0.5 * (w - w) <= -1` no point satisfies (0 is not below -1)."""
    result = compile_text('set s = [2, 3]\nset s2 = s\nparam c[s] = [0, -0.25]\n'
                          "param L[s, s2] = [[0.5, 0], [0, 1.5]]\n"
                          "uncertain u[s] in ellipsoid(c, precision = L, radius = 2)\n"
                          "variable w[s] integer >= 0 <= 1\n"
                          "maximize obj: (0.5 * w) @ u\n"
                          "subject to\n    r: -2 <= (0.5 * (w - w)) <= -1\n").solve()
    assert result.status != "optimal" and not result.status.startswith("optimal")

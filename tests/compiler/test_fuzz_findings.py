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

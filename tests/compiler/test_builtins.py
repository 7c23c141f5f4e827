"""Builtins evaluated on data against numpy/scipy closed forms."""

import numpy as np
import pytest
from saddle_testing import compile_text
from scipy import stats

from compiler.builtins import cvar_of_sample

DATA = ('set t = 1..4\nset s = ["a", "b"]\nparam x[t] = [1, 4, 2, 8]\n'
        "param m[t, s] = [[1, 2], [3, 4], [5, 6], [7, 8]]\n")


def let(expr: str) -> object:
    compiled = compile_text(DATA + f"let e = {expr}\nvariable v\nminimize o: v + 0 * sum(e)\n"
                            "subject to\n    lo: v >= 0\n")
    value = compiled.lowered.evaluator.let_values[compiled.model.symbols["e"]]
    return np.asarray(value)


@pytest.mark.parametrize("expr, expected", [
    ("sum(x)", 15.0),
    ("mean(x)", 3.75),
    ("max(x)", 8.0),
    ("min(x)", 1.0),
    ("first(x)", 1.0),
    ("last(x)", 8.0),
    ("count(t)", 4.0),
    ("norm1(x - 3)", 2 + 1 + 1 + 5),
    ("norm2(x)", np.sqrt(1 + 16 + 4 + 64)),
    ("norm_inf(-x)", 8.0),
    ("sum_squares(x)", 85.0),
    ("log_sum_exp(x)", np.log(np.exp([1, 4, 2, 8]).sum())),
    ("log_sum_exp(x, weights = x)", np.log((np.array([1, 4, 2, 8]) * np.exp([1, 4, 2, 8])
                                            ).sum())),
    ("chi2_quantile(0.5, 13)", stats.chi2.ppf(0.5, 13)),
    ("sum(t * x)", 1 + 8 + 6 + 32),
    ("x[3]", 2.0),
])
def test_scalar_builtins(expr, expected):
    assert float(let(expr)) == pytest.approx(expected)


def test_reductions_over_a_named_set():
    m = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=float)
    np.testing.assert_allclose(let("sum(m, over = t)"), m.sum(axis=0))
    np.testing.assert_allclose(let("mean(m, over = s)"), m.mean(axis=1))
    np.testing.assert_allclose(let("last(m, over = t)"), m[-1])
    np.testing.assert_allclose(let("diff(m, over = t)"),
                               np.vstack([np.zeros(2), np.diff(m, axis=0)]))
    np.testing.assert_allclose(let("x @ m"), np.array([1, 4, 2, 8]) @ m)
    np.testing.assert_allclose(let("max(x, 3)"), np.maximum([1, 4, 2, 8], 3))


def test_trace_and_outer():
    body = ('set a = ["x", "y"]\nset a2 = a\nset b = [1, 2, 3]\n'
            "param m[a, a2] = [[1, 2], [3, 4]]\nparam p[a] = [1, 2]\nparam q[b] = [1, 0, 2]\n"
            "let t = trace(m)\nlet o = outer(p, q)\nvariable v\nminimize obj: v\n"
            "subject to\n    lo: v >= t + sum(o)\n")
    compiled = compile_text(body)
    lets = compiled.lowered.evaluator.let_values
    assert float(lets[compiled.model.symbols["t"]]) == 5.0
    np.testing.assert_allclose(lets[compiled.model.symbols["o"]],
                               np.outer([1, 2], [1, 0, 2]))
    assert compiled.solve().objective == pytest.approx(5.0 + 9.0)


def test_cvar_of_a_sample_is_the_mean_of_the_tail():
    losses = np.arange(100, dtype=float)
    assert cvar_of_sample(losses, 0.95) == pytest.approx(np.mean(np.arange(95, 100)))
    assert float(let("cvar(0.75, x)")) == pytest.approx(8.0)
    assert float(let("cvar(0.5, x)")) == pytest.approx(6.0)


def test_decision_builtins_solve_to_closed_forms():
    # min sum((w - x)^2) + diff penalty: checked against the normal equations
    compiled = compile_text(DATA + "variable w[t]\n"
                            "minimize o: sum_squares(w - x) + sum_squares(diff(w, over = t))\n")
    result = compiled.solve()
    n = 4
    d = np.eye(n) - np.eye(n, k=-1)
    d[0, 0] = 0
    expected = np.linalg.solve(np.eye(n) + d.T @ d, np.array([1, 4, 2, 8.0]))
    np.testing.assert_allclose(result.values["w"].to_numpy(), expected, atol=1e-5)

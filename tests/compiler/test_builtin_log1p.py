"""log1p, the builtin added through the registry as one record (compiler/builtins/math.py):
its value against numpy, a solve against plain cvxpy, its shape, units and misuses."""

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

SETS = 'set t = 1..3\nset s = ["a", "b"]\n'


def test_value_on_data_is_numpys_and_keeps_the_index():
    m = [[0.001, 2.0], [1e-9, 4.0], [5.0, 0.5]]
    compiled = compile_text(SETS + f"param m[t, s] = {m}\nparam q[t, s] = log1p(m)\n"
                            "variable w[t]\nminimize o: sum(w)\nsubject to\n    c: w >= 0\n")
    q = compiled.bindings.values[compiled.model.symbols["q"]]
    np.testing.assert_allclose(q, np.log1p(np.array(m)), rtol=1e-15)
    assert q[1, 0] == pytest.approx(1e-9, rel=1e-8)  # where log(1 + x) loses the digits


def test_maximize_sum_log1p_matches_plain_cvxpy():
    body = (SETS + "param a[t] = [1, 2, 4]\nvariable w[t] >= 0\n"
            "maximize growth: sum(a * log1p(w))\nsubject to\n    budget: sum(w) <= 1\n")
    result = compile_text(body).solve()
    w = cp.Variable(3, nonneg=True)
    a = np.array([1.0, 2.0, 4.0])
    expected = cp.Problem(cp.Maximize(a @ cp.log1p(w)), [cp.sum(w) <= 1]).solve()
    assert result.objective == pytest.approx(expected, rel=1e-5)
    # water-filling (KKT): w_i = max(a_i / lam - 1, 0) with lam set by sum(w) = 1
    lo, hi = 1e-6, a.max()
    for _ in range(100):
        lam = (lo + hi) / 2
        lo, hi = (lam, hi) if np.maximum(a / lam - 1, 0).sum() > 1 else (lo, lam)
    np.testing.assert_allclose(result.values["w"].to_numpy(), np.maximum(a / lam - 1, 0),
                               atol=1e-4)


def test_units_a_weight_stays_dimensionless():
    d = first_error("set t = 1..3\nvariable w[t]\nminimize o: sum(w)\nsubject to\n"
                    "    c: log1p(w) <= 1bp\n")
    assert d.code == "E307" and "'log1p(w)' is dimensionless" in d.message


@pytest.mark.parametrize("body, code, words", [
    ("variable w[t]\nmaximize o: sum(log1p(w, w))\n", "E208", "takes 1 positional"),
    ("variable w[t]\nmaximize o: sum(log1p(w, over = t))\n", "E208", "no argument 'over'"),
    ("variable w[t]\nminimize o: sum(log1p(w))\n", "E401", "concave"),
    ('param x[t] = [1, -1, 2]\nvariable w[t]\nminimize o: sum(w) + sum(log1p(x))\n',
     "E508", "infinite value at [2]"),
    ("param m[t, s] = [[1, 2], [3, 4], [5, 6]]\nparam q[t] = log1p(m)\n"
     "variable w[t]\nminimize o: sum(w)\n", "E301", "indexed by [t] but its value by [t, s]"),
])
def test_misuse_is_a_located_error(body: str, code: str, words: str):
    d = first_error(SETS + body)
    assert d.code == code and words in d.message

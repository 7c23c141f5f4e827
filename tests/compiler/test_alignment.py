"""Alignment by set name, said explicitly where it could mislead (issue 10, item 5).

`vol[tenor2]` re-indexes a value onto an alias's axis; `diag` and `outer` work on aliases;
elementwise operands on unrelated sets, or a vector against a matrix on its set and the
set's alias, are located errors unless the author names the sets. Numbers are checked
against numpy and plain cvxpy formulations written here.
"""

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

VOL = np.array([0.10, 0.20, 0.30])
CORR = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]])
HEAD = ('set tenor = ["5Y", "7Y", "10Y"]\nset tenor2 = tenor\n'
        "param vol[tenor] = [0.1, 0.2, 0.3]\n"
        "param corr[tenor, tenor2] = [[1, 0.5, 0.2], [0.5, 1, 0.4], [0.2, 0.4, 1]]\n")
MIN_VARIANCE = ("variable w[tenor] >= 0\nminimize variance: quad_form(w, cov)\n"
                "subject to\n    budget: sum(w) == 1\n")


def _min_variance(cov: np.ndarray) -> float:
    w = cp.Variable(3, nonneg=True)
    problem = cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


@pytest.mark.parametrize("cov", [
    "vol[tenor] * corr * vol[tenor2]",
    "outer(vol, vol[tenor2]) * corr",
])
def test_a_covariance_from_vols_and_a_correlation(cov):
    """vol_i corr_ij vol_j, two ways; the minimum variance equals numpy's covariance."""
    body = HEAD + f"param cov[tenor, tenor2] = {cov}\n" + MIN_VARIANCE
    expected = _min_variance(np.outer(VOL, VOL) * CORR)
    result = compile_text(body).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-6)
    # and not vol_i^2 corr_ij (symmetrized), what the unmarked `vol * corr * vol` gave
    wrong = VOL[:, None] ** 2 * CORR
    assert abs(expected - _min_variance((wrong + wrong.T) / 2)) > 1e-4


def test_the_ambiguous_spelling_is_refused_with_the_fix():
    diagnostic = first_error(HEAD + "param cov[tenor, tenor2] = vol * corr * vol\n" + MIN_VARIANCE)
    assert diagnostic.code == "E301"
    assert "ambiguous" in diagnostic.message
    assert "vol[tenor2]" in diagnostic.help


def test_an_elementwise_product_on_unrelated_sets_is_refused():
    """`sum(w * p)` with w[a], p[b] was silently sum(w) * sum(p)."""
    body = ('set a = ["x", "y"]\nset b = ["u", "v", "z"]\nparam p[b] = [1, 2, 3]\n'
            "variable w[a] >= 0 <= 1\nmaximize o: sum(w * p)\n")
    diagnostic = first_error(body)
    assert diagnostic.code == "E301" and "unrelated" in diagnostic.message
    assert "y[period] + s[bond]" in diagnostic.help or "outer" in diagnostic.help


def test_an_outer_sum_written_with_its_sets():
    body = ('set a = [1, 2]\nset b = ["u", "v", "z"]\nparam p[a] = [1, 2]\n'
            "param q[b] = [10, 20, 30]\nvariable x[a, b] >= 0\n"
            "maximize o: sum(x * (p[a] + q[b]))\nsubject to\n    cap: sum(x) <= 1\n")
    result = compile_text(body).solve()
    assert result.objective == pytest.approx(32.0, rel=1e-9)  # the best pair: 2 + 30


def test_diag_of_a_vector_and_of_a_matrix():
    body = (HEAD + "param d[tenor, tenor2] = diag(vol)\nparam back[tenor] = diag(corr)\n"
            "variable w[tenor]\nminimize o: quad_form(w, d) - sum(w * back)\n")
    result = compile_text(body).solve()
    # min sum vol_i w_i^2 - w_i  =>  w_i = 1 / (2 vol_i), value -sum 1 / (4 vol_i)
    np.testing.assert_allclose(result.values["w"].to_numpy(), 1 / (2 * VOL), rtol=1e-6)
    assert result.objective == pytest.approx(-np.sum(1 / (4 * VOL)), rel=1e-6)


def test_diag_needs_an_alias():
    diagnostic = first_error('set s = ["x", "y"]\nparam v[s] = [1, 2]\n'
                             "variable w[s]\nminimize o: quad_form(w, diag(v))\n")
    assert diagnostic.code == "E303" and "set s2 = s" in diagnostic.help


def test_outer_of_a_vector_with_itself_names_the_real_syntax():
    diagnostic = first_error(HEAD + "param o[tenor, tenor2] = outer(vol, vol)\n" + MIN_VARIANCE
                             .replace("cov", "o"))
    assert diagnostic.code == "E303" and "outer(a, b[tenor2])" in diagnostic.help
    result = compile_text(HEAD + "param o[tenor, tenor2] = outer(vol, vol[tenor2])\n"
                          "variable w[tenor]\nminimize m: quad_form(w, o) + sum_squares(w)"
                          " - sum(w)\n").solve()
    w = cp.Variable(3)
    oracle = cp.Problem(cp.Minimize(cp.quad_form(w, np.outer(VOL, VOL)) + cp.sum_squares(w)
                                    - cp.sum(w)))
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, rel=1e-6)


def test_a_param_on_an_alias_is_written_re_indexed():
    body = HEAD + "param vol2[tenor2] = {value}\nvariable w[tenor]\nminimize o: sum(w)\n"
    diagnostic = first_error(body.format(value="vol"))
    assert diagnostic.code == "E301" and "vol[tenor2]" in diagnostic.help
    compile_text(body.format(value="vol[tenor2]") .replace("minimize o: sum(w)",
                                                             "minimize o: sum(w)\nsubject to\n"
                                                             "    c: w >= 0"))


@pytest.mark.parametrize(("value", "says"), [
    ("vol[tenor2, tenor]", "2 set(s)"),
    ("corr[tenor]", "1 set(s)"),
])
def test_re_index_mistakes_are_located(value, says):
    body = ('set other = ["a", "b", "c"]\n' + HEAD +
            f"param bad[tenor2] = {value}\nvariable w[tenor]\nminimize o: sum(w)\n")
    diagnostic = first_error(body)
    assert diagnostic.code == "E303" and says in diagnostic.message


def test_re_index_onto_an_unrelated_set_is_refused():
    body = ('set other = ["a", "b", "c"]\n' + HEAD +
            "param bad[other] = vol[other]\nvariable w[tenor]\nminimize o: sum(w)\n")
    diagnostic = first_error(body)
    assert diagnostic.code == "E303" and "not 'tenor' or an alias" in diagnostic.message


@pytest.mark.parametrize("value", ["diag(vol) @ corr", "vol", "sum(vol)"])
def test_a_value_is_not_silently_copied_along_sets_it_lacks(value):
    """`diag(vol) @ corr` sums over both sets: one number, once copied into every cell."""
    diagnostic = first_error(HEAD + f"param cov[tenor, tenor2] = {value}\n" + MIN_VARIANCE)
    assert diagnostic.code == "E301" and "copied along" in diagnostic.message


def test_a_spread_written_with_its_sets_and_a_scalar_fill_are_fine():
    body = HEAD + ("param spread[tenor, tenor2] = vol[tenor]\nparam fill[tenor, tenor2] = 0.5\n"
                   "variable w[tenor]\nminimize o: sum(w)\nsubject to\n    c: w >= 0\n")
    compiled = compile_text(body)
    spread = compiled.bindings.values[compiled.model.symbols["spread"]]
    np.testing.assert_allclose(spread, np.repeat(VOL[:, None], 3, axis=1))


def test_an_indefinite_matrix_is_named_as_such():
    diagnostic = first_error(HEAD + "param c[tenor, tenor2] = [[1, 2, 0], [2, 1, 0], [0, 0, 1]]\n"
                             "variable w[tenor]\nminimize o: quad_form(w, c)\n")
    assert diagnostic.code == "E401" and "not positive semidefinite" in diagnostic.help
    assert "-1" in diagnostic.help  # its smallest eigenvalue

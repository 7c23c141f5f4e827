"""Lowering: variable kinds, chained constraints and models without constraints, each
against a closed form."""

import numpy as np
import pytest
from saddle_testing import compile_text


def test_psd_matrix_variable_is_the_eigenvalue_projection():
    m = np.array([[2.0, 3.0, 0.0], [3.0, 1.0, 0.5], [0.0, 0.5, -1.0]])
    body = ('set a = ["x", "y", "z"]\nset a2 = a\n'
            f"param m[a, a2] = {m.tolist()}\n"
            "variable X[a, a2] psd\nminimize distance: sum_squares(X - m)\n")
    result = compile_text(body).solve()
    values, vectors = np.linalg.eigh(m)
    nearest = vectors @ np.diag(np.maximum(values, 0)) @ vectors.T
    np.testing.assert_allclose(result.values["X"].to_numpy(), nearest, atol=1e-5)
    assert result.objective == pytest.approx(np.sum(np.minimum(values, 0) ** 2), abs=1e-6)


def test_integer_variables_take_whole_numbers():
    body = ('set lot = ["a", "b"]\nparam price[lot] = [3, 5]\nparam value[lot] = [4, 7]\n'
            "variable n[lot] integer >= 0 <= 10\nmaximize worth: value @ n\n"
            "subject to\n    cash: price @ n <= 17\n")
    result = compile_text(body).solve()
    best = max((4 * a + 7 * b, a, b) for a in range(11) for b in range(11) if 3 * a + 5 * b <= 17)
    assert result.objective == pytest.approx(best[0])
    assert result.values["n"].tolist() == pytest.approx([best[1], best[2]])


def test_chained_constraint_reports_the_binding_side():
    body = ('set s = ["a", "b"]\nparam c[s] = [1, -1]\nvariable w[s]\n'
            "maximize edge: c @ w\nsubject to\n    box: -2 <= w <= 3\n")
    result = compile_text(body).solve()
    assert result.values["w"].tolist() == pytest.approx([3, -2], abs=1e-6)
    assert result.constraints["box"].binding.tolist() == [True, True]
    assert result.duals["box"].tolist() == pytest.approx([1, 1], abs=1e-6)


def test_a_model_without_subject_to():
    body = ('set s = ["a", "b"]\nparam t[s] = [1, 2]\nvariable w[s]\n'
            "minimize fit: sum_squares(w - t)\n")
    result = compile_text(body).solve()
    assert result.objective == pytest.approx(0, abs=1e-8)
    assert result.constraints == {}


def test_a_let_nothing_uses_is_still_reported():
    body = ('set s = ["a", "b"]\nparam p[s] = [1, 2]\nvariable w[s] >= 0 <= 1\n'
            "let value = p @ w\nmaximize o: sum(w)\n")
    result = compile_text(body).solve()
    assert result.values["value"] == pytest.approx(3.0)

"""Factor-form quadratics (issue 12 item 4): `quad_form(x, S)` and `x @ S @ x` of a positive
definite data matrix lower as `sum_squares(L' x)` (L L' = S, Cholesky) and must solve to
the same optimum as plain cvxpy's `quad_form`; a singular S keeps `quad_form`."""

import cvxpy as cp
import numpy as np
import pytest
from cvxpy.atoms.quad_form import QuadForm
from saddle_testing import compile_text

N = 6


def _matrix(values: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:.17g}" for v in row) + "]"
                           for row in values) + "]"


def _data(rank: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    factor = rng.normal(size=(N, rank)) / 4
    cov = factor @ factor.T
    if rank == N:
        cov += 0.01 * np.eye(N)
    return rng.normal(0.05, 0.02, size=N), cov


def _body(mu: np.ndarray, cov: np.ndarray, risk: str) -> str:
    labels = ", ".join(f'"a{k}"' for k in range(N))
    return (f"set asset = [{labels}]\nset asset2 = asset\n"
            f"param mu[asset] = [{', '.join(f'{v:.17g}' for v in mu)}]\n"
            f"param cov[asset, asset2] = {_matrix(cov)}\n"
            "variable w[asset] >= 0 <= 0.5\n"
            f"maximize utility:\n    mu @ w - 3 * {risk}\n"
            "subject to\n    budget: sum(w) == 1\n")


def _plain(mu: np.ndarray, cov: np.ndarray) -> tuple[float, np.ndarray]:
    w = cp.Variable(N)
    problem = cp.Problem(cp.Maximize(mu @ w - 3 * cp.quad_form(w, cp.psd_wrap(cov))),
                         [cp.sum(w) == 1, w >= 0, w <= 0.5])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value), np.asarray(w.value)


def _atoms(problem: cp.Problem) -> set[type]:
    found, stack = set(), [problem.objective, *problem.constraints]
    while stack:
        node = stack.pop()
        found.add(type(node))
        stack.extend(getattr(node, "args", []))
    return found


@pytest.mark.parametrize("risk", ["quad_form(w, cov)", "w @ cov @ w"])
def test_a_positive_definite_matrix_lowers_in_factor_form(risk):
    mu, cov = _data(rank=N)
    compiled = compile_text(_body(mu, cov, risk))
    assert QuadForm not in _atoms(compiled.problem)
    result = compiled.solve(solver="CLARABEL")
    expected, weights = _plain(mu, cov)
    assert result.objective == pytest.approx(expected, rel=1e-7)
    np.testing.assert_allclose(result.values["w"].to_numpy(), weights, atol=1e-6)


def test_a_singular_matrix_keeps_quad_form():
    mu, cov = _data(rank=2)  # PSD, rank 2: no Cholesky factor
    compiled = compile_text(_body(mu, cov, "quad_form(w, cov)"))
    assert QuadForm in _atoms(compiled.problem)
    result = compiled.solve(solver="CLARABEL")
    expected, _ = _plain(mu, cov)
    assert result.objective == pytest.approx(expected, rel=1e-6)


def test_a_variance_limit_in_factor_form_equals_plain_cvxpy():
    """The quadratic in a constraint (a second-order cone once in factor form)."""
    mu, cov = _data(rank=N)
    body = _body(mu, cov, "0").replace("budget: sum(w) == 1",
                                       "budget: sum(w) == 1\n    risk: quad_form(w, cov) <= 0.01")
    result = compile_text(body).solve(solver="CLARABEL")
    w = cp.Variable(N)
    plain = cp.Problem(cp.Maximize(mu @ w), [cp.sum(w) == 1, w >= 0, w <= 0.5,
                                             cp.quad_form(w, cov) <= 0.01])
    plain.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(plain.value, rel=1e-7)
    assert float(result.values["w"].to_numpy() @ cov @ result.values["w"].to_numpy()) \
        == pytest.approx(0.01, rel=1e-6)

"""The robust mean's fixed costs (issue 12 item 4): the counterpart writes y = L'w once for a
quad_form and an ellipsoid over the same covariance (the hand-written factor form), no dense
identity for `w @ m`, and the answers stay the hand SOCP's; a CSV is read once."""

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

from compiler.data import sandbox

N = 6
KAPPA = 0.7
GAMMA = 2.0


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    factor = rng.normal(size=(N, N)) / 5
    return rng.normal(0.06, 0.03, size=N), factor @ factor.T + 0.01 * np.eye(N)


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.17g}" for v in values) + "]"


def _body(mu: np.ndarray, cov: np.ndarray, ellipsoid_scale: float = 1.0,
          robust_row: bool = False) -> str:
    labels = ", ".join(f'"a{k}"' for k in range(N))
    matrix = "[" + ", ".join(_vector(row) for row in cov) + "]"
    objective = "w @ m - gamma * quad_form(w, cov)" if not robust_row else \
        "mu @ w - gamma * quad_form(w, cov)"
    rows = "\n    floor: w @ m - gamma * quad_form(w, cov) >= -0.1045" if robust_row else ""
    return (f"set asset = [{labels}]\nset asset2 = asset\n"
            f"param mu[asset] = {_vector(mu)}\nparam cov[asset, asset2] = {matrix}\n"
            f"param gamma = {GAMMA}\n"
            f"uncertain m[asset] in ellipsoid(mu, covariance = {ellipsoid_scale!r} * cov, "
            f"radius = {KAPPA})\n"
            "variable w[asset] >= 0 <= 0.4\n"
            f"maximize utility:\n    {objective}\n"
            f"subject to\n    budget: sum(w) == 1{rows}\n")


def _hand(mu: np.ndarray, cov: np.ndarray, ellipsoid_scale: float = 1.0) -> float:
    """The closed form written by hand: mu'w - kappa ||L_e'w|| - gamma w'Sw."""
    w = cp.Variable(N, nonneg=True)
    ell = np.linalg.cholesky(ellipsoid_scale * cov)
    objective = mu @ w - KAPPA * cp.norm(ell.T @ w, 2) - GAMMA * cp.quad_form(w, cov)
    problem = cp.Problem(cp.Maximize(objective), [cp.sum(w) == 1, w <= 0.4])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


def _nonzeros(problem: cp.Problem) -> int:
    return int(problem.get_problem_data(cp.CLARABEL)[0]["A"].nnz)


@pytest.mark.parametrize("scale", [1.0, 0.05])
def test_the_ellipsoid_and_the_quadratic_share_one_factor_product(scale):
    mu, cov = _data()
    compiled = compile_text(_body(mu, cov, scale))
    result = compiled.solve(solver="CLARABEL")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(_hand(mu, cov, scale), rel=1e-7, abs=1e-9)
    assert result.certified
    # L enters the solver's matrix once: the triangle of y = L'w, the budget, the bounds,
    # and the identity of the norm's cone over y (no second copy of L)
    triangle = N * (N + 1) // 2
    assert _nonzeros(compiled.problem) <= triangle + 5 * N + 2
    # the worst case reported is the ellipsoid's minimizer at the decision
    w = np.asarray(result.values["w"], dtype=float)
    ell = np.linalg.cholesky(scale * cov)
    g = ell.T @ w
    expected = mu - KAPPA * ell @ g / np.linalg.norm(g)
    np.testing.assert_allclose(np.asarray(result.worst_case["objective"]["m"], float),
                               expected, atol=1e-7)


def test_a_robust_row_shares_the_product_too():
    mu, cov = _data()
    compiled = compile_text(_body(mu, cov, robust_row=True))
    result = compiled.solve(solver="CLARABEL")
    w = cp.Variable(N, nonneg=True)
    ell = np.linalg.cholesky(cov)
    utility = mu @ w - GAMMA * cp.quad_form(w, cov)
    hand = cp.Problem(cp.Maximize(utility), [
        cp.sum(w) == 1, w <= 0.4, utility - KAPPA * cp.norm(ell.T @ w, 2) >= -0.1045])
    hand.solve(solver=cp.CLARABEL)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(float(hand.value), rel=1e-7)
    assert result.certified
    assert result.constraints["floor"].binding  # the shared norm is the one that binds
    assert _nonzeros(compiled.problem) <= N * (N + 1) // 2 + 8 * N + 4  # L once (twice: + 21)


def test_a_different_matrix_keeps_its_own_product():
    """An ellipsoid over another covariance: nothing to share, and the answer is still the
    hand SOCP's."""
    mu, cov = _data()
    other = cov + 0.02 * np.eye(N)
    body = _body(mu, cov).replace("covariance = 1.0 * cov",
                                  "covariance = cov2").replace(
        "param gamma", "param cov2[asset, asset2] = ["
        + ", ".join(_vector(row) for row in other) + "]\nparam gamma")
    result = compile_text(body).solve(solver="CLARABEL")
    w = cp.Variable(N, nonneg=True)
    objective = mu @ w - KAPPA * cp.norm(np.linalg.cholesky(other).T @ w, 2) - \
        GAMMA * cp.quad_form(w, cov)
    hand = cp.Problem(cp.Maximize(objective), [cp.sum(w) == 1, w <= 0.4])
    hand.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(float(hand.value), rel=1e-7)


def test_no_dense_identity_reaches_the_solver():
    """`w @ m`'s coefficient of m is w itself: without the quadratic the solver's matrix
    holds the ellipsoid's triangle once, not an n x n identity product."""
    mu, cov = _data()
    body = _body(mu, cov).replace(" - gamma * quad_form(w, cov)", "")
    compiled = compile_text(body)
    assert _nonzeros(compiled.problem) <= N * (N + 1) // 2 + 4 * N + 2
    w = cp.Variable(N, nonneg=True)
    hand = cp.Problem(cp.Maximize(mu @ w - KAPPA * cp.norm(np.linalg.cholesky(cov).T @ w, 2)),
                      [cp.sum(w) == 1, w <= 0.4])
    hand.solve(solver=cp.CLARABEL)
    assert compiled.solve(solver="CLARABEL").objective == pytest.approx(float(hand.value),
                                                                        rel=1e-7)


def test_a_nonconvex_nominal_objective_is_still_located():
    """The nominal check runs only where the counterpart is not DCP: its E401 still points
    at the term."""
    mu, cov = _data()
    body = _body(mu, cov).replace("- gamma * quad_form(w, cov)", "+ gamma * quad_form(w, cov)")
    diagnostic = first_error(body)
    assert diagnostic.code == "E401"
    assert "quad_form" in diagnostic.span.text


def test_a_csv_with_a_plain_header_is_read_once(tmp_path, monkeypatch):
    (tmp_path / "assets.csv").write_text("asset,mean\na,0.1\nb,0.2\n")
    (tmp_path / "twice.csv").write_text("asset,mean,mean\na,0.1,0.3\nb,0.2,0.4\n")
    reads = []
    original = sandbox._read
    monkeypatch.setattr(sandbox, "_read", lambda *a, **k: reads.append(a[0].name) or
                        original(*a, **k))
    sandbox._TABLES.clear()
    table = sandbox.read_table(tmp_path / "assets.csv", None)
    assert list(table.columns) == ["asset", "mean"] and reads == ["assets.csv"]
    # a name given twice: pandas renames the second, so the header is read as written
    table = sandbox.read_table(tmp_path / "twice.csv", None)
    assert list(table.columns) == ["asset", "mean", "mean"]
    assert reads.count("twice.csv") == 2

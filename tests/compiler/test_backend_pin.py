"""dsp-cvxpy 0.4.2 is only right on cvxpy 1.7.x: on 1.8+ a patched dsp returned 0.00 for a
matrix game worth 0.80. These tests fail loudly if the pin drifts or the answer goes wrong."""

from importlib.metadata import version

import cvxpy as cp
import dsp
import numpy as np
import pytest

GAME = np.array([[0.9, 0.6], [0.7, 1.0]])


def test_cvxpy_is_pinned_to_1_7():
    major, minor = (int(part) for part in cp.__version__.split(".")[:2])
    assert (major, minor) == (1, 7), f"dsp-cvxpy 0.4.2 needs cvxpy 1.7.x, found {cp.__version__}"
    assert version("dsp-cvxpy") == "0.4.2"


def _game_value_by_lp(payoff: np.ndarray) -> float:
    """min over mixed x of max over pure columns of x' A e_j: the von Neumann value by LP."""
    x, t = cp.Variable(payoff.shape[0], nonneg=True), cp.Variable()
    problem = cp.Problem(cp.Minimize(t), [payoff.T @ x <= t, cp.sum(x) == 1])
    problem.solve(solver="CLARABEL")
    return float(problem.value)


def test_dsp_solves_a_matrix_game_to_its_lp_value():
    x = cp.Variable(2, nonneg=True)
    y = cp.Variable(2, nonneg=True)
    game = dsp.SaddlePointProblem(
        dsp.MinimizeMaximize(dsp.inner(x, GAME @ y)),
        [cp.sum(x) == 1, cp.sum(y) == 1],
        minimization_vars=[x],
        maximization_vars=[y],
    )
    game.solve(solver="CLARABEL")
    assert _game_value_by_lp(GAME) == pytest.approx(0.8, abs=1e-7)
    assert game.value == pytest.approx(0.8, abs=1e-6)
    assert x.value == pytest.approx([0.5, 0.5], abs=1e-5)

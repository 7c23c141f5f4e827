"""Mixed-integer problems with a quadratic or conic part solve with SCIP by default.

The two shipped models that need it equal independent oracles written here (never Saddle's
lowering): the treasury book with a variance penalty (an MIQP: the oracle's own MIQP with
SCIP and a brute force over the 2^5 sign patterns with Clarabel), and the robust allocation
in whole lots (an MISOCP: the oracle's own closed-form MISOCP with SCIP, and the closed form
evaluated at every integer point of a small grid).
"""

from pathlib import Path

import numpy as np
import pytest
from oracles.robust_lots import brute_force as lots_brute_force
from oracles.robust_lots import lots_data, solve_misocp, worst_return
from oracles.treasury import treasury_data
from oracles.treasury_variance import (
    brute_force,
    feasible,
    objective_at,
    solve_miqp,
    variance_data,
)
from saddle_testing import INTEGRALITY, compile_text, first_error

from compiler import compile_model, load

MODELS = Path(__file__).resolve().parents[2] / "models"
YIELDS = MODELS / "data" / "real_yields_2024.csv"


def _solve(name: str, **params):
    compiled = compile_model(load(MODELS / f"{name}.saddle"), params=params)
    return compiled, compiled.solve()


@pytest.fixture(scope="module")
def variance_oracle() -> dict:
    data = variance_data(treasury_data(YIELDS))
    return {"data": data, "miqp": solve_miqp(data), "brute": brute_force(data)}


def test_treasury_variance_is_a_miqp_solved_by_scip(variance_oracle):
    compiled, result = _solve("treasury_variance")
    assert compiled.default_solver() == "SCIP" and result.solver == "SCIP"
    assert compiled.problem.is_mixed_integer()
    assert result.status == "optimal"
    for oracle in (variance_oracle["miqp"], variance_oracle["brute"]):
        assert oracle["status"] == "optimal"
        assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    # The penalty's curvature is tiny (~1e-4 $M per unit of w squared), so weights 2e-3
    # apart are equally optimal: Saddle's weights are checked in the oracle's own objective.
    w = result.values["w"].to_numpy()
    data = variance_oracle["data"]
    assert feasible(data, w)
    assert objective_at(data, w) == pytest.approx(variance_oracle["brute"]["objective"],
                                                  rel=1e-6)
    np.testing.assert_allclose(w, variance_oracle["brute"]["weights"], atol=1e-2)
    assert np.all(np.abs(w) >= 0.02 - 1e-7)  # the haircut holds
    assert np.sum(np.isclose(np.abs(w), 0.02, atol=1e-7)) >= 1  # ... and shapes the answer


def test_treasury_variance_without_the_haircut_is_a_continuous_qp(variance_oracle):
    compiled, result = _solve("treasury_variance", min_weight=0)
    assert result.solver == "CLARABEL" and not compiled.problem.is_mixed_integer()
    # the relaxation bounds the mixed-integer optimum
    assert result.objective >= variance_oracle["miqp"]["objective"] - 1e-9


def test_robust_lots_equals_the_misocp_oracle():
    compiled, result = _solve("robust_lots")
    assert result.status == "optimal" and result.solver == "SCIP"
    oracle = solve_misocp(lots_data())
    assert oracle["status"] == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    lots = result.values["n"].to_numpy()
    np.testing.assert_allclose(lots, np.round(lots), atol=INTEGRALITY)
    np.testing.assert_allclose(lots, oracle["lots"], atol=INTEGRALITY)
    # the reported objective is the closed-form worst case at the reported lots
    assert result.objective == pytest.approx(worst_return(lots_data(), 0.5 * lots), rel=1e-6)


def test_robust_lots_equals_brute_force_on_a_small_grid():
    params = {"max_lots": 2, "budget": 3}  # 3^8 integer points, the budget binding
    _, result = _solve("robust_lots", **params)
    oracle = lots_brute_force(lots_data(**params))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    np.testing.assert_allclose(result.values["n"].to_numpy(), oracle["lots"], atol=INTEGRALITY)


def test_the_worst_case_of_the_lots_is_the_ellipsoids_minimizer():
    """The adversary's m at the optimum: mu - kappa Σx / sqrt(x'Σx) (the closed form)."""
    _, result = _solve("robust_lots")
    data = lots_data()
    x = 0.5 * result.values["n"].to_numpy()
    expected = data["mu"] - data["kappa"] * data["cov"] @ x / np.sqrt(x @ data["cov"] @ x)
    np.testing.assert_allclose(result.worst_case["objective"]["m"].to_numpy(), expected,
                               atol=1e-6)


@pytest.mark.parametrize(("body", "solver"), [
    ('set s = ["a", "b"]\nvariable n[s] integer >= 0 <= 3\nminimize o: sum_squares(n - 1.4)\n',
     "SCIP"),
    ('set s = ["a", "b"]\nvariable n[s] integer >= 0 <= 3\nminimize o: norm2(n - 1.4)\n',
     "SCIP"),
    ('set s = ["a", "b"]\nvariable n[s] integer >= 0 <= 3\nmaximize o: sum(n)\n', "HIGHS"),
    ('set s = ["a", "b"]\nvariable w[s]\nminimize o: norm2(w - 1.4)\n', "CLARABEL"),
    ('set s = ["a", "b"]\nvariable w[s] >= 0 <= 1\nmaximize o: sum(w)\n', "HIGHS"),
])
def test_the_default_solver_follows_the_problem_class(body, solver):
    compiled = compile_text(body)
    assert compiled.default_solver() == solver
    result = compiled.solve()
    assert result.status == "optimal" and result.solver == solver


def test_small_miqp_equals_rounding_by_hand():
    """min sum (n - 1.4)^2 over integers in [0, 3]: n = 1 each, objective 2 * 0.16."""
    result = compile_text('set s = ["a", "b"]\nvariable n[s] integer >= 0 <= 3\n'
                          'minimize o: sum_squares(n - 1.4)\n').solve()
    assert result.objective == pytest.approx(0.32, abs=1e-7)
    np.testing.assert_allclose(result.values["n"].to_numpy(), [1, 1], atol=INTEGRALITY)


def test_no_open_solver_for_a_mixed_integer_exponential_cone_is_located():
    diagnostic = first_error('set s = ["a"]\nvariable n[s] integer >= 1 <= 3\n'
                             'minimize o: sum(exp(n))\n')
    assert diagnostic.code == "E414"
    assert diagnostic.span.line == 3  # the integer declaration (after the model header)

"""Compile once, re-solve (issue 12 item 4): a swept param as a cvxpy Parameter.

Every point of a sweep compiled once must equal the same point compiled from scratch
(1e-9) and an independent plain-cvxpy model (the treasury oracle); a param the model also
uses as a number (a big-M, cvar's level, a product of params) re-compiles per point and
says why.
"""

from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from oracles.treasury import solve_treasury, treasury_data
from saddle_testing import HEADER

from compiler import compile_model, load, loads, sweep

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "models" / "treasury.saddle"
TENORS = ["5Y", "7Y", "10Y", "20Y", "30Y"]
LIMITS = [0.2, 0.45, 0.7, 1.0, 5.0]  # binding, binding, ..., slack


def _weights(row) -> np.ndarray:
    return np.array([row[f"w[{t}]"] for t in TENORS])


def _compiled_once(result) -> bool:
    return any(n.startswith("compiled once: 'cvar_limit' is a cvxpy Parameter")
               for n in result.notes)


@pytest.fixture(scope="module")
def swept():
    return sweep(load(TREASURY), "cvar_limit", LIMITS)


def test_the_treasury_sweep_compiles_once(swept):
    assert _compiled_once(swept) and swept.status == "optimal"


def test_each_point_equals_a_compile_from_scratch(swept):
    for limit in LIMITS:
        fresh = compile_model(load(TREASURY), params={"cvar_limit": limit}).solve()
        row = swept.table.loc[limit]
        assert row["objective"] == pytest.approx(fresh.objective, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(_weights(row), fresh.values["w"].to_numpy(),
                                   rtol=1e-9, atol=1e-9)


def test_each_point_equals_the_plain_cvxpy_oracle(swept):
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    objectives = []
    for limit in LIMITS:
        oracle = solve_treasury({**data, "cvar_limit": limit}, haircut=True)
        row = swept.table.loc[limit]
        assert row["objective"] == pytest.approx(oracle["objective"], rel=1e-6, abs=1e-9)
        objectives.append(row["objective"])
    assert objectives[0] < objectives[-1]  # the limit binds at the low end


def test_a_param_that_sets_a_big_m_recompiles_per_point():
    """capital bounds |w| (the haircut's big-M): a Parameter there would keep the first
    point's M, so each point is compiled again, and the answers still match the oracle."""
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    result = sweep(load(TREASURY), "capital", [150.0, 250.0])
    assert not _compiled_once(result)
    assert any("compiled at every point: 'capital' is also used as a number" in n
               for n in result.notes)
    for capital in (150.0, 250.0):
        oracle = solve_treasury({**data, "capital": capital}, haircut=True)
        assert result.table.loc[capital]["objective"] == pytest.approx(oracle["objective"],
                                                                       rel=1e-6)


SMALL = HEADER + """\
set i = ["a", "b", "c"]
param c[i] = [1, 2, 3]
param k = 2
param level = 0.9
scenarios s[200, i] ~ normal(0, 1, seed = 3)
variable x[i] >= 0
minimize cost:
    sum(c * x) + k * k * sum(x) + cvar(level, -(s @ x))
subject to
    budget: sum(x) == 1
"""


def _plain(c: np.ndarray, k: float, level: float, scenarios: np.ndarray) -> float:
    """The SMALL model in plain cvxpy, CVaR in Rockafellar-Uryasev form."""
    x, alpha = cp.Variable(3, nonneg=True), cp.Variable()
    losses = -(scenarios @ x)
    cvar = alpha + cp.sum(cp.pos(losses - alpha)) / ((1 - level) * len(scenarios))
    problem = cp.Problem(cp.Minimize(c @ x + k * k * cp.sum(x) + cvar), [cp.sum(x) == 1])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


@pytest.mark.parametrize(("name", "values", "reason"), [
    ("k", [0.5, 1.0, 1.5], "not DPP"),                   # k * k * x: a product of params
    ("level", [0.8, 0.9], "does not compile with"),      # cvar's level must be a number
])
def test_params_a_parameter_cannot_carry_recompile(name, values, reason):
    scenarios = np.random.default_rng(3).normal(0, 1, size=(200, 3))
    result = sweep(loads(SMALL, "m.saddle"), name, values)
    assert any(n.startswith("compiled at every point") and reason in n for n in result.notes)
    for value in values:
        given = {"c": np.array([1.0, 2.0, 3.0]), "k": 2.0, "level": 0.9, name: value}
        expected = _plain(given["c"], given["k"], given["level"], scenarios)
        assert result.table.loc[value]["objective"] == pytest.approx(expected, rel=1e-6)


def test_an_indexed_param_of_either_sign_is_swept_once():
    """c[i] swept through negative values: the Parameter carries no sign, and c * x is
    still DPP (affine in c)."""
    scenarios = np.random.default_rng(3).normal(0, 1, size=(200, 3))
    values = [-1.0, 0.5, 2.0]
    result = sweep(loads(SMALL, "m.saddle"), "c", values)
    assert any(n.startswith("compiled once: 'c'") for n in result.notes)
    for value in values:
        expected = _plain(np.full(3, value), 2.0, 0.9, scenarios)
        assert result.table.loc[value]["objective"] == pytest.approx(expected, rel=1e-6)


def test_a_robust_model_recompiles_per_point_and_matches_plain_cvxpy():
    """The robust mean (an ellipsoid of means): the counterpart is built per point. Each
    point equals the closed form mu'w - kappa ||L'w|| - gamma w'Sw written in cvxpy."""
    body = HEADER + """\
set asset = ["a", "b", "c"]
set asset2 = asset
param mu[asset] = [0.06, 0.08, 0.05]
param cov[asset, asset2] = [[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.06]]
param gamma = 2
uncertain m[asset] in ellipsoid(mu, covariance = cov, radius = 0.5)
variable w[asset] >= 0 <= 0.6
maximize utility:
    w @ m - gamma * quad_form(w, cov)
subject to
    budget: sum(w) == 1
"""
    mu = np.array([0.06, 0.08, 0.05])
    cov = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.06]])
    factor = np.linalg.cholesky(cov)
    result = sweep(loads(body, "m.saddle"), "gamma", [1.0, 3.0])
    assert "compiled at every point: robust and rolling models re-compile at every point" \
        in result.notes
    for gamma in (1.0, 3.0):
        w = cp.Variable(3)
        plain = cp.Problem(cp.Maximize(mu @ w - 0.5 * cp.norm(factor.T @ w, 2)
                                       - gamma * cp.quad_form(w, cov)),
                           [cp.sum(w) == 1, w >= 0, w <= 0.6])
        plain.solve(solver=cp.CLARABEL)
        assert result.table.loc[gamma]["objective"] == pytest.approx(plain.value, rel=1e-6)


DRO = ROOT / "models" / "treasury_dro.saddle"


@pytest.mark.parametrize(("name", "values", "once"), [
    ("radius", [0.02, 0.2], True),      # linear in the Wasserstein forms: a Parameter
    ("cvar_limit", [0.3, 1.0], True),
    # vol is inside the loss the ambiguity set moves: its copy of the data once read vol
    # as a number unseen, and the sweep kept the first point's vol (0.183 for 0.123)
    ("vol", [0.1, 0.3], False),
])
def test_distributionally_robust_sweeps_equal_a_compile_per_point(name, values, once):
    result = sweep(load(DRO), name, values)
    assert any(n.startswith("compiled once") for n in result.notes) is once
    for value in values:
        fresh = compile_model(load(DRO), params={name: value}).solve()
        assert result.table.loc[value]["objective"] == pytest.approx(fresh.objective,
                                                                     rel=1e-9, abs=1e-9)

"""The multi-asset arbitrage models (issue 5) against their independent plain-CVXPY oracles
(tests/oracles/arbitrage.py): models/arbitrage_allocation.saddle (mean-variance, neutral,
CVaR-limited), arbitrage_robust.saddle (worst means in an ellipsoid, both backends),
basis_trade.saddle (integer contracts beyond a dislocation threshold) and merger_arb.saddle
(deal-break stress and CVaR), through Python and through the CLI."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from oracles.arbitrage import (
    ALLOCATION,
    cvar_of,
    solve_allocation,
    solve_basis,
    solve_merger,
    solve_robust,
    strategy_data,
)
from saddle_testing import INTEGRALITY

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
DATA = MODELS / "data" / "arbitrage"
TOL = 1e-7  # feasibility of the interior-point solutions


def solve(name: str, **params):
    return compile_model(load(MODELS / f"{name}.saddle"), params=params).solve()


def _values(result, name: str, labels) -> np.ndarray:
    return result.values[name][list(labels)].to_numpy(float)


def _assert_neutral(x: np.ndarray, data: dict, beta_tol: float, max_gross: float) -> None:
    """Dollar-neutral book, beta within the tolerance, gross within the leverage limit."""
    short = data["hedge"] * x
    assert abs(np.sum(x - short)) <= TOL
    assert abs(data["beta"] @ x) <= beta_tol + TOL
    assert np.sum(x + short) <= max_gross + TOL
    assert (x >= -TOL).all() and (x <= data["cap"] + TOL).all()


# --- arbitrage_allocation ------------------------------------------------------------------

ALLOCATION_CASES = {
    "cvar_slack": {},
    "cvar_binding": {"cvar_limit": 0.01},
    "institutional_margin": {"margin_rate": 0.04},  # 3-5% APR: leverage above 1 pays
}


@pytest.mark.parametrize("params", ALLOCATION_CASES.values(), ids=ALLOCATION_CASES.keys())
def test_allocation_equals_the_oracle(params):
    oracle = solve_allocation(**params)
    result = solve("arbitrage_allocation", **params)
    assert result.status == "optimal" and oracle["status"] == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    data = strategy_data()
    x = _values(result, "x", data["labels"])
    np.testing.assert_allclose(x, oracle["x"], atol=1e-5)
    p = ALLOCATION | params
    _assert_neutral(x, data, p["beta_tol"], p["max_gross"])
    # the reported CVaR is the oracle's, computed by sorting the realized losses
    assert result.constraints["tail"].value == pytest.approx(oracle["cvar"], rel=1e-5)
    assert result.constraints["tail"].value <= p["cvar_limit"] + 1e-6
    assert result.values["gross"] == pytest.approx(oracle["gross"], abs=1e-5)


def test_allocation_binding_constraints():
    slack = solve("arbitrage_allocation")
    assert {"dollar_neutral", "beta_neutral"} <= set(slack.binding())
    assert "tail" not in slack.binding() and "leverage" not in slack.binding()
    tight = solve("arbitrage_allocation", cvar_limit=0.01)
    assert "tail" in tight.binding()
    assert tight.constraints["tail"].value == pytest.approx(0.01, rel=1e-5)
    assert tight.objective < slack.objective
    # the tail limit buys the low-vol basis trade
    assert slack.values["x"]["basis"] == pytest.approx(0, abs=1e-6)
    assert tight.values["x"]["basis"] > 0.05
    levered = solve("arbitrage_allocation", margin_rate=0.04)
    assert levered.values["gross"] > 1.5


def test_allocation_scenarios_are_the_documented_sampler():
    """The oracle draws z with numpy itself; the model's pnl must be those draws through L'."""
    oracle = solve_allocation()
    result = solve("arbitrage_allocation")
    data = strategy_data()
    factor = pd.read_csv(DATA / "factor.csv", index_col=0).to_numpy(float)
    np.testing.assert_allclose(factor.T @ factor, data["cov"], atol=1e-15)  # L L' = cov
    pnl = result.values["pnl"].to_numpy(float)
    assert pnl.shape == (2000,)
    assert cvar_of(-pnl) == pytest.approx(oracle["cvar"], rel=1e-6)


# --- arbitrage_robust ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["counterpart", "dsp"])
def test_robust_equals_the_closed_form_socp(backend):
    oracle = solve_robust()
    model = load(MODELS / "arbitrage_robust.saddle")
    result = compile_model(model, backend=backend).solve()
    assert result.status == "optimal"
    assert result.backend == backend
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    data = strategy_data()
    x = _values(result, "x", data["labels"])
    np.testing.assert_allclose(x, oracle["x"], atol=1e-5 if backend == "counterpart" else 5e-5)
    _assert_neutral(x, data, ALLOCATION["beta_tol"], ALLOCATION["max_gross"])
    # the closed form mu'x - kappa ||L'x|| - costs - gamma x' S x, evaluated at Saddle's x
    factor = np.linalg.cholesky(data["cov"])
    short = data["hedge"] * x
    gross = np.sum(x + short)
    p = ALLOCATION
    costs = (np.sum(p["trade_cost"] * data["trades"] * (x + short) + data["borrow"] * short)
             + p["margin_rate"] * max(gross - 1, 0))
    closed = (data["mean"] @ x - oracle["kappa"] * np.linalg.norm(factor.T @ x) - costs
              - p["gamma"] * x @ data["cov"] @ x)
    assert result.objective == pytest.approx(closed, rel=1e-5)
    chosen = result.worst_case["objective"]["m"]
    for label, value in oracle["worst_mean"].items():
        assert chosen[label] == pytest.approx(value, abs=1e-4), label


def test_robust_costs_less_than_the_nominal_and_shifts_to_basis():
    robust = solve("arbitrage_robust")
    nominal = solve("arbitrage_allocation")
    assert robust.objective < nominal.objective
    assert robust.values["x"]["basis"] > nominal.values["x"]["basis"] + 0.1
    # a long record shrinks the ellipsoid toward the nominal means
    assert solve("arbitrage_robust", years=1e12).objective == pytest.approx(
        nominal.objective, rel=1e-4)


# --- basis_trade --------------------------------------------------------------------------

BASIS_CASES = {
    "article": {},
    "low_threshold_big_book": {"threshold": 0.003, "margin_limit": 2e7},
    "big_book": {"margin_limit": 2e7},
}


@pytest.mark.parametrize("params", BASIS_CASES.values(), ids=BASIS_CASES.keys())
def test_basis_trade_equals_the_milp_oracle(params):
    oracle = solve_basis(**params)
    result = solve("basis_trade", **params)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    for pair, contracts in oracle["contracts"].items():
        assert result.values["c"][pair] == pytest.approx(contracts, abs=1e-6), pair
    assert result.values["profit"] == pytest.approx(oracle["profit"], rel=1e-6)
    assert result.constraints["margin_used"].value == pytest.approx(oracle["margin_used"])
    assert oracle["margin_used"] <= params.get("margin_limit", 2.5e6)
    threshold = params.get("threshold", 0.005)
    for pair, dislocation in oracle["dislocation"].items():
        c = result.values["c"][pair]
        assert c == pytest.approx(round(c), abs=INTEGRALITY)  # a MIP solver's integers
        if abs(dislocation) < threshold:  # the article's no-trade rule
            assert round(c) == 0, pair
        elif c:  # traded the cheap leg: long ETF / short futures when the futures are rich
            assert np.sign(c) == np.sign(dislocation), pair


def test_basis_trade_article_answer():
    result = solve("basis_trade")
    c = result.values["c"]  # the 0.85% SPY/ES dislocation, margin-bound
    assert c["SPY/ES"] == pytest.approx(34, abs=INTEGRALITY)
    assert c["QQQ/NQ"] == pytest.approx(0, abs=INTEGRALITY)
    assert c["DIA/YM"] == pytest.approx(0, abs=INTEGRALITY)
    assert result.problem.is_mixed_integer()  # whole contracts


# --- merger_arb ---------------------------------------------------------------------------

MERGER_CASES = {"article": {}, "loose": {"cvar_limit": 0.5, "break_limit": 1.0}}


@pytest.mark.parametrize("params", MERGER_CASES.values(), ids=MERGER_CASES.keys())
def test_merger_arb_equals_the_oracle(params):
    oracle = solve_merger(**params)
    result = solve("merger_arb", **params)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    np.testing.assert_allclose(_values(result, "x", oracle["weights"]), oracle["x"], atol=1e-5)
    assert result.constraints["tail"].value == pytest.approx(oracle["cvar"], rel=1e-5)
    assert result.constraints["all_break"].value == pytest.approx(oracle["all_break"], rel=1e-5)


def test_merger_arb_limits_bind():
    result = solve("merger_arb")
    assert {"all_break", "tail"} <= set(result.binding())
    assert result.constraints["all_break"].value == pytest.approx(0.15, rel=1e-6)
    assert result.constraints["tail"].value == pytest.approx(0.10, rel=1e-6)
    assert result.values["gross"] <= 2 + TOL


# --- the command line ---------------------------------------------------------------------

CLI_ORACLES = {
    "arbitrage_allocation": (lambda: solve_allocation()["objective"]),
    "arbitrage_robust": (lambda: solve_robust()["objective"]),
    "basis_trade": (lambda: solve_basis()["objective"]),
    "merger_arb": (lambda: solve_merger()["objective"]),
}


@pytest.mark.parametrize("name", CLI_ORACLES)
def test_cli_json(name, capsys):
    assert main(["solve", str(MODELS / f"{name}.saddle"), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == name and report["status"] == "optimal"
    assert report["objective"] == pytest.approx(CLI_ORACLES[name](), rel=1e-6)


def test_cli_tightens_the_cvar_by_param(capsys):
    path = str(MODELS / "arbitrage_allocation.saddle")
    assert main(["solve", path, "--param", "cvar_limit=1%", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["constraints"]["tail"]["binding"] is True
    assert report["objective"] == pytest.approx(solve_allocation(cvar_limit=0.01)["objective"],
                                                rel=1e-6)

"""The treasury model (models/treasury.saddle) against the independent plain-CVXPY oracle
(tests/oracles/treasury.py), through Python and through the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
from oracles.treasury import solve_treasury, treasury_data

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "treasury.saddle"
TENORS = ["5Y", "7Y", "10Y", "20Y", "30Y"]


@pytest.fixture(scope="module")
def data():
    return treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")


def solve(**params):
    return compile_model(load(MODEL), params=params).solve()


@pytest.mark.parametrize("cvar_limit", [3.0, 0.3], ids=["cvar_slack", "cvar_binding"])
def test_exact_haircut_equals_the_mixed_integer_oracle(data, cvar_limit):
    oracle = solve_treasury({**data, "cvar_limit": cvar_limit}, haircut=True)
    result = solve(cvar_limit=cvar_limit)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    np.testing.assert_allclose(result.values["w"][TENORS].to_numpy(), oracle["weights"],
                               atol=1e-6)
    assert (result.values["w"].abs() >= 0.02 - 1e-9).all()
    # the reported CVaR is the constraint's value; the oracle sorts the realized losses
    assert result.constraints["tail_risk"].value == pytest.approx(oracle["cvar"], rel=1e-5)
    assert any("mixed-integer" in note for note in result.notes)


@pytest.mark.parametrize("cvar_limit", [3.0, 0.3], ids=["cvar_slack", "cvar_binding"])
def test_relaxation_equals_the_lp_oracle(data, cvar_limit):
    oracle = solve_treasury({**data, "cvar_limit": cvar_limit}, haircut=False)
    result = solve(cvar_limit=cvar_limit, min_weight=0)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    np.testing.assert_allclose(result.values["w"].to_numpy(), oracle["weights"], atol=1e-5)
    assert not result.problem.is_mixed_integer()
    assert any("always holds" in note for note in result.notes)


def test_cvar_dual_is_the_oracles_price_of_the_limit(data):
    """The dual of a binding CVaR limit is d(objective)/d(limit), by central differences."""
    step = 1e-3
    up = solve_treasury({**data, "cvar_limit": 0.3 + step}, haircut=False)["objective"]
    down = solve_treasury({**data, "cvar_limit": 0.3 - step}, haircut=False)["objective"]
    price = (up - down) / (2 * step)
    result = solve(cvar_limit=0.3, min_weight=0)
    assert result.constraints["tail_risk"].binding
    assert result.duals["tail_risk"] == pytest.approx(price, rel=1e-3)
    assert "tail_risk" in result.binding()
    assert "capital" not in result.binding()


def test_mixed_integer_duals_come_from_the_fixed_problem(data):
    result = solve(cvar_limit=0.3)
    assert result.duals["tail_risk"] is not None and result.duals["tail_risk"] > 0
    assert any("binaries fixed" in note for note in result.notes)


def test_cli_json_report(data, capsys):
    oracle = solve_treasury(data, haircut=True)
    assert main(["solve", str(MODEL), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"model", "status", "objective", "variables", "constraints",
                           "worst_case", "notes", "solver", "solve_time"}
    assert report["model"] == "treasury" and report["status"] == "optimal"
    assert report["objective"] == pytest.approx(oracle["objective"], rel=1e-6)
    weights = [report["variables"]["w"][t] for t in TENORS]
    np.testing.assert_allclose(weights, oracle["weights"], atol=1e-6)
    capital = report["constraints"]["capital"]
    assert set(capital) >= {"dual", "slack", "binding"}
    assert capital["binding"] is True
    assert set(report["constraints"]["liquidity"]["binding"]) == set(TENORS)
    assert report["solver"] == "HIGHS"


def test_cli_relaxation_by_param(data, capsys):
    oracle = solve_treasury(data, haircut=False)
    assert main(["solve", str(MODEL), "--param", "min_weight=0", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["objective"] == pytest.approx(oracle["objective"], rel=1e-6)


def test_cli_table_shows_weights_objective_cvar_and_binding(capsys):
    assert main(["solve", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "maximize net_carry = 0.2487" in out
    assert "tail_risk" in out and "0.517587" in out
    for tenor in TENORS:
        assert f"\n  {tenor} " in out
    capital_row = next(line for line in out.splitlines() if line.startswith("capital"))
    assert capital_row.rstrip().endswith("yes")


def test_mixed_integer_duals_price_the_liquidity_limits():
    """A binding liquidity row's dual is the objective's change per $M of limit, measured
    on the oracle's own MIP by a central difference (it showed 0 while a big-M copy of the
    same bound took the multiplier)."""
    result = compile_model(load(MODEL)).solve()
    data = treasury_data(MODEL.parent / "data" / "real_yields_2024.csv")
    duals = result.constraints["liquidity"].dual
    for k, tenor in enumerate(["5Y", "7Y", "10Y", "20Y", "30Y"]):
        bumped = []
        for step in (-0.5, 0.5):
            liquidity = data["liquidity"].copy()
            liquidity[k] += step
            bumped.append(solve_treasury({**data, "liquidity": liquidity},
                                         haircut=True)["objective"])
        assert duals[tenor] == pytest.approx((bumped[1] - bumped[0]) / 1.0, abs=1e-7), tenor

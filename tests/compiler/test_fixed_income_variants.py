"""The issue-6 model variants solve from Python and from the CLI and equal their oracles.

* models/treasury_duration_neutral.saddle vs oracles.treasury_duration_neutral (a plain
  CVXPY MIP with each tenor's DV01 summed by hand);
* models/cds_hedge_cs01.saddle vs oracles.cds_cs01 (one LP per month, CS01 from QuantLib).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from oracles.cds import TICKERS
from oracles.cds_cs01 import monthly
from oracles.treasury import treasury_data
from oracles.treasury_duration_neutral import par_bond_dv01, solve_duration_neutral

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "models" / "treasury_duration_neutral.saddle"
CDS = ROOT / "models" / "cds_hedge_cs01.saddle"
TENORS = ["5Y", "7Y", "10Y", "20Y", "30Y"]


@pytest.fixture(scope="module")
def treasury_oracle() -> dict:
    return solve_duration_neutral(treasury_data(ROOT / "models" / "data" /
                                                "real_yields_2024.csv"))


@pytest.fixture(scope="module")
def cds_oracle():
    return monthly()


def test_treasury_duration_neutral_from_python(treasury_oracle):
    compiled = compile_model(load(TREASURY))
    params = {symbol.name: value for symbol, value in compiled.bindings.values.items()}
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    np.testing.assert_allclose(params["dv01"], par_bond_dv01(data["yield"], 50.0), rtol=1e-10)
    result = compiled.solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(treasury_oracle["objective"], rel=1e-9)
    np.testing.assert_allclose(result.values["w"].to_numpy(), treasury_oracle["weights"],
                               atol=1e-9)
    assert result.constraints["duration_neutral"].value == pytest.approx(0.005, rel=1e-9)
    # the band binds: the unconstrained book (models/treasury.saddle) is short every tenor
    assert "duration_neutral" in result.binding()


def test_treasury_duration_neutral_from_the_cli(treasury_oracle, capsys):
    assert main(["solve", str(TREASURY), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "optimal"
    assert report["objective"] == pytest.approx(treasury_oracle["objective"], rel=1e-9)
    weights = [report["variables"]["w"][t] for t in TENORS]
    np.testing.assert_allclose(weights, treasury_oracle["weights"], atol=1e-9)


def _notionals(rows: dict) -> np.ndarray:
    return np.array([[row[f"notional[{t}]"] for t in TICKERS] for row in rows])


def test_cds_hedge_cs01_from_python(cds_oracle):
    result = compile_model(load(CDS)).solve()
    assert result.status == "optimal"
    table = result.table
    assert list(table.index) == list(cds_oracle.index)
    np.testing.assert_allclose(table["objective"].to_numpy(float),
                               cds_oracle["objective"].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(_notionals(table.to_dict("records")),
                               cds_oracle[TICKERS].to_numpy(float), rtol=1e-9, atol=1e-9)


def test_cds_hedge_cs01_from_the_cli(cds_oracle, capsys):
    assert main(["solve", str(CDS), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "optimal"
    rows = report["rows"]
    assert [row["period"] for row in rows] == list(cds_oracle.index)
    np.testing.assert_allclose([row["objective"] for row in rows],
                               cds_oracle["objective"].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(_notionals(rows), cds_oracle[TICKERS].to_numpy(float),
                               rtol=1e-9, atol=1e-9)
    # each month's position CS01 stays within the typed-in limits ($M per bp)
    cs01 = cds_oracle[[f"cs01[{t}]" for t in TICKERS]].to_numpy(float)
    assert (_notionals(rows) * cs01 <= np.array([0.25, 0.10, 0.25, 0.10]) + 1e-9).all()

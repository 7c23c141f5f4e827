"""`--risk`: position DV01 and key-rate ladders, against hand computations (the oracles'
own DV01 and KRD formulas), never Saddle's own numbers."""

import json
from pathlib import Path

import pytest
from oracles.robust_bond import key_rate_durations, load_robust_bond
from oracles.treasury import treasury_data
from oracles.treasury_duration_neutral import par_bond_dv01

from compiler import compile_model, load
from compiler.cli import main
from compiler.report.risk import risk_report

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"


def test_treasury_dv01_by_tenor_and_total():
    model = compile_model(load(MODELS / "treasury_duration_neutral.saddle"))
    result = model.solve()
    entry = risk_report(model, result)["dv01 · w"]
    data = treasury_data(MODELS / "data" / "real_yields_2024.csv")
    dv01 = par_bond_dv01(data["yield"], data["notional"])
    w = result.values["w"].to_numpy()
    assert entry["by"].to_numpy() == pytest.approx(w * dv01, rel=1e-8)
    assert entry["total"] == pytest.approx(float(w @ dv01), rel=1e-8)
    assert abs(entry["total"]) <= 0.005 + 1e-9  # the model's own DV01 band


def test_key_rate_ladder_of_the_bond_portfolio(shared):
    model = compile_model(load(MODELS / "robust_bond_krd.saddle"), data_dir=shared)
    result = model.solve()
    entry = risk_report(model, result)["krd · h"]
    paper = load_robust_bond()
    h = result.values["h"].to_numpy()
    # key-rate DV01 per bp: holdings x market price x KRD x 1bp (prices equal the model's)
    expected = (h * paper.p) @ key_rate_durations(paper) * 1e-4
    assert entry["by"].to_numpy() == pytest.approx(expected, rel=1e-6)
    assert list(entry["by"].index) == [1, 2, 4, 6, 10, 14, 20, 40, 60]


def test_cli_risk_in_table_and_json(capsys):
    path = str(MODELS / "treasury_duration_neutral.saddle")
    assert main(["solve", path, "--risk"]) == 0
    assert "dv01 · w (dv01): total" in capsys.readouterr().out
    assert main(["solve", path, "--risk", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["risk"]["dv01 · w"]["by"]) == {"5Y", "7Y", "10Y", "20Y", "30Y"}


def test_a_model_without_measures_says_so(capsys):
    assert main(["solve", str(MODELS / "treasury.saddle"), "--risk"]) == 0
    assert "no risk measures" in capsys.readouterr().out


def test_rolling_runs_are_refused_with_a_reason(capsys):
    code = main(["solve", str(MODELS / "cds_hedge_cs01.saddle"), "--risk"])
    assert code == 2
    assert "--risk" in capsys.readouterr().err

"""The robust bond models on the paper's data (../shared/data/robust_bond, read in place).

Expected numbers come from the paper (the DSP package's tests, MOSEK) and from the
independent plain-CVXPY oracle `oracles.robust_bond` (relative-entropy dual, primal worst
case, closed-form first-order estimate) — never from Saddle itself.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from oracles.robust_bond import (
    PAPER_CONSTRAINT_PHI,
    PAPER_PHI,
    constraint_form,
    data_dir,
    first_order_worst_case,
    load_robust_bond,
    robust_objective_form,
    turnover,
    worst_case,
)

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHARED = data_dir().parents[1]  # the folder that holds data/robust_bond
MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def paper():
    return load_robust_bond()


def _solve(name: str, **params):
    return compile_model(load(MODELS / f"{name}.saddle"), params=params,
                         data_dir=SHARED).solve()


@pytest.mark.parametrize("lam", sorted(PAPER_PHI))
def test_objective_form_reproduces_the_paper(paper, lam):
    result = _solve("robust_bond", **{"lambda": lam})
    assert result.status == "optimal"
    assert result.worst_case["backend"] == "dsp"
    holdings = result.values["h"].to_numpy()
    phi = turnover(paper, np.maximum(holdings, 0))
    assert phi == pytest.approx(PAPER_PHI[lam], abs=1e-4)
    oracle = robust_objective_form(paper, lam)
    assert result.objective == pytest.approx(oracle["value"], rel=1e-5)
    assert result.worst_case["gap"] < 1e-5


def test_objective_form_reports_the_worst_curve(paper):
    result = _solve("robust_bond")
    x = result.worst_case["objective"]["x"]
    # the adversary's factors lie on the ellipsoid's boundary (the objective is monotone)
    deviation = x.to_numpy() - paper.mu
    radius_sq = float(deviation @ paper.precision @ deviation)
    from scipy.stats import chi2
    assert radius_sq == pytest.approx(chi2.ppf(0.5, 13), rel=1e-3)
    curve = result.values["y"]
    assert curve.to_numpy() == pytest.approx(paper.F[:60] @ x.to_numpy(), abs=1e-12)


def test_floor_form_reproduces_the_paper(paper):
    result = _solve("robust_bond_floor")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(PAPER_CONSTRAINT_PHI, abs=5e-3)
    oracle = constraint_form(paper, spreads="zero")
    assert result.objective == pytest.approx(oracle["phi"], rel=1e-5)
    assert result.constraints["value_floor"].value == pytest.approx(0, abs=1e-5)  # binds


def test_floor_form_with_spreads_matches_the_oracle(paper):
    result = _solve("robust_bond_floor", spread_on=1)
    oracle = constraint_form(paper, spreads="nominal")
    assert result.objective == pytest.approx(oracle["phi"], rel=1e-5)


@pytest.mark.parametrize("alpha", [0.5, 0.01])
def test_analysis_exact_and_first_order(paper, alpha):
    result = _solve("robust_bond_analysis", alpha=alpha)
    assert result.status == "optimal"
    holding = paper.benchmark_holdings()
    exact = worst_case(paper, holding, alpha)
    estimate = first_order_worst_case(paper, holding, alpha)
    assert result.objective == pytest.approx(exact["value"], abs=1e-6)
    first_order = result.constraints["first_order"].value
    assert first_order == pytest.approx(estimate["value"], abs=1e-6)
    assert first_order < result.objective  # the tangent plane is conservative
    assert result.worst_case["objective"]["x"].to_numpy() == pytest.approx(exact["x"], abs=1e-5)


def test_analysis_reports_a_broken_limit_by_name():
    result = _solve("robust_bond_analysis", alpha=0.01, loss_limit=0.5)
    # the extreme set's first-order estimate (-0.601 by the oracle) breaks a 50% loss limit
    assert result.constraints["first_order"].slack < 0
    assert any("first_order" in note for note in result.notes)


@pytest.mark.parametrize("name", ["robust_bond", "robust_bond_floor", "robust_bond_analysis"])
def test_cli_solves_on_the_paper_data(name, capsys):
    code = main(["solve", str(MODELS / f"{name}.saddle"), "--data", str(SHARED),
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "optimal"
    wanted = "value_floor" if name == "robust_bond_floor" else "objective"
    assert out["worst_case"][wanted]  # the adversary's choice, by name


def test_counterpart_backend_is_refused_with_a_reason(capsys):
    code = main(["solve", str(MODELS / "robust_bond.saddle"), "--backend", "counterpart"])
    assert code == 1
    assert "E413" in capsys.readouterr().err
